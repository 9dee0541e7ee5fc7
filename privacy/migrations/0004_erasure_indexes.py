"""Indexes on the admin's log (django.contrib.admin's LogEntry, a table of
Django's own, so they are made here, by the app that needs them) for erasure
(privacy.services.erasure.scrub_admin_log).

The entries about a person's rows are found by content type and object id;
the entries quoting their address, phone or external id by trigram indexes on
exactly the expressions Django's icontains compares (UPPER(column::text)).
The log is never purged: without them erasure read all of it three times
(2.6 s at 500,000 entries). The trigram indexes are PostgreSQL's alone; SQLite
gets the plain one.
"""

from django.db import migrations

OBJECT_INDEX = "admin_log_object_idx"
TRIGRAM_INDEXES = {
    "admin_log_repr_trgm": "object_repr",
    "admin_log_message_trgm": "change_message",
}


def create_indexes(apps, schema_editor):
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {OBJECT_INDEX} "
        "ON django_admin_log (content_type_id, object_id)"
    )
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for index, column in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {index} ON django_admin_log "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    indexes = [OBJECT_INDEX]
    if schema_editor.connection.vendor == "postgresql":
        indexes += list(TRIGRAM_INDEXES)
    for index in indexes:
        schema_editor.execute(f"DROP INDEX IF EXISTS {index}")


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0003_request_workflow"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
