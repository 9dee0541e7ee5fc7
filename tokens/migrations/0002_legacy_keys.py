"""The keys of rest_framework.authtoken, kept working as hashed tokens.

Before named tokens, each user had one plain key in `authtoken_token`. Each
becomes an ApiToken holding the key's SHA-256 (a write token: those keys
could write). Then the plain keys leave the database: with the app still
installed its rows are deleted; uninstalled (as in crm/settings.py), its
table is dropped and its migration records with it, so that installing it
again would start afresh. Nothing to do on a database that never had it.
"""

import hashlib

from django.conf import settings
from django.db import migrations

LEGACY_TABLE = "authtoken_token"


def hash_legacy_keys(apps, schema_editor):
    connection = schema_editor.connection
    if LEGACY_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("tokens", "ApiToken")
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "key", user_id, created FROM {LEGACY_TABLE}')  # noqa: S608
        rows = cursor.fetchall()
    ApiToken.objects.bulk_create(
        ApiToken(
            user_id=user_id,
            name="API key (from before named tokens)",
            prefix=key[:8],
            key_hash=hashlib.sha256(key.encode()).hexdigest(),
            scope="write",
            created_at=created,
        )
        for key, user_id, created in rows
    )
    if "rest_framework.authtoken" in settings.INSTALLED_APPS:
        schema_editor.execute(f"DELETE FROM {LEGACY_TABLE}")  # noqa: S608
    else:
        schema_editor.execute(f"DROP TABLE {LEGACY_TABLE}")
        schema_editor.execute(
            "DELETE FROM django_migrations WHERE app = %s", ["authtoken"]
        )


class Migration(migrations.Migration):
    dependencies = [("tokens", "0001_initial")]

    # Backwards there is nothing to restore: the plain keys are gone.
    operations = [migrations.RunPython(hash_legacy_keys, migrations.RunPython.noop)]
