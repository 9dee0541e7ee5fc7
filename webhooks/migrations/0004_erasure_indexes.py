"""Indexes for erasure (privacy.services.erasure.scrub_webhook_events).

The events about a person are found by the ids in their payload
(`payload -> 'customer'`, and `payload -> 'id'` of customer.* events, which
also finds an answer's latest response.updated); the events quoting their
address, phone or external id by a trigram index on the payload's text, built
on exactly the expression Django's icontains compares
(UPPER(payload::text)). Without them erasure read every event kept
(WEBHOOK_KEEP_DAYS): 8 s at 500,000 events. SQLite has no GIN indexes and
needs none at the sizes it is meant for: there only the two key indexes are
made.

The trigram index has `fastupdate` off: with it on, an insert adds its
trigrams to a pending list, and the insert that finds the list full
(gin_pending_list_limit, 4 MB) merges all of it into the index, which an
answer's POST (its response.created event) would then wait for. Off, each
insert pays for its own trigrams, always the same small cost. It leaves out
the events erasure emptied (payload {"erased": true}: nothing to find in
them): replacing two thousand payloads then writes no trigram, where
inserting a dozen for each, one by one, took half a second.
"""

import django.db.models.fields.json
from django.db import migrations, models

TRIGRAM_INDEX = "webhook_event_text_trgm"
# privacy.services.erasure.ERASED_PAYLOAD, as Django compares it (`exclude`).
NOT_ERASED = """NOT (payload = '{"erased": true}'::jsonb)"""


def create_text_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON webhooks_event "
        "USING gin ((UPPER(payload::text)) gin_trgm_ops) WITH (fastupdate = off) "
        f"WHERE {NOT_ERASED}"
    )


def drop_text_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0003_queued_at_no_bodies"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                django.db.models.fields.json.KeyTransform("customer", "payload"),
                name="webhook_event_customer_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                django.db.models.fields.json.KeyTransform("id", "payload"),
                name="webhook_event_about_idx",
            ),
        ),
        migrations.RunPython(create_text_index, drop_text_index),
    ]
