"""A prefix index for search words too short for trigrams.

The admin matches one- and two-character words (a Chinese surname, "李") by
prefix: UPPER(name::text) LIKE 'X%'. text_pattern_ops lets PostgreSQL answer
that from a btree whatever the database's collation. SQLite: nothing to do.
"""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS customer_name_prefix ON customers_customer "
            "((UPPER(name::text)) text_pattern_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS customer_name_prefix")


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_staff_owners_and_lean_indexes")]

    operations = [migrations.RunPython(create_index, drop_index)]
