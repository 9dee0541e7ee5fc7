"""The score rollup (surveys.models.ScoreRollup): day-level band counts that
always equal a recomputation from the raw answers.

The answer service keeps it current in the answer's own transaction, one
upsert per change (`count_new`, `count_change`, `count_deletion`);
`rebuild_rollup` recomputes days from the answers, in the database, after
bulk writes or a change of TIME_ZONE. Nothing else may write answers: a bulk
writer (seed_demo, seed_bench) rebuilds the days it wrote.
"""

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    CharField,
    Count,
    Expression,
    F,
    Max,
    Min,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, TruncDate
from django.utils import timezone

from surveys.models import Band, ScoreRollup, SurveyResponse

Dimension = ScoreRollup.Dimension
# The count columns, in the order of the bands in every statement below.
BANDS = [Band.PROMOTER, Band.PASSIVE, Band.DETRACTOR]
COUNTS = ["promoters", "passives", "detractors"]
KEY = ["kind", "dimension", "value", "day", "survey_id"]
# A rebuild's days per transaction (and table lock).
CHUNK_DAYS = 31
# (kind, dimension, value, day, survey id, promoters, passives, detractors)
RollupRow = tuple[str, str, str, date, int, int, int, int]


def day_of(answered_at: datetime) -> date:
    """The rollup's day of an answer: its date in settings.TIME_ZONE (not the
    zone of the current request)."""
    return timezone.localtime(answered_at, timezone.get_default_timezone()).date()


def values_of(response: SurveyResponse) -> dict[str, str]:
    """The answer's value in each rolled-up dimension, as the rows key it."""
    touchpoint = response.touchpoint_id
    return {
        Dimension.ALL: "",
        Dimension.CHANNEL: response.channel,
        Dimension.TOUCHPOINT: "" if touchpoint is None else str(touchpoint),
        Dimension.STAGE: response.stage,
        Dimension.SEGMENT: response.segment,
        Dimension.JOURNEY: journey_cell(response.stage, touchpoint),
    }


def journey_cell(stage: str, touchpoint_id: int | None) -> str:
    """The journey map's cell as the rollup keys it: "usage/12", "usage/"."""
    return f"{stage}/{'' if touchpoint_id is None else touchpoint_id}"


def count_new(response: SurveyResponse) -> None:
    add(response, {response.band: 1})


def count_change(response: SurveyResponse, *, old_band: str) -> None:
    """A changed score: move the answer from its old band to its new one."""
    if old_band != response.band:
        add(response, {old_band: -1, response.band: 1})


def count_deletion(response: SurveyResponse) -> None:
    add(response, {response.band: -1})


def add(response: SurveyResponse, changes: Mapping[str, int]) -> None:
    """Add `changes` (band → number) to the answer's six rows, in one
    statement that creates the rows it does not find.

    The rows go in key order: two answers that share some rows lock them in
    the same order and cannot deadlock.
    """
    counts = [changes.get(band, 0) for band in BANDS]
    day = connection.ops.adapt_datefield_value(day_of(response.answered_at))
    rows = sorted(
        (response.kind, dimension, value, day, response.survey_id)
        for dimension, value in values_of(response).items()
    )
    table = connection.ops.quote_name(ScoreRollup._meta.db_table)
    columns = [*KEY, *COUNTS]
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sums = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in COUNTS)
    # Valid on PostgreSQL and SQLite (3.24+) alike.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (no input)
        f"VALUES {', '.join([row] * len(rows))} "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {sums}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for key in rows for value in (*key, *counts)])


def rebuild_rollup(*, start: date | None = None, end: date | None = None) -> int:
    """Recompute the rollup's rows of the days from `start` to `end` (both
    included; None: from the first day with answers or rows, to the last)
    from the answers. Returns the rows written.

    Each CHUNK_DAYS days are one transaction: an answer recorded meanwhile
    waits for one chunk's lock at most (a second or so at 10M answers), not
    for the whole rebuild."""
    first, last = day_bounds(start, end)
    written = 0
    while first is not None and last is not None and first <= last:
        chunk_end = min(first + timedelta(days=CHUNK_DAYS - 1), last)
        written += rebuild_from(SurveyResponse, ScoreRollup, start=first, end=chunk_end)
        first = chunk_end + timedelta(days=1)
    return written


def day_bounds(start: date | None, end: date | None) -> tuple[date | None, date | None]:
    """`start` and `end`, or where there are answers or rollup rows."""
    if start is not None and end is not None:
        return start, end
    answered = SurveyResponse.objects.aggregate(
        first=Min("answered_at"), last=Max("answered_at")
    )
    rolled = ScoreRollup.objects.aggregate(first=Min("day"), last=Max("day"))
    firsts = [rolled["first"]] if rolled["first"] else []
    lasts = [rolled["last"]] if rolled["last"] else []
    if answered["first"] is not None:
        firsts.append(day_of(answered["first"]))
        lasts.append(day_of(answered["last"]))
    return (
        start if start is not None else min(firsts, default=None),
        end if end is not None else max(lasts, default=None),
    )


