"""The comment rollup (text.models.CommentRollup): day-level counts of the
read comments by sentiment, language and theme that always equal a
recomputation from the answers and their readings.

text.services keeps it current in the transaction that changes a reading
(written, read again, corrected, removed) or the band of its answer: it
takes the reading as it was counted (`counted`, before the change) and as it
is now, and `count_change` adds the difference, one upsert per kind of row.
The reading stores the band and day it was counted under
(CommentAnalysis.counted_band, counted_day), so that the subtraction is
exact. `rebuild_comment_rollup` recomputes days in the database, after bulk
writes or a change of TIME_ZONE.

The rows of an answer are those of surveys.services.rollup (its survey, day,
kind and value of each rolled-up dimension), once without a theme and once
per theme its comment mentions.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, NullIf, TruncDate
from django.utils import timezone

from surveys.models import Band, ScoreRollup, SurveyResponse
from surveys.services.rollup import day_of, values_of
from text.models import CommentAnalysis, CommentRollup, CommentTheme

DIMENSIONS = [str(dimension) for dimension in ScoreRollup.Dimension]
BANDS = [Band.PROMOTER, Band.PASSIVE, Band.DETRACTOR]
COUNTS = ["promoters", "passives", "detractors"]
READ_KEY = ["kind", "dimension", "value", "day", "survey_id", "sentiment", "language"]
THEME_KEY = [*READ_KEY[:5], "theme_id", *READ_KEY[5:]]
# A rebuild's days per transaction (and table lock).
CHUNK_DAYS = 31
# (kind, dimension, value, day, survey id, theme id or None, sentiment,
# language); a row's counts are (promoters, passives, detractors).
Key = tuple[str, str, str, date, int, int | None, str, str]
Counts = tuple[int, int, int]
RollupRow = tuple[str, str, str, date, int, int | None, str, str, int, int, int]


@dataclass(frozen=True)
class Counted:
    """What one reading adds to the rollup: its answer's survey, kind,
    dimension values, day and band, the reading's sentiment and language and
    the themes it mentions."""

    survey_id: int
    kind: str
    values: Mapping[str, str]
    day: date
    band: str
    sentiment: str
    language: str
    themes: frozenset[int]

    def rows(self) -> list[Key]:
        return [
            (
                self.kind,
                dimension,
                value,
                self.day,
                self.survey_id,
                theme,
                self.sentiment,
                self.language,
            )
            for dimension, value in self.values.items()
            for theme in [None, *sorted(self.themes)]
        ]


def present_themes(analysis: CommentAnalysis) -> frozenset[int]:
    """The themes the reading mentions, as stored now."""
    return frozenset(
        CommentTheme.objects.filter(
            analysis_id=analysis.pk, is_present=True
        ).values_list("theme_id", flat=True)
    )


def counted(
    analysis: CommentAnalysis | None,
    response: SurveyResponse,
    *,
    themes: frozenset[int] | None = None,
) -> Counted | None:
    """The reading as the rollup counts it: under the band and day it was
    counted with, the sentiment, language and themes stored (`themes`, when
    the caller holds them, saves reading them again); None when it is not
    counted (no reading, or one written in bulk and not rebuilt)."""
    if analysis is None or not analysis.counted_band or analysis.counted_day is None:
        return None
    return Counted(
        survey_id=response.survey_id,
        kind=response.kind,
        values=values_of(response),
        day=analysis.counted_day,
        band=analysis.counted_band,
        sentiment=analysis.sentiment,
        language=analysis.language,
        themes=present_themes(analysis) if themes is None else themes,
    )


def count_change(before: Counted | None, after: Counted | None) -> None:
    """Take `before` out of the rollup and add `after` (None: nothing)."""
    count_changes([(before, after)])


def count_changes(changes: Iterable[tuple[Counted | None, Counted | None]]) -> None:
    """Each (before, after): take `before` out and add `after`, all of them
    in two statements (a batch of readings shares most of its rows)."""
    totals: dict[Key, list[int]] = {}
    for before, after in changes:
        for reading, sign in ((before, -1), (after, 1)):
            if reading is None:
                continue
            band = BANDS.index(Band(reading.band))
            for key in reading.rows():
                counts = totals.setdefault(key, [0, 0, 0])
                counts[band] += sign
    moved = {key: tuple(counts) for key, counts in totals.items() if any(counts)}
    # All readings lock their rows in one order (the rows without a theme
    # first, each kind in key order): two that share rows cannot deadlock.
    add(
        sorted((key, counts) for key, counts in moved.items() if key[5] is None),
        themed=False,
    )
    add(
        sorted((key, counts) for key, counts in moved.items() if key[5] is not None),
        themed=True,
    )


# Rows per upsert: eleven parameters each, within PostgreSQL's 65,535 and
# SQLite's 32,766.
ADD_CHUNK = 1000


def add(rows: list[tuple[Key, Any]], *, themed: bool) -> None:
    """Add each row's counts, in statements that create the rows they do not
    find, taken in the order given (the lock order). Valid on PostgreSQL and
    SQLite (3.24+) alike."""
    for start in range(0, len(rows), ADD_CHUNK):
        _add_chunk(rows[start : start + ADD_CHUNK], themed=themed)


def _add_chunk(rows: list[tuple[Key, Any]], *, themed: bool) -> None:
    if not rows:
        return
    table = connection.ops.quote_name(CommentRollup._meta.db_table)
    key = THEME_KEY if themed else READ_KEY
    columns = [*key, *COUNTS]
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sums = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in COUNTS)
    partial = "theme_id IS NOT NULL" if themed else "theme_id IS NULL"
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (no input)
        f"VALUES {', '.join([row] * len(rows))} "
        f"ON CONFLICT ({', '.join(key)}) WHERE {partial} DO UPDATE SET {sums}"
    )
    params: list[Any] = []
    for (
        kind,
        dimension,
        value,
        day,
        survey,
        theme,
        sentiment,
        language,
    ), counts in rows:
        stored_day = connection.ops.adapt_datefield_value(day)
        params += [kind, dimension, value, stored_day, survey]
        params += [theme, sentiment, language] if themed else [sentiment, language]
        params += list(counts)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# Rebuilding and checking


def rebuild_comment_rollup(
    *, start: date | None = None, end: date | None = None
) -> int:
    """Recompute the rollup's rows of the days from `start` to `end` (both
    included; None: from the first day with readings or rows, to the last)
    from the answers and their readings, and mark each reading counted under
    its answer's band and day. Returns the rows written.

    Each CHUNK_DAYS days are one transaction, so a reading written meanwhile
    waits for one chunk's lock at most."""
    first, last = day_bounds(start, end)
    written = 0
    while first is not None and last is not None and first <= last:
        chunk_end = min(first + timedelta(days=CHUNK_DAYS - 1), last)
        written += rebuild_days(first, chunk_end)
        first = chunk_end + timedelta(days=1)
    return written


