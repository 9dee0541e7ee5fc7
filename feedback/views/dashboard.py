"""The manager dashboard at /dashboard/.

Every page reads the same query string (feedback.metrics.filters), so a view
can be shared as a link, and a chart point, a grid cell or a row links to the
answers list (feedback.views.answers) with the same filters narrowed to it.
The figures come from the metrics functions, one query per chart; this
module only gathers them, and feedback.views.display formats them.
"""

from dataclasses import replace
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from feedback import charts
from feedback.metrics import funnel as funnels
from feedback.metrics import scores, themes
from feedback.metrics.filters import AnswerFilter, Dimension, Interval, minimum_sample
from feedback.metrics.loop import loop_metrics
from feedback.views.access import manager_required, page_context
from feedback.views.answers import detractor_comments
from feedback.views.comment_display import sentiment_table, theme_tables
from feedback.views.display import (
    CHART_RANGES,
    COMMENT_TITLES,
    SHORT_NAMES,
    band_split,
    best_and_worst,
    card,
    funnel_view,
    group_row,
    journey_grid,
    loop_view,
    pain_point_view,
    shown,
    trend_point,
)
from feedback.views.forms import read_form, shared_query, url_with
from lib import hooks
from surveys.models import Kind

BEST_AND_WORST: tuple[Dimension, ...] = ("touchpoint", "segment", "staff")
# A breakdown by company has a row per company: the page shows those with the
# most answers, the CSV export has every answer.
BREAKDOWN_ROWS = 50


@manager_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form = read_form(request)
    context = page_context(request, title=_("Dashboard"))
    context["form"] = form
    # The parts apps above add (the KPIs of pilots): HTML fragments.
    context["panels"] = hooks.gather("dashboard_panels", request=request)
    if not form.is_valid():
        return render(request, "feedback/dashboard.html", context, status=400)
    answers = form.answer_filter()
    form.show_range(answers)
    query = shared_query(request)
    context.update(
        dashboard_figures(
            answers,
            interval=form.chosen_interval,
            interval_label=form.choice_label("interval", form.chosen_interval),
            by=form.dimension,
            query=query,
        ),
        by_label=form.choice_label("by", form.dimension),
        answers_url=url_with("dashboard:answers", query),
        csv_url=url_with("dashboard:answers-csv", query),
    )
    return render(request, "feedback/dashboard.html", context)


def dashboard_figures(
    answers: AnswerFilter,
    *,
    interval: Interval,
    interval_label: str,
    by: Dimension | None,
    query: QueryDict,
) -> dict[str, Any]:
    """Everything the dashboard shows for `answers`, ready to print."""
    # The other kinds' cards keep the filters but not the survey, which asks
    # one kind only (their links drop it too).
    headlines = {answers.kind: scores.headline(answers)}
    for kind in Kind.values:
        if kind != answers.kind:
            headlines[kind] = scores.headline(replace(answers, kind=kind, survey=None))
    current = headlines[answers.kind]
    low, high, ticks = CHART_RANGES[answers.kind]
    periods = scores.trend(answers, interval=interval)
    cells = scores.journey(answers)
    # One count of the comments' themes for the themes and the journey.
    theme_counts = themes.count_themes(answers)
    cell_themes = themes.journey_themes(answers, counts=theme_counts)
    breakdowns = {
        # The lists show no change: the range before need not be read.
        dimension: best_and_worst(
            scores.breakdown(answers, by=dimension, with_change=False),
            dimension=dimension,
            query=query,
        )
        for dimension in BEST_AND_WORST
    }
    full_breakdown = (
        [
            group_row(group, dimension=by, query=query)
            for group in scores.breakdown(answers, by=by, limit=BREAKDOWN_ROWS)
        ]
        if by
        else None
    )
    [loop] = loop_metrics(
        cases=answers.cases(),
        start=answers.start_at,
        end=answers.end_before,
        zone=answers.zone,
    )
    band_segments = band_split(answers.kind, current)
    return {
        "answer_filter": answers,
        "kind_name": SHORT_NAMES[answers.kind],
        "interval_label": interval_label,
        "minimum": minimum_sample(),
        "cards": [
            card(
                headlines[kind],
                is_current=kind == answers.kind,
                url=url_with("dashboard:index", query, kind=kind, survey=None),
            )
            for kind in Kind.values
        ],
        "current": shown(current),
        "trend_chart": charts.line_chart(
            [trend_point(period, interval=interval, query=query) for period in periods],
            low=low,
            high=high,
            ticks=ticks,
            title=_("%(kind)s per %(interval)s, with the 95%% margin of error")
            % {"kind": SHORT_NAMES[answers.kind], "interval": interval_label},
        ),
        "band_chart": charts.stacked_bar(band_segments, title=_("Band split")),
        "band_legend": charts.legend(band_segments),
        "funnel": funnel_view(funnels.funnel(answers)),
        "journey": journey_grid(
            cells, kind=answers.kind, query=query, themes=cell_themes
        ),
        "pain_points": [
            pain_point_view(point, kind=answers.kind, query=query, themes=cell_themes)
            for point in scores.pain_points(cells)
        ],
        "sentiment": sentiment_table(
            themes.sentiment_trend(answers, interval=interval),
            interval=interval,
            query=query,
        ),
        "themes": theme_tables(
            themes.theme_figures(answers, counts=theme_counts), query=query
        ),
        "breakdowns": [
            {"title": title, **breakdowns[dimension]}
            for dimension, title in zip(
                BEST_AND_WORST,
                (_("Touchpoints"), _("Segments"), _("Staff")),
                strict=True,
            )
        ],
        "full_breakdown": full_breakdown,
        "breakdown_is_cut": full_breakdown is not None
        and len(full_breakdown) == BREAKDOWN_ROWS,
        "breakdown_rows": BREAKDOWN_ROWS,
        "loop": loop_view(loop),
        "comments": detractor_comments(answers),
        "comments_title": COMMENT_TITLES[answers.kind][0],
        "comments_empty": COMMENT_TITLES[answers.kind][1],
        "cases_url": reverse("admin:feedback_case_changelist"),
    }
