"""The `--answers` top-up (PostgreSQL only): answers made in the database by
INSERT … SELECT from generate_series, as `seed_bench` explains; the look-up
tables they draw from, the SQL of each table's rows, and the indexes dropped
and built once around a bulk run."""

import contextlib
import math
import random
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.core.management.base import OutputWrapper
from django.db import DatabaseError, connection, models, transaction

from customers.models import Interaction
from demo import catalogue, seeding
from demo.bench.batches import CUSTOMER_PREFIX, HISTORY_DAYS, SEED, Catalog
from demo.bench.writing import lock_tables, move_sequences, next_ids
from feedback.models import Case
from surveys.models import SCALES, Band, Invitation, Kind, Survey, SurveyResponse

# Hashed with the id into an added invitation's nonce.
ANSWER_MARKER = "bench-answer:"
# Answers come from customers who joined at least this long ago, so that the
# interaction before an answer (at most a week) never predates the customer.
ANSWER_SETTLED = timedelta(days=8)


def create_answer_lookups(catalog: Catalog) -> int:
    """The temporary tables `write_answers` draws from; returns how many
    interactions an answer can copy.

    bench_answer_source: benchmark interactions at a surveyed touchpoint of
    customers who can be asked, numbered 1…n for a random pick, with what an
    answer freezes from the customer. bench_answer_survey: per touchpoint,
    its survey and the demo's score model (demo/catalogue.py).
    bench_answer_handling, _comment, _cause: minutes to resolve per channel,
    comments per kind, band and language, root causes with a resolution.
    """
    drop_answer_lookups()
    surveys = {
        touchpoint: survey
        for touchpoint, survey in catalog.survey_after.items()
        if survey.kind in catalogue.SCORES
    }
    stages = {touchpoint.pk: touchpoint.stage for touchpoint in catalog.touchpoints}
    source_params: dict[str, Any] = {
        "history": timedelta(days=HISTORY_DAYS),
        "now": catalog.now,
        "settled": ANSWER_SETTLED,
        "prefix": f"{CUSTOMER_PREFIX}%",
        "touchpoints": list(surveys),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TEMPORARY TABLE bench_answer_source AS
            SELECT row_number() OVER (ORDER BY i.id) AS pick,
                i.customer_id, i.touchpoint_id, i.channel, i.direction,
                i.subject, i.notes, i.logged_by_id,
                c.owner_id, c.company_id, c.language,
                COALESCE(NULLIF(c.segment, ''), co.segment, '') AS segment,
                LEAST(%(history)s, %(now)s - c.created_at - %(settled)s) AS span
            FROM customers_interaction AS i
            JOIN customers_customer AS c ON c.id = i.customer_id
            LEFT JOIN customers_company AS co ON co.id = c.company_id
            WHERE c.external_id LIKE %(prefix)s
                AND c.email <> ''
                AND c.email_opted_out_at IS NULL
                AND c.erased_at IS NULL
                AND c.created_at < %(now)s - %(settled)s
                AND i.touchpoint_id = ANY(%(touchpoints)s)
            """,
            source_params,
        )
        sources = int(cursor.rowcount)
        cursor.execute(
            """
            CREATE TEMPORARY TABLE bench_answer_survey (
                touchpoint_id bigint PRIMARY KEY, survey_id bigint, kind text,
                stage text, delay interval, reminder_after interval,
                detractor_now float, detractor_year float,
                promoter_now float, promoter_year float,
                detractor_scores int[], passive_scores int[],
                promoter_scores int[], positive_from int, negative_to int
            )
            """
        )
        cursor.executemany(
            "INSERT INTO bench_answer_survey VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                score_model(touchpoint, stages[touchpoint], survey)
                for touchpoint, survey in surveys.items()
            ],
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_answer_handling "
            "(channel text PRIMARY KEY, low int, high int)"
        )
        cursor.executemany(
            "INSERT INTO bench_answer_handling VALUES (%s, %s, %s)",
            [
                (channel, low, high)
                for channel, (low, high) in seeding.HANDLING_MINUTES.items()
            ],
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_answer_comment "
            "(kind text, band text, language text, texts text[])"
        )
        cursor.executemany(
            "INSERT INTO bench_answer_comment VALUES (%s, %s, %s, %s)",
            comment_rows(),
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_answer_cause "
            "(slot int PRIMARY KEY, root_cause_id bigint, resolution text)"
        )
        cursor.executemany(
            "INSERT INTO bench_answer_cause VALUES (%s, %s, %s)",
            [
                (
                    slot,
                    pk,
                    catalogue.RESOLUTIONS.get(name, catalogue.RESOLUTIONS["Other"])[
                        "en"
                    ],
                )
                for slot, (pk, name) in enumerate(catalog.root_causes)
            ],
        )
        # Temporary tables have no autovacuum: without statistics the planner
        # would loop over the source instead of hashing it.
        for table in ANSWER_LOOKUPS:
            cursor.execute(f"ANALYZE {table}")
    return sources


ANSWER_LOOKUPS = [
    "bench_answer_source",
    "bench_answer_survey",
    "bench_answer_handling",
    "bench_answer_comment",
    "bench_answer_cause",
]


def drop_answer_lookups() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {', '.join(ANSWER_LOOKUPS)}")


def score_model(touchpoint: int, stage: str, survey: Survey) -> tuple[Any, ...]:
    """A bench_answer_survey row. catalogue.band_shares is linear in the
    answer's age (0 now, 1 a year ago): its two ends give every age."""
    now, year = (catalogue.band_shares(survey.kind, age) for age in (0, 1))
    _low, _high, positive_from, negative_to = SCALES[survey.kind]
    scores = {
        band: weighted_values(*catalogue.SCORES[survey.kind][band])
        for band in ("detractor", "passive", "promoter")
    }
    return (
        touchpoint,
        survey.pk,
        survey.kind,
        stage,
        timedelta(minutes=survey.delay_minutes),
        timedelta(days=survey.reminder_delay_days),
        now["detractor"],
        year["detractor"],
        now["promoter"],
        year["promoter"],
        scores["detractor"],
        scores["passive"],
        scores["promoter"],
        positive_from,
        negative_to,
    )


def weighted_values(values: list[int], weights: list[int]) -> list[int]:
    """Each value repeated by its weight (divided by their common divisor):
    a uniform pick from the list is a weighted pick of a value."""
    divisor = math.gcd(*weights)
    return [
        value
        for value, weight in zip(values, weights, strict=True)
        for _ in range(weight // divisor)
    ]


def comment_rows() -> list[tuple[str, str, str, list[str]]]:
    rows = []
    for (kind, band), positive in catalogue.POSITIVE_COMMENTS.items():
        for language, texts in positive.items():
            rows.append((kind, band, language, list(texts)))
    for kind, negative in catalogue.NEGATIVE_COMMENTS.items():
        for language, causes in negative.items():
            rows.append((kind, Band.DETRACTOR.value, language, [t for _c, t in causes]))
    return rows


def write_answers(catalog: Catalog, first: int, count: int, sources: int) -> int:
    """Answers first…first + count − 1 with their interactions, invitations
    and cases; returns the cases."""
    lock_tables()
    ids = next_ids()
    params: dict[str, Any] = {
        "now": catalog.now,
        "count": count,
        "sources": sources,
        "interaction": ids[Interaction],
        "invitation": ids[Invitation],
        "response": ids[SurveyResponse],
        "case": ids[Case],
        "marker": ANSWER_MARKER,
        "causes": len(catalog.root_causes),
    }
    skip_foreign_key_checks()
    with connection.cursor() as cursor:
        # Room to hash the source and sort a million rows in memory.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # The same batch draws the same rows (random() follows setseed).
        cursor.execute("SELECT setseed(%s)", [random.Random(SEED + first).random()])
        cursor.execute("DROP TABLE IF EXISTS bench_answer_row")
        cursor.execute(ANSWER_ROWS, params)
        cursor.execute("ANALYZE bench_answer_row")
    insert_answer_rows(Interaction, ANSWER_INTERACTION, params)
    insert_answer_rows(Invitation, ANSWER_INVITATION, params)
    insert_answer_rows(
        SurveyResponse,
        ANSWER_RESPONSE,
        params,
        source="bench_answer_row AS a LEFT JOIN bench_answer_comment AS c "
        "ON c.kind = a.kind AND c.band = a.band AND c.language = a.language",
    )
    cases = insert_answer_rows(
        Case,
        ANSWER_CASE,
        params,
        source="bench_answer_row AS a JOIN bench_answer_cause AS k "
        "ON k.slot = floor(a.r_cause * %(causes)s)::int "
        "WHERE a.band = 'detractor'",
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_answer_row")
    move_sequences()
    return cases


@contextlib.contextmanager
def indexes_built_after(stdout: OutputWrapper) -> Iterator[None]:
    """Drop the indexes of the tables the answers go to, except those of
    their constraints (primary keys, unique columns), and build them again
    with their own definitions when the block is done. Use inside one
    transaction, which makes the drop and the build one."""
    tables = [model._meta.db_table for model in ANSWER_TABLES]
    with connection.cursor() as cursor:
        # PostgreSQL builds no index on a table with foreign-key checks still
        # pending: run them at the end of each statement, not at the commit.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index AS i
            WHERE i.indrelid = ANY(%s::regclass[])
                AND NOT EXISTS (
                    SELECT FROM pg_constraint AS k
                    WHERE k.conrelid = i.indrelid AND k.conindid = i.indexrelid
                )
            ORDER BY 1
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for _name, definition in indexes:
            cursor.execute(definition)
    stdout.write(f"  {len(indexes)} indexes built: {time.monotonic() - started:.1f} s")


ANSWER_TABLES: list[type[models.Model]] = [
    Interaction,
    Invitation,
    SurveyResponse,
    Case,
]


def skip_foreign_key_checks() -> None:
    """Turn off the foreign-key triggers until the commit, where allowed.

    The ids are right by construction, and checking them row by row (a
    locking look-up of each parent at the commit) took a third of the time.
    Only a superuser may, as pg_restore --disable-triggers does; for anyone
    else the checks run.
    """
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        pass


# One row per new answer, all its draws made once (random() in the innermost
# subquery, which PostgreSQL never flattens because random() is volatile).
# The timeline runs backwards from the answer, as Batch.invitation's runs
# forwards: interaction, resolution, survey delay, mail, reaction, answer;
# then the case's contact and close.
ANSWER_ROWS = """
CREATE TEMPORARY TABLE bench_answer_row AS
SELECT row_number() OVER (ORDER BY r.answered_at, r.draw) AS n, r.*,
    CASE WHEN r.score >= r.positive_from THEN 'promoter'
        WHEN r.score <= r.negative_to THEN 'detractor'
        ELSE 'passive' END AS band,
    CASE WHEN r.reacted >= r.reminder_after THEN 1 ELSE 0 END AS reminders_sent,
    r.contacted_at < %(now)s AS is_contacted,
    r.r_closes < 0.95 AND r.closed_at < %(now)s AS is_closed
FROM (
    SELECT t.*,
        CASE
            WHEN t.r_band < t.detractor_share THEN t.detractor_scores[
                1 + floor(t.r_score * cardinality(t.detractor_scores))::int]
            WHEN t.r_band < t.detractor_share + t.promoter_share
                THEN t.promoter_scores[
                    1 + floor(t.r_score * cardinality(t.promoter_scores))::int]
            ELSE t.passive_scores[
                1 + floor(t.r_score * cardinality(t.passive_scores))::int]
        END AS score,
        t.answered_at - t.reacted AS sent_at,
        t.answered_at - t.reacted - interval '30 seconds' AS scheduled_for,
        t.answered_at - t.reacted - interval '30 seconds' - t.delay
            AS resolved_at,
        t.answered_at - t.reacted - interval '30 seconds' - t.delay - t.handling
            AS occurred_at,
        t.answered_at + interval '5 seconds' + t.contact_after AS contacted_at,
        t.answered_at + interval '5 seconds' + t.contact_after + t.close_after
            AS closed_at
    FROM (
        SELECT d.draw, d.r_band, d.r_score, d.r_comment, d.r_closes, d.r_cause,
            s.customer_id, s.touchpoint_id, s.channel, s.direction, s.subject,
            s.notes, s.logged_by_id, s.owner_id, s.company_id, s.language,
            s.segment, v.survey_id, v.kind, v.stage, v.delay, v.reminder_after,
            v.positive_from, v.negative_to, v.detractor_scores,
            v.passive_scores, v.promoter_scores,
            %(now)s - d.r_when * s.span AS answered_at,
            v.detractor_now + (v.detractor_year - v.detractor_now)
                * d.r_when * extract(epoch FROM s.span) / 31536000
                AS detractor_share,
            v.promoter_now + (v.promoter_year - v.promoter_now)
                * d.r_when * extract(epoch FROM s.span) / 31536000
                AS promoter_share,
            interval '6 minutes' + d.r_react * interval '4314 minutes' AS reacted,
            (COALESCE(h.low, 15) + floor(
                d.r_handle * (COALESCE(h.high, 60) - COALESCE(h.low, 15) + 1)
            )) * interval '1 minute' AS handling,
            interval '1 hour' + d.r_contact * interval '59 hours' AS contact_after,
            interval '12 hours' + d.r_close * interval '132 hours' AS close_after
        FROM (
            SELECT g AS draw, 1 + floor(random() * %(sources)s)::bigint AS pick,
                random() AS r_when, random() AS r_react, random() AS r_handle,
                random() AS r_band, random() AS r_score, random() AS r_comment,
                random() AS r_contact, random() AS r_close,
                random() AS r_closes, random() AS r_cause
            FROM generate_series(1, %(count)s) AS g
        ) AS d
        JOIN bench_answer_source AS s ON s.pick = d.pick
        JOIN bench_answer_survey AS v ON v.touchpoint_id = s.touchpoint_id
        LEFT JOIN bench_answer_handling AS h ON h.channel = s.channel
    ) AS t
) AS r
"""
ANSWER_INTERACTION = {
    "id": "%(interaction)s + a.n - 1",
    "customer": "a.customer_id",
    "touchpoint": "a.touchpoint_id",
    "channel": "a.channel",
    "direction": "a.direction",
    "subject": "a.subject",
    "notes": "a.notes",
    "occurred_at": "a.occurred_at",
    "logged_by": "a.logged_by_id",
    "status": f"'{Interaction.Status.RESOLVED.value}'",
    "survey_mode": f"'{Interaction.SurveyMode.AUTO.value}'",
    "resolved_at": "a.resolved_at",
    "created_at": "a.occurred_at",
    "updated_at": "a.resolved_at",
}
ANSWER_INVITATION = {
    "id": "%(invitation)s + a.n - 1",
    "survey": "a.survey_id",
    "customer": "a.customer_id",
    "interaction": "%(interaction)s + a.n - 1",
    "nonce": "md5(%(marker)s::text || (%(invitation)s + a.n - 1))",
    "token_hash": "lpad(to_hex(%(invitation)s + a.n - 1), 64, '0')",
    "status": f"'{Invitation.Status.ANSWERED.value}'",
    "scheduled_for": "a.scheduled_for",
    "sent_at": "a.sent_at",
    "reminders_sent": "a.reminders_sent",
    "opened_at": "a.answered_at",
    "answered_at": "a.answered_at",
    "attempts": "1",
    "created_at": "a.resolved_at",
    "updated_at": "a.answered_at",
}
ANSWER_RESPONSE = {
    "id": "%(response)s + a.n - 1",
    "invitation": "%(invitation)s + a.n - 1",
    "score": "a.score",
    # Half the answers carry a comment: r_comment below 0.5 says so and,
    # stretched to 0…1, picks it.
    "comment": "CASE WHEN a.r_comment < 0.5 THEN COALESCE(c.texts["
    "1 + floor(a.r_comment * 2 * cardinality(c.texts))::int], '') ELSE '' END",
    "band": "a.band",
    "is_confirmed": "true",
    "answered_at": "a.answered_at",
    "updated_at": "a.answered_at",
    "language": "a.language",
    "customer": "a.customer_id",
    "survey": "a.survey_id",
    "kind": "a.kind",
    "channel": "a.channel",
    "touchpoint": "a.touchpoint_id",
    "stage": "a.stage",
    "segment": "a.segment",
    "company": "a.company_id",
    "staff": "a.logged_by_id",
}
ANSWER_CASE = {
    "id": "%(case)s + row_number() OVER (ORDER BY a.n) - 1",
    "response": "%(response)s + a.n - 1",
    "kind": "a.kind",
    "customer": "a.customer_id",
    "reason": f"CASE WHEN a.kind = '{Kind.NPS.value}' "
    f"THEN '{Case.Reason.DETRACTOR.value}' ELSE '{Case.Reason.LOW_CSAT.value}' END",
    "priority": f"CASE WHEN a.score <= CASE WHEN a.kind = '{Kind.NPS.value}' "
    f"THEN 3 ELSE 1 END THEN '{Case.Priority.URGENT.value}' "
    f"ELSE '{Case.Priority.NORMAL.value}' END",
    "status": f"CASE WHEN a.is_closed THEN '{Case.Status.CLOSED.value}' "
    f"WHEN a.is_contacted THEN '{Case.Status.CONTACTED.value}' "
    f"ELSE '{Case.Status.OPEN.value}' END",
    "owner": "a.owner_id",
    "assignment_rule": f"'{Case.AssignmentRule.CUSTOMER_OWNER.value}'",
    "due_at": f"a.answered_at + interval '5 seconds' "
    f"+ interval '{seeding.CASE_SLA.total_seconds():.0f} seconds'",
    "first_contact_at": "CASE WHEN a.is_contacted THEN a.contacted_at END",
    "closed_at": "CASE WHEN a.is_closed THEN a.closed_at END",
    "root_cause": "CASE WHEN a.is_closed THEN k.root_cause_id END",
    "resolution": "CASE WHEN a.is_closed THEN k.resolution ELSE '' END",
    "created_at": "a.answered_at + interval '5 seconds'",
    "updated_at": "CASE WHEN a.is_closed THEN a.closed_at "
    "ELSE a.answered_at + interval '5 seconds' END",
}


def insert_answer_rows(
    model: type[models.Model],
    values: dict[str, str],
    params: dict[str, Any],
    *,
    source: str = "bench_answer_row AS a",
) -> int:
    """INSERT … SELECT one row per bench_answer_row: `values` maps the
    model's field names to SQL over them; the fields it does not name (added
    since) get their defaults. Returns the rows inserted."""
    fields = model._meta.concrete_fields
    unknown = set(values) - {field.name for field in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no field {sorted(unknown)}")
    columns, expressions = [], []
    params = dict(params)
    for field in fields:
        columns.append(connection.ops.quote_name(field.column))
        if field.name in values:
            expressions.append(values[field.name])
        else:
            key = f"default_{field.column}"
            params[key] = field.get_db_prep_save(field.get_default(), connection)
            expressions.append(f"%({key})s")
    table = connection.ops.quote_name(model._meta.db_table)
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (our own SQL)
        f"SELECT {', '.join(expressions)} FROM {source} ORDER BY a.n"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return int(cursor.rowcount)