def day_bounds(start: date | None, end: date | None) -> tuple[date | None, date | None]:
    """`start` and `end`, or where there are readings or rollup rows."""
    if start is not None and end is not None:
        return start, end
    answered = CommentAnalysis.objects.aggregate(
        first=Min("response__answered_at"), last=Max("response__answered_at")
    )
    rolled = CommentRollup.objects.aggregate(first=Min("day"), last=Max("day"))
    firsts = [rolled["first"]] if rolled["first"] else []
    lasts = [rolled["last"]] if rolled["last"] else []
    if answered["first"] is not None:
        firsts.append(day_of(answered["first"]))
        lasts.append(day_of(answered["last"]))
    return (
        start if start is not None else min(firsts, default=None),
        end if end is not None else max(lasts, default=None),
    )


def rebuild_days(start: date, end: date) -> int:
    table = connection.ops.quote_name(CommentRollup._meta.db_table)
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        # Before the table lock: a service holding a reading's row takes the
        # table's lock after it, so waiting for the row first cannot
        # deadlock with it.
        mark_counted(start, end)
        if connection.vendor == "postgresql":
            # As surveys.services.rollup.rebuild_from: a writer that has
            # upserted holds ROW EXCLUSIVE until it commits, and the SELECTs
            # below see its reading; one that has not upserted yet is not
            # committed, so they see the reading as it was counted, and its
            # upsert, waiting for this commit, moves it on the fresh rows.
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        cursor.execute(
            f"DELETE FROM {table} WHERE day >= %s AND day <= %s",  # noqa: S608
            [
                connection.ops.adapt_datefield_value(start),
                connection.ops.adapt_datefield_value(end),
            ],
        )
        for dimension in DIMENSIONS:
            for themed in (False, True):
                counts = grouped(dimension, start, end, themed=themed)
                select, select_params = counts.query.sql_with_params()
                key = THEME_KEY if themed else READ_KEY
                theme = ", r_theme" if themed else ""
                cursor.execute(
                    f"INSERT INTO {table} ({', '.join([*key, *COUNTS])}) "  # noqa: S608
                    f"SELECT r_kind, %s, r_value, r_day, r_survey{theme}, "
                    "r_sentiment, r_language, r_promoters, r_passives, "
                    f"r_detractors FROM ({select}) grouped",
                    [dimension, *select_params],
                )
                written += cursor.rowcount
    return written