def rebuild_from(
    responses: type[SurveyResponse],
    rollups: type[ScoreRollup],
    *,
    start: date | None = None,
    end: date | None = None,
) -> int:
    """`rebuild_rollup` on the given models (a migration passes its own)."""
    table = connection.ops.quote_name(rollups._meta.db_table)
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Answers recorded meanwhile count exactly once. One that has
            # upserted its rows holds ROW EXCLUSIVE on the table until it
            # commits: this lock waits for that, and the SELECTs below see its
            # answer. One that has not upserted yet is not committed either, so
            # the SELECTs see the answer as it was before it (absent, or the old
            # band), and its upsert, which waits for our commit, adds it to the
            # fresh rows (or moves it, or takes it out). Readers go on
            # meanwhile. On SQLite a write transaction excludes every other
            # writer already.
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        where, params = days_condition(start, end)
        cursor.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608
        for dimension in Dimension:
            counts = grouped(responses, dimension, start, end)
            select, select_params = counts.query.sql_with_params()
            cursor.execute(
                f"INSERT INTO {table} ({', '.join([*KEY, *COUNTS])}) "  # noqa: S608
                "SELECT r_kind, %s, r_value, r_day, r_survey, "
                "r_promoters, r_passives, r_detractors "
                f"FROM ({select}) grouped",
                [dimension.value, *select_params],
            )
            written += cursor.rowcount
    return written


def days_condition(start: date | None, end: date | None) -> tuple[str, list[Any]]:
    conditions, params = ["1 = 1"], []
    if start is not None:
        conditions.append("day >= %s")
        params.append(connection.ops.adapt_datefield_value(start))
    if end is not None:
        conditions.append("day <= %s")
        params.append(connection.ops.adapt_datefield_value(end))
    return " AND ".join(conditions), params


def grouped(
    responses: type[SurveyResponse],
    dimension: str,
    start: date | None,
    end: date | None,
) -> QuerySet[Any, dict[str, Any]]:
    """The band counts of the answers per kind, day, survey and value of the
    dimension, counted by the database."""
    zone = timezone.get_default_timezone()
    answers = responses.objects.annotate(
        r_kind=F("kind"),
        r_day=TruncDate("answered_at", tzinfo=zone),
        r_survey=F("survey_id"),
        r_value=value_expression(dimension),
    )
    # The local day decides; the wider instant range lets an index narrow the
    # answers first.
    if start is not None:
        since = datetime.combine(start - timedelta(days=1), time.min, tzinfo=zone)
        answers = answers.filter(answered_at__gte=since, r_day__gte=start)
    if end is not None:
        until = datetime.combine(end + timedelta(days=2), time.min, tzinfo=zone)
        answers = answers.filter(answered_at__lt=until, r_day__lte=end)
    return (
        answers.values("r_kind", "r_day", "r_survey", "r_value")
        .annotate(
            r_promoters=Count("pk", filter=Q(band=Band.PROMOTER)),
            r_passives=Count("pk", filter=Q(band=Band.PASSIVE)),
            r_detractors=Count("pk", filter=Q(band=Band.DETRACTOR)),
        )
        .order_by()
    )


def value_expression(dimension: str) -> Expression | F | Value:
    """The dimension's value as `values_of` writes it, in SQL."""
    if dimension == Dimension.ALL:
        return Value("")
    touchpoint = Coalesce(Cast("touchpoint_id", CharField()), Value(""))
    if dimension == Dimension.TOUCHPOINT:
        return touchpoint
    if dimension == Dimension.JOURNEY:
        return Concat(F("stage"), Value("/"), touchpoint, output_field=CharField())
    return F(dimension)


def stored_rows() -> list[RollupRow]:
    """The rollup's rows that count something, in key order."""
    rows = ScoreRollup.objects.exclude(promoters=0, passives=0, detractors=0)
    return sorted(
        rows.values_list("kind", "dimension", "value", "day", "survey_id", *COUNTS)
    )


def recomputed_rows() -> list[RollupRow]:
    """What the rollup should hold, recomputed from the answers (read only):
    equal to `stored_rows()` whenever the rollup is correct."""
    rows: list[RollupRow] = []
    for dimension in Dimension:
        rows += (
            (
                group["r_kind"],
                dimension.value,
                group["r_value"],
                group["r_day"],
                group["r_survey"],
                group["r_promoters"],
                group["r_passives"],
                group["r_detractors"],
            )
            for group in grouped(SurveyResponse, dimension, None, None)
        )
    return sorted(rows)
