"""Trigram indexes so that the admin's "contains" search stays fast at 1M rows.

Django's icontains on PostgreSQL compares UPPER(column::text) LIKE UPPER(%s);
the indexes are built on exactly that expression. SQLite has no GIN indexes and
needs none at the sizes it is meant for, so there this migration does nothing.
"""

from django.db import migrations

INDEXES = {
    "customer_name_trgm": ("customers_customer", "name"),
    "customer_email_trgm": ("customers_customer", "email"),
    "company_name_trgm": ("customers_company", "name"),
}


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for index, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {index} ON {table} "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(create_search_indexes, drop_search_indexes)]