def mark_counted(start: date, end: date) -> None:
    """Each reading of the days is counted under its answer's band and day
    (only those that differ are written)."""
    zone = timezone.get_default_timezone()
    readings = in_days(
        CommentAnalysis.objects.annotate(
            r_day=TruncDate("response__answered_at", tzinfo=zone)
        ),
        "response__answered_at",
        start,
        end,
    )
    answer = SurveyResponse.objects.filter(pk=OuterRef("response_id"))
    readings.filter(
        ~Q(counted_band=F("response__band"))
        | ~Q(counted_day=F("r_day"))
        | Q(counted_day__isnull=True)
    ).update(
        counted_band=Subquery(answer.values("band")[:1]),
        counted_day=Subquery(
            answer.annotate(local=TruncDate("answered_at", tzinfo=zone)).values(
                "local"
            )[:1]
        ),
    )


def in_days(
    rows: QuerySet[Any], field: str, start: date | None, end: date | None
) -> QuerySet[Any]:
    """`rows` whose local day (annotated r_day) is in the days; the wider
    instant range lets an index narrow them first."""
    zone = timezone.get_default_timezone()
    if start is not None:
        since = datetime.combine(start - timedelta(days=1), time.min, tzinfo=zone)
        rows = rows.filter(**{f"{field}__gte": since}, r_day__gte=start)
    if end is not None:
        until = datetime.combine(end + timedelta(days=2), time.min, tzinfo=zone)
        rows = rows.filter(**{f"{field}__lt": until}, r_day__lte=end)
    return rows


def grouped(
    dimension: str, start: date | None, end: date | None, *, themed: bool
) -> QuerySet[Any, dict[str, Any]]:
    """The band counts of the read comments (with `themed`, of their present
    themes) per key, counted by the database from the answers."""
    zone = timezone.get_default_timezone()
    prefix = "analysis__response__" if themed else "response__"
    analysis = "analysis__" if themed else ""
    rows: QuerySet[Any] = (
        CommentTheme.objects.filter(is_present=True)
        if themed
        else CommentAnalysis.objects.all()
    )
    rows = rows.annotate(
        r_kind=F(f"{prefix}kind"),
        r_day=TruncDate(f"{prefix}answered_at", tzinfo=zone),
        r_survey=F(f"{prefix}survey_id"),
        r_value=prefixed_value(dimension, prefix),
        r_sentiment=Coalesce(
            NullIf(F(f"{analysis}corrected_label"), Value("")), F(f"{analysis}label")
        ),
        r_language=F(f"{analysis}language"),
    )
    if themed:
        rows = rows.annotate(r_theme=F("theme_id"))
    rows = in_days(rows, f"{prefix}answered_at", start, end)
    names = ["r_kind", "r_day", "r_survey", "r_value", "r_sentiment", "r_language"]
    if themed:
        names.append("r_theme")
    band = f"{prefix}band"
    counts: QuerySet[Any, dict[str, Any]] = (
        rows.values(*names)
        .annotate(
            r_promoters=Count("pk", filter=Q(**{band: Band.PROMOTER})),
            r_passives=Count("pk", filter=Q(**{band: Band.PASSIVE})),
            r_detractors=Count("pk", filter=Q(**{band: Band.DETRACTOR})),
        )
        .order_by()
    )
    return counts


def prefixed_value(dimension: str, prefix: str) -> Expression | F | Value:
    """surveys.services.rollup.value_expression, on the answer at `prefix`."""
    if dimension == "all":
        return Value("")
    touchpoint = Coalesce(Cast(f"{prefix}touchpoint_id", CharField()), Value(""))
    if dimension == "touchpoint":
        return touchpoint
    if dimension == "journey":
        return Concat(
            F(f"{prefix}stage"), Value("/"), touchpoint, output_field=CharField()
        )
    return F(f"{prefix}{dimension}")


def stored_rows() -> list[RollupRow]:
    """The rollup's rows that count something, in key order (a missing theme
    first)."""
    rows = CommentRollup.objects.exclude(promoters=0, passives=0, detractors=0)
    return sorted(
        rows.values_list(*READ_KEY[:5], "theme_id", *READ_KEY[5:], *COUNTS),
        key=row_order,
    )


def recomputed_rows() -> list[RollupRow]:
    """What the rollup should hold, recomputed from the answers and their
    readings (read only): equal to `stored_rows()` whenever it is right."""
    rows: list[RollupRow] = []
    for dimension in DIMENSIONS:
        for themed in (False, True):
            rows += (
                (
                    group["r_kind"],
                    dimension,
                    group["r_value"],
                    group["r_day"],
                    group["r_survey"],
                    group.get("r_theme"),
                    group["r_sentiment"],
                    group["r_language"],
                    group["r_promoters"],
                    group["r_passives"],
                    group["r_detractors"],
                )
                for group in grouped(dimension, None, None, themed=themed)
            )
    return sorted(rows, key=row_order)


def row_order(row: Iterable[Any]) -> tuple[Any, ...]:
    values = tuple(row)
    theme = values[5]
    return (*values[:5], theme is not None, theme or 0, *values[6:])
