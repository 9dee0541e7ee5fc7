"""Rows written fast, and the plumbing around them: COPY on PostgreSQL,
executemany on SQLite; ids taken as a block above each table's highest while
the tables are locked, the sequences moved past them afterwards, and fresh
statistics for the planner."""

import operator
from collections.abc import Iterable
from typing import Any

from django.db import connection, models
from psycopg import sql

from customers.models import Company, Customer, Interaction
from feedback.models import Case
from surveys.models import Invitation, SurveyResponse

TABLES: list[type[models.Model]] = [
    Company,
    Customer,
    Interaction,
    Invitation,
    SurveyResponse,
    Case,
]
Row = dict[str, Any]


def lock_tables() -> None:
    # Ids are handed out from MAX(id) + 1: nobody else may insert until the
    # commit. SQLite's IMMEDIATE transactions hold the write lock already.
    if connection.vendor != "postgresql":
        return
    tables = sql.SQL(", ").join(sql.Identifier(m._meta.db_table) for m in TABLES)
    statement = sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(tables)
    with connection.cursor() as cursor:
        cursor.execute(statement)


def next_ids() -> dict[type[models.Model], int]:
    ids = {}
    for model in TABLES:
        highest = model._default_manager.aggregate(models.Max("pk"))["pk__max"]
        ids[model] = (highest or 0) + 1
    return ids


def move_sequences() -> None:
    """Move PostgreSQL's id sequences past the ids written by hand."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in TABLES:
            table = model._meta.db_table
            statement = sql.SQL(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), MAX(id)) FROM {}"
            ).format(sql.Identifier(table))
            cursor.execute(statement, [table])


def write_rows(model: type[models.Model], rows: list[Row]) -> None:
    if not rows:
        return
    by_name = {field.name: field for field in model._meta.concrete_fields}
    fields = [by_name[name] for name in rows[0]]
    columns = [field.column for field in fields]
    values = operator.itemgetter(*rows[0])
    # Fields this command does not know (added since) get their defaults.
    extra = [f for f in model._meta.concrete_fields if f.column not in columns]
    columns += [f.column for f in extra]
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in extra)
    if connection.vendor == "postgresql":
        copy(model._meta.db_table, columns, (values(row) + defaults for row in rows))
        return
    adapt = connection.ops.adapt_datetimefield_value
    moments = [i for i, f in enumerate(fields) if isinstance(f, models.DateTimeField)]
    converted = []
    for row in rows:
        line = list(values(row))
        for i in moments:
            line[i] = adapt(line[i])
        converted.append((*line, *defaults))
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({placeholders})",  # noqa: S608
            converted,
        )


def copy(table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    connection.ensure_connection()
    # Django's own connection, so COPY runs inside the batch's transaction.
    with connection.connection.cursor() as cursor, cursor.copy(statement) as stream:
        for row in rows:
            stream.write_row(row)


def analyze() -> None:
    """Fresh statistics for the planner.

    On PostgreSQL, VACUUM also sets the visibility map that index-only scans
    (the admin's COUNT(*)) rely on, as autovacuum would a while later. It
    cannot run inside a transaction (a test's), where ANALYZE does alone.
    """
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
    with connection.cursor() as cursor:
        for model in TABLES:
            cursor.execute(
                f"{command} {connection.ops.quote_name(model._meta.db_table)}"
            )
