"""What the comments say, as figures: the share of each sentiment per period,
each theme's volume and impact on the score, and per journey cell its top
negative theme and the theme that drives it down.

The counts come from the database, one grouped query per figure: from the
comment rollup (text.models.CommentRollup) when its rows hold exactly the
answers asked for (as `counting.rollup_dimension` decides for the scores;
a theme filter asks which themes are mentioned together, which it does not
count), else conditional counts over the answers joined to their comment's
reading. The statistics are in `statistics` (`proportion_margin`,
`theme_impact`).
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.db.models import Count, DateField, F, Q, QuerySet, Sum, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, NullIf, Trunc

from feedback.metrics.counting import (
    BAND_COUNTS,
    ROLLUP_SUMS,
    _as_date,
    _period_of_answer,
    live_rows,
    rollup_dimension,
    rollup_rows,
)
from feedback.metrics.filters import AnswerFilter, Interval, minimum_sample
from feedback.metrics.periods import period_end, period_label, periods_between
from feedback.metrics.statistics import (
    BandCounts,
    ThemeImpact,
    proportion_margin,
    theme_impact,
)
from surveys.models import SurveyResponse
from text.models import CommentRollup, Label, Theme
from text.reading import theme_name

SENTIMENTS: tuple[str, ...] = tuple(Label.values)
NEGATIVE = str(Label.NEGATIVE)
# The label counted: a staff member's correction, else the analyser's
# (CommentAnalysis.sentiment, in SQL).
SENTIMENT = Coalesce(
    NullIf(F("analysis__corrected_label"), Value("")), "analysis__label"
)
THEME = "analysis__themes__theme_id"
# A rollup row's comments: every answer it counts has one.
ROLLUP_COMMENTS = F("promoters") + F("passives") + F("detractors")


@dataclass(frozen=True)
class SentimentShare:
    """One label's answers among those with a read comment: `share` in
    percent, `margin` its 95% margin in percentage points (None when n is
    0)."""

    label: str
    count: int
    share: float | None
    margin: float | None


@dataclass(frozen=True)
class SentimentPeriod:
    start: date
    label: str
    n: int
    low_sample: bool
    shares: list[SentimentShare]


@dataclass(frozen=True)
class ThemeFigure:
    id: int
    key: str
    name: str
    figures: ThemeImpact


@dataclass(frozen=True)
class CellThemes:
    """A journey cell's top negative theme (the one most negative comments
    mention, with how many) and the theme that drives it down most (the most
    negative impact within the cell, among themes with enough answers on
    both sides); None when there is none."""

    top_negative: ThemeFigure | None
    negative_count: int
    driver: ThemeFigure | None


def sentiment_trend(
    answers: AnswerFilter, *, interval: Interval = "week"
) -> list[SentimentPeriod]:
    """Per period of `interval` (whole periods, as `scores.trend`), the share
    of each sentiment among the answers with a read comment. In "latest"
    mode each customer counts once per period. One query."""
    if answers.start is None or answers.end is None:
        raise ValueError("A trend needs a range with both ends.")
    starts = periods_between(answers.start, answers.end, interval)
    widened = replace(answers, start=starts[0], end=period_end(starts[-1], interval))
    rollup = _comment_rollup(widened, by=None, themed=False)
    rows: QuerySet[Any, dict[str, Any]]
    if rollup is None:
        rows = (
            live_rows(widened, per=interval)
            .filter(analysis__isnull=False)
            .annotate(sentiment=SENTIMENT)
            .values(period_key=_period_of_answer(interval, widened.zone))
            .annotate(**_sentiment_counts())
        )
    else:
        rows = rollup.values(
            period_key=Trunc("day", interval, output_field=DateField())
        ).annotate(**_rollup_sentiment_counts())
    counts = {_as_date(row["period_key"], widened.zone): row for row in rows}
    return [
        sentiment_period(start, period_label(start, interval), counts.get(start, {}))
        for start in starts
    ]


def sentiment_period(
    start: date, label: str, counts: Mapping[str, int]
) -> SentimentPeriod:
    n = sum(counts.get(sentiment, 0) for sentiment in SENTIMENTS)
    return SentimentPeriod(
        start=start,
        label=label,
        n=n,
        low_sample=n < minimum_sample(),
        shares=[
            sentiment_share(sentiment, counts.get(sentiment, 0), n)
            for sentiment in SENTIMENTS
        ],
    )


def sentiment_share(label: str, count: int, n: int) -> SentimentShare:
    margin = proportion_margin(count, n)
    return SentimentShare(
        label=label,
        count=count,
        share=None if n == 0 else round(100 * count / n, 1),
        margin=None if margin is None else round(margin, 1),
    )


Cell = tuple[str, int | None]


@dataclass(frozen=True)
class ThemeCounts:
    """The counts behind the theme figures, per journey cell (stage,
    touchpoint): the bands of the answers with a read comment, and per
    active theme the bands of those mentioning it with how many of their
    comments are negative. The whole is the sum of the cells."""

    read: dict[Cell, BandCounts]
    mentioned: dict[Cell, dict[int, tuple[BandCounts, int]]]
    themes: dict[int, Theme]


def count_themes(answers: AnswerFilter) -> ThemeCounts:
    """Three queries: the read answers' bands per cell, the bands and
    negative comments per cell and theme, the active themes."""
    themes = {theme.pk: theme for theme in Theme.objects.filter(is_active=True)}
    read_rollup = _comment_rollup(answers, by="journey", themed=False)
    mention_rollup = _comment_rollup(answers, by="journey", themed=True)
    if read_rollup is not None and mention_rollup is not None:
        return _count_rolled_up_themes(read_rollup, mention_rollup, themes=themes)
    read = {
        (row["stage"], row["touchpoint_id"]): _band_counts(row)
        for row in _read(answers)
        .values("stage", "touchpoint_id")
        .annotate(**BAND_COUNTS)
    }
    mentioned: dict[Cell, dict[int, tuple[BandCounts, int]]] = defaultdict(dict)
    rows = (
        _mentions(answers)
        .annotate(sentiment=SENTIMENT)
        .values("stage", "touchpoint_id", theme_key=F(THEME))
        .annotate(**BAND_COUNTS, negative=Count("pk", filter=Q(sentiment=NEGATIVE)))
    )
    for row in rows:
        cell = (row["stage"], row["touchpoint_id"])
        mentioned[cell][row["theme_key"]] = (_band_counts(row), row["negative"])
    return ThemeCounts(read=read, mentioned=dict(mentioned), themes=themes)


def _count_rolled_up_themes(
    read_rows: QuerySet[CommentRollup],
    mention_rows: QuerySet[CommentRollup],
    *,
    themes: dict[int, Theme],
) -> ThemeCounts:
    """`count_themes` from the comment rollup's journey rows. Rows whose
    counts went back to 0 stand for no answer, as the live count has none."""
    read = {
        _cell(row["value"]): _band_counts(row)
        for row in read_rows.values("value").annotate(**ROLLUP_SUMS)
        if _band_counts(row).n
    }
    mentioned: dict[Cell, dict[int, tuple[BandCounts, int]]] = defaultdict(dict)
    rows = (
        mention_rows.filter(theme_id__in=themes)
        .values("value", "theme_id")
        # Before the sums, whose names hide the columns they add up.
        .annotate(
            negative=Coalesce(Sum(ROLLUP_COMMENTS, filter=Q(sentiment=NEGATIVE)), 0)
        )
        .annotate(**ROLLUP_SUMS)
    )
    for row in rows:
        bands = _band_counts(row)
        if bands.n:
            mentioned[_cell(row["value"])][row["theme_id"]] = (bands, row["negative"])
    return ThemeCounts(read=read, mentioned=dict(mentioned), themes=themes)


def _cell(value: str) -> Cell:
    """A journey row's cell: "usage/12", or "usage/" without a touchpoint
    (surveys.services.rollup.journey_cell)."""
    stage, _, touchpoint = value.partition("/")
    return stage, int(touchpoint) if touchpoint else None


def _comment_rollup(
    answers: AnswerFilter, *, by: str | None, themed: bool
) -> QuerySet[CommentRollup] | None:
    """The comment rollup's rows holding exactly the read comments of these
    answers (with `themed`, once per theme they mention), or None when it
    cannot answer: as the score rollup cannot (`rollup_dimension`), or a
    theme filter."""
    if answers.theme is not None:
        return None
    dimension = rollup_dimension(answers, by="journey" if by else None)
    if dimension is None:
        return None
    rows = rollup_rows(CommentRollup.objects.all(), answers, dimension=dimension)
    rows = rows.filter(theme__isnull=not themed)
    if answers.sentiment is not None:
        rows = rows.filter(sentiment=answers.sentiment)
    if answers.language is not None:
        rows = rows.filter(language=answers.language)
    return rows


def theme_figures(
    answers: AnswerFilter, *, counts: ThemeCounts | None = None
) -> list[ThemeFigure]:
    """Every active theme's volume and impact on the score among the answers
    with a read comment, most mentioned first (ties: by name). The three
    queries of `count_themes` unless `counts` are given."""
    counts = counts or count_themes(answers)
    read = sum(counts.read.values(), BandCounts())
    mentioning: dict[int, BandCounts] = defaultdict(BandCounts)
    for mentioned in counts.mentioned.values():
        for key, (bands, _negative) in mentioned.items():
            mentioning[key] += bands
    minimum = minimum_sample()
    figures = [
        ThemeFigure(
            id=theme.pk,
            key=theme.key,
            name=theme_name(theme),
            figures=theme_impact(
                answers.kind, mentioning[theme.pk], read, minimum=minimum
            ),
        )
        for theme in counts.themes.values()
    ]
    return sorted(figures, key=lambda each: (-each.figures.n, each.name))


def by_impact(figures: list[ThemeFigure]) -> list[ThemeFigure]:
    """The themes with enough answers, the one pulling the score down most
    first."""
    known = [each for each in figures if each.figures.impact is not None]
    return sorted(known, key=lambda each: (each.figures.impact or 0.0, each.name))


def journey_themes(
    answers: AnswerFilter, *, counts: ThemeCounts | None = None
) -> dict[Cell, CellThemes]:
    """Per journey cell with read comments that mention a theme, its top
    negative theme and the theme that drives it down most. The three
    queries of `count_themes` unless `counts` are given."""
    counts = counts or count_themes(answers)
    return {
        cell: cell_themes(
            answers.kind,
            counts.read.get(cell, BandCounts()),
            mentioned,
            themes=counts.themes,
        )
        for cell, mentioned in counts.mentioned.items()
    }


def cell_themes(
    kind: str,
    read: BandCounts,
    mentioned: Mapping[int, tuple[BandCounts, int]],
    *,
    themes: Mapping[int, Theme],
) -> CellThemes:
    """`mentioned`: per theme id, the bands of the cell's answers mentioning
    it and how many of their comments are negative."""
    minimum = minimum_sample()
    figures = [
        ThemeFigure(
            id=key,
            key=themes[key].key,
            name=theme_name(themes[key]),
            figures=theme_impact(kind, counts, read, minimum=minimum),
        )
        for key, (counts, _negative) in mentioned.items()
        # A theme switched off between the two queries is left out.
        if key in themes
    ]
    negative = [each for each in figures if mentioned[each.id][1]]
    negative.sort(key=lambda each: (-mentioned[each.id][1], each.name))
    drivers = [
        each
        for each in by_impact(figures)
        if each.figures.impact is not None and each.figures.impact < 0
    ]
    return CellThemes(
        top_negative=negative[0] if negative else None,
        negative_count=mentioned[negative[0].id][1] if negative else 0,
        driver=drivers[0] if drivers else None,
    )


def _read(answers: AnswerFilter) -> QuerySet[SurveyResponse]:
    """The answers counted whose comment has been read."""
    return live_rows(answers).filter(analysis__isnull=False)


def _mentions(answers: AnswerFilter) -> QuerySet[SurveyResponse]:
    """The answers counted, once per active theme their comment mentions
    (one filter() call: the theme conditions hold on the same row)."""
    return live_rows(answers).filter(
        analysis__themes__is_present=True, analysis__themes__theme__is_active=True
    )


def _sentiment_counts() -> dict[str, Any]:
    return {
        sentiment: Count("pk", filter=Q(sentiment=sentiment))
        for sentiment in SENTIMENTS
    }


def _rollup_sentiment_counts() -> dict[str, Combinable]:
    return {
        sentiment: Coalesce(Sum(ROLLUP_COMMENTS, filter=Q(sentiment=sentiment)), 0)
        for sentiment in SENTIMENTS
    }


def _band_counts(row: Mapping[str, Any]) -> BandCounts:
    return BandCounts(
        promoters=row.get("promoters") or 0,
        passives=row.get("passives") or 0,
        detractors=row.get("detractors") or 0,
    )
