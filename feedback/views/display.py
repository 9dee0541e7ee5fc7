"""The dashboard's figures as the page prints them: formatted numbers,
charts, the journey grid, the best and worst groups, each with the link to
the answers behind it."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from customers.models import Stage
from feedback import charts
from feedback.metrics import funnel as funnels
from feedback.metrics import scores
from feedback.metrics.filters import Interval
from feedback.metrics.loop import LoopFigures
from feedback.metrics.periods import period_end
from feedback.metrics.statistics import Score
from feedback.metrics.themes import CellThemes
from feedback.views.comment_display import cell_theme, driving_theme
from feedback.views.forms import url_with
from surveys.models import Invitation, Kind

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

TOP_GROUPS = 3

SHORT_NAMES: dict[str, str] = {Kind.NPS: "NPS", Kind.CSAT: "CSAT", Kind.CES: "CES"}
# The score's range and the chart's grid lines, per kind.
CHART_RANGES: dict[str, tuple[float, float, tuple[float, ...]]] = {
    Kind.NPS: (-100, 100, (-100, -50, 0, 50, 100)),
    Kind.CSAT: (0, 100, (0, 25, 50, 75, 100)),
    Kind.CES: (0, 100, (0, 25, 50, 75, 100)),
}
# The three bands' names per kind: CSAT and CES have no "promoters".
BAND_NAMES: dict[str, tuple["StrOrPromise", "StrOrPromise", "StrOrPromise"]] = {
    Kind.NPS: (
        gettext_lazy("Promoters (9–10)"),
        gettext_lazy("Passives (7–8)"),
        gettext_lazy("Detractors (0–6)"),
    ),
    Kind.CSAT: (
        gettext_lazy("Satisfied (4–5)"),
        gettext_lazy("Neutral (3)"),
        gettext_lazy("Dissatisfied (1–2)"),
    ),
    Kind.CES: (
        gettext_lazy("Easy (5–7)"),
        gettext_lazy("Neutral (4)"),
        gettext_lazy("Difficult (1–3)"),
    ),
}


# The heading of the latest comments of the kind's negative band, and the note
# when there are none: a CSAT or CES answer has no "detractors".
COMMENT_TITLES: dict[str, tuple["StrOrPromise", "StrOrPromise"]] = {
    Kind.NPS: (
        gettext_lazy("Latest detractor comments"),
        gettext_lazy("No detractor comments in this range."),
    ),
    Kind.CSAT: (
        gettext_lazy("Latest dissatisfied comments"),
        gettext_lazy("No dissatisfied comments in this range."),
    ),
    Kind.CES: (
        gettext_lazy("Latest difficult-effort comments"),
        gettext_lazy("No difficult-effort comments in this range."),
    ),
}


@dataclass(frozen=True)
class Shown:
    """A Score as the page prints it: one decimal in every language."""

    score: str
    margin: str
    n: int
    change: str
    arrow: str
    is_significant: bool | None
    is_low_sample: bool
    is_empty: bool


def shown(figures: Score) -> Shown:
    change = figures.change
    if change is None:
        arrow = ""
    elif change > 0:
        arrow = "▲"
    elif change < 0:
        arrow = "▼"
    else:
        arrow = "→"
    return Shown(
        score="" if figures.score is None else charts.number(figures.score),
        margin="" if figures.margin is None else f"±{charts.number(figures.margin)}",
        n=figures.n,
        change="" if change is None else f"{change:+.1f}",
        arrow=arrow,
        is_significant=figures.is_significant,
        is_low_sample=figures.low_sample,
        is_empty=figures.n == 0,
    )


def percent(points: float | None) -> str:
    """A percentage given in points: 57.14 → "57.1%"; None → ""."""
    return "" if points is None else f"{charts.number(points)}%"


def card(figures: Score, *, is_current: bool, url: str) -> dict[str, Any]:
    return {
        "name": SHORT_NAMES[figures.kind],
        "label": Kind(figures.kind).label,
        "figures": shown(figures),
        "is_current": is_current,
        "url": url,
    }


def trend_point(
    period: scores.Period, *, interval: Interval, query: QueryDict
) -> charts.Point:
    figures = period.figures
    # A trend counts whole periods, also where they stick out of the range:
    # the point's answers are its period's.
    first, last = period.start, period_end(period.start, interval)
    view = shown(figures)
    if figures.score is None:
        title = _("%(period)s: no answers") % {"period": period.label}
    else:
        title = ngettext(
            "%(period)s: %(score)s %(margin)s (%(n)s answer)",
            "%(period)s: %(score)s %(margin)s (%(n)s answers)",
            figures.n,
        ) % {
            "period": period.label,
            "score": view.score,
            "margin": view.margin,
            "n": figures.n,
        }
        if figures.low_sample:
            title += " — " + _("low sample")
    low = high = None
    if figures.score is not None and figures.margin is not None:
        low, high = figures.score - figures.margin, figures.score + figures.margin
    return charts.Point(
        label=period.label,
        value=figures.score,
        low=low,
        high=high,
        url=url_with(
            "dashboard:answers",
            query,
            from_=first.isoformat(),
            to=last.isoformat(),
        )
        if figures.n
        else "",
        title=title,
        is_low_sample=figures.low_sample,
    )


def band_split(kind: str, figures: Score) -> list[charts.Segment]:
    positive, neutral, negative = BAND_NAMES[kind]
    return [
        charts.Segment(str(positive), figures.promoters, charts.PROMOTER_COLOR),
        charts.Segment(str(neutral), figures.passives, charts.PASSIVE_COLOR),
        charts.Segment(str(negative), figures.detractors, charts.DETRACTOR_COLOR),
    ]


def funnel_view(figures: funnels.Funnel) -> dict[str, Any]:
    reasons = dict(Invitation.SuppressedReason.choices)
    bars = [
        charts.Bar(_("Planned"), figures.scheduled, "#7a8793"),
        charts.Bar(_("Held back"), figures.suppressed_total, "#c9a227"),
        *(
            charts.Bar(str(reasons.get(reason, reason)), count, "#e0c766", True)
            for reason, count in sorted(
                figures.suppressed.items(), key=lambda item: (-item[1], item[0])
            )
        ),
        charts.Bar(_("Sent"), figures.sent, "#1f5f8b"),
        charts.Bar(pgettext("survey mail", "Opened"), figures.opened, "#3f86b8"),
        charts.Bar(_("Answered"), figures.answered, charts.PROMOTER_COLOR),
    ]
    return {
        "chart": charts.funnel_bars(bars, title=_("Response funnel")),
        "figures": figures,
        "response_rate": percent(figures.response_rate),
    }


def cell_view(
    cell: scores.JourneyCell,
    *,
    kind: str,
    query: QueryDict,
    themes: Mapping[tuple[str, int | None], CellThemes] | None = None,
) -> dict[str, Any]:
    figures = cell.figures
    low, high, _ticks = CHART_RANGES[kind]
    color = ""
    if figures.score is not None and not figures.low_sample:
        color = charts.heat_color(figures.score, low=low, high=high)
    # The filter has no "none" value: cells without a stage or touchpoint
    # cannot be narrowed to, and get no link rather than a wrong one.
    url = ""
    if cell.stage and cell.touchpoint is not None:
        url = url_with(
            "dashboard:answers",
            query,
            stage=cell.stage,
            touchpoint=str(cell.touchpoint),
        )
    return {
        "stage": cell.stage,
        "stage_label": stage_label(cell.stage),
        "touchpoint_label": cell.touchpoint_label
        if cell.touchpoint is not None
        else _("no touchpoint"),
        "figures": shown(figures),
        "color": color,
        "url": url,
        "top_negative_theme": cell_theme(
            (themes or {}).get((cell.stage, cell.touchpoint)), url=url
        ),
        "driving_theme": driving_theme(
            (themes or {}).get((cell.stage, cell.touchpoint)), url=url
        ),
    }


def stage_label(stage: str) -> str:
    return str(Stage(stage).label) if stage in Stage.values else _("no stage")


def journey_grid(
    cells: list[scores.JourneyCell],
    *,
    kind: str,
    query: QueryDict,
    themes: Mapping[tuple[str, int | None], CellThemes] | None = None,
) -> dict[str, Any]:
    """Stages as columns (journey order, a "no stage" column when needed),
    touchpoints as rows (by name, "no touchpoint" last)."""
    stages: list[str] = list(Stage.values)
    if any(cell.stage not in Stage.values for cell in cells):
        stages.append("")
    by_position = {(cell.touchpoint, cell.stage): cell for cell in cells}
    rows: dict[int | None, str] = {}
    for cell in cells:
        rows.setdefault(cell.touchpoint, cell.touchpoint_label)
    ordered = sorted(rows.items(), key=lambda row: (row[0] is None, row[1].lower()))
    return {
        "columns": [stage_label(stage) for stage in stages],
        "rows": [
            {
                "label": label if touchpoint is not None else _("no touchpoint"),
                "cells": [
                    cell_view(
                        by_position[touchpoint, stage],
                        kind=kind,
                        query=query,
                        themes=themes,
                    )
                    if (touchpoint, stage) in by_position
                    else None
                    for stage in stages
                ],
            }
            for touchpoint, label in ordered
        ],
    }


def pain_point_view(
    point: scores.PainPoint,
    *,
    kind: str,
    query: QueryDict,
    themes: Mapping[tuple[str, int | None], CellThemes] | None = None,
) -> dict[str, Any]:
    share = point.cell.figures.negative_share
    return {
        "cell": cell_view(point.cell, kind=kind, query=query, themes=themes),
        "impact": percent(100 * point.impact),
        "negative_share": percent(None if share is None else 100 * share),
        "negative_count": point.cell.figures.detractors,
        "n": point.cell.figures.n,
    }


def group_row(
    group: scores.Group, *, dimension: str, query: QueryDict
) -> dict[str, Any]:
    url = ""
    if group.key not in (None, ""):
        url = url_with("dashboard:answers", query, **{dimension: str(group.key)})
    return {
        "label": group.label or _("none"),
        "figures": shown(group.figures),
        "url": url,
    }


def best_and_worst(
    groups: list[scores.Group], *, dimension: str, query: QueryDict
) -> dict[str, Any]:
    """The best and the worst groups among those with enough answers (a
    group of two answers is best or worst by chance), never overlapping: up
    to TOP_GROUPS each, half of them each when there are fewer. The groups
    with a low sample follow, worst first, each with its n and its flag, so
    that a bad group is never hidden because it is small. `groups` is in
    breakdown order (best first)."""
    scored = [group for group in groups if group.figures.score is not None]
    sure = [group for group in scored if not group.figures.low_sample]
    best = sure[: min(TOP_GROUPS, (len(sure) + 1) // 2)]
    worst = list(reversed(sure[len(best) :]))[:TOP_GROUPS]
    small = list(reversed([group for group in scored if group.figures.low_sample]))
    return {
        "best": [group_row(g, dimension=dimension, query=query) for g in best],
        "worst": [group_row(g, dimension=dimension, query=query) for g in worst],
        "low_sample": [
            group_row(g, dimension=dimension, query=query) for g in small[:TOP_GROUPS]
        ],
        "low_sample_more": max(0, len(small) - TOP_GROUPS),
        "more_url": url_with("dashboard:index", query, by=dimension) + "#breakdown",
        "only_one_sure": len(sure) == 1,
        "only_low_sample": bool(scored) and not sure,
    }


def loop_view(figures: LoopFigures) -> dict[str, Any]:
    hours = figures.median_hours_to_first_contact
    return {
        "opened": figures.opened,
        "median_hours": "" if hours is None else charts.number(hours),
        "contacted": figures.contacted,
        "within_deadline": percent(figures.contacted_within_deadline_pct),
        "deadline_counted": figures.deadline_counted,
        "closed": percent(figures.closed_pct),
        "loop_closure": percent(figures.loop_closure_rate_pct),
        "from_responses": figures.from_responses,
        "recovery": percent(figures.recovery_rate_pct),
        "outcomes_known": figures.outcomes_known,
    }
