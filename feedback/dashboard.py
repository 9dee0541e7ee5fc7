"""The manager dashboard at /dashboard/, and the answers behind any of its
figures at /dashboard/answers/ (a page) and /dashboard/answers.csv.

Every view reads the same query string (feedback.metrics.filters), so a view
can be shared as a link, and a chart point, a grid cell or a row links to the
answers list with the same filters narrowed to it. The figures come from the
metrics functions, one query per chart; this module only arranges them.
"""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.db.models import F, Q, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from customers.models import Stage, Touchpoint
from feedback import charts
from feedback.metrics import funnel as funnels
from feedback.metrics import scores
from feedback.metrics.filters import (
    AnswerFilter,
    Dimension,
    Interval,
    MetricsQueryForm,
    minimum_sample,
)
from feedback.metrics.loop import LoopFigures, loop_metrics
from feedback.metrics.periods import period_end
from feedback.services import cases
from surveys.models import Band, Invitation, Kind, SurveyResponse

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

View = Callable[..., HttpResponseBase]

PAGE_SIZE = 50
BEST_AND_WORST: tuple[Dimension, ...] = ("touchpoint", "segment", "staff")
LATEST_COMMENTS = 10
TOP_GROUPS = 3
CSV_CHUNK = 2000
# Query-string keys that only page through the answers list.
PAGING_KEYS = ("after", "before")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Spreadsheets run a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

SHORT_NAMES: dict[str, str] = {Kind.NPS: "NPS", Kind.CSAT: "CSAT", Kind.CES: "CES"}
# The score's range and the chart's grid lines, per kind.
SCALES: dict[str, tuple[float, float, tuple[float, ...]]] = {
    Kind.NPS: (-100, 100, (-100, -50, 0, 50, 100)),
    Kind.CSAT: (0, 100, (0, 25, 50, 75, 100)),
    Kind.CES: (0, 100, (0, 25, 50, 75, 100)),
}
INTERVALS: dict[str, "StrOrPromise"] = {
    "day": gettext_lazy("day"),
    "week": gettext_lazy("week"),
    "month": gettext_lazy("month"),
    "quarter": gettext_lazy("quarter"),
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
CSV_COLUMNS = [
    "id",
    "answered_at",
    "kind",
    "score",
    "band",
    "comment",
    "language",
    "customer_id",
    "customer",
    "survey_id",
    "survey",
    "channel",
    "touchpoint_id",
    "touchpoint",
    "stage",
    "segment",
    "company_id",
    "company",
    "staff_id",
    "staff",
    "case_id",
]


class DashboardForm(MetricsQueryForm):
    """The shared query-string form, with the inputs a person fills in: a
    blank choice for every optional select, dates as date inputs, and lists
    of the (bounded) touchpoints and staff. Companies can be a million, so
    the company is a number input."""

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        fields = self.fields
        blanks = {
            "kind": "—",
            "by": "—",
            "channel": gettext_lazy("all channels"),
            "stage": gettext_lazy("all stages"),
        }
        for name, blank in blanks.items():
            field = cast(forms.ChoiceField, fields[name])
            field.choices = [("", blank), *cast(list[tuple[str, str]], field.choices)]
        survey = cast("forms.ModelChoiceField[Any]", fields["survey"])
        survey.empty_label = str(gettext_lazy("all surveys"))
        for name in ("from_", "to"):
            fields[name].widget = forms.DateInput(
                attrs={"type": "date"}, format="%Y-%m-%d"
            )
        fields["touchpoint"].widget = forms.Select(
            choices=[
                ("", gettext_lazy("all touchpoints")),
                *Touchpoint.objects.order_by("name").values_list("pk", "name"),
            ]
        )
        fields["staff"].widget = forms.Select(
            choices=[("", gettext_lazy("all staff")), *staff_choices()]
        )
        fields["company"].widget.attrs["placeholder"] = gettext_lazy("company id")
        fields["segment"].widget.attrs["size"] = 10

    def show_range(self, answers: AnswerFilter) -> None:
        """Show the dates the figures are about in the date inputs, the
        default range too; call after `is_valid()` (only the inputs change)."""
        data = cast(QueryDict, self.data).copy()
        for name, day in (("from", answers.start), ("to", answers.end)):
            data[name] = "" if day is None else day.isoformat()
        self.data = data

    def add_prefix(self, field_name: str) -> str:
        # `from` is the query-string name, `from_` the field's.
        return "from" if field_name == "from_" else super().add_prefix(field_name)


def staff_choices() -> list[tuple[int, str]]:
    users = get_user_model().objects.filter(is_staff=True).order_by("username")
    return [
        (pk, f"{first} {last}".strip() or username)
        for pk, username, first, last in users.values_list(
            "pk", "username", "first_name", "last_name"
        )
    ]


def manager_required(view: View) -> View:
    """Anonymous: to the admin's login. Logged in but not a manager: a page
    that says why (403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not cases.is_manager(request.user):
            context = page_context(request, title=_("Dashboard"))
            return render(
                request, "feedback/dashboard_forbidden.html", context, status=403
            )
        return view(request, *args, **kwargs)

    return wrapper


def page_context(request: HttpRequest, *, title: str) -> dict[str, Any]:
    """The admin's header and user tools around a page of our own."""
    return {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,
        "title": title,
    }


def read_form(request: HttpRequest) -> DashboardForm:
    """The form on the query string, with the defaults written in where a
    select shows them (they mean what an absent value means)."""
    data = request.GET.copy()
    defaults = {"interval": "week", "mode": "all"}
    if not data.get("survey"):
        defaults["kind"] = Kind.NPS
    for name, value in defaults.items():
        if not data.get(name):
            data[name] = value
    return DashboardForm(data)


def shared_query(request: HttpRequest) -> QueryDict:
    """The filters of this view, without empty values and paging: the base
    of every link it makes."""
    query = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        if key in PAGING_KEYS or key == "from_":
            continue
        kept = [value for value in values if value]
        if kept:
            query.setlist(key, kept[-1:])
    return query


def url_with(name: str, query: QueryDict, **changes: str | None) -> str:
    """The URL of view `name` with `query` changed: None removes a key.
    `from_` stands for `from` (a Python keyword)."""
    params = query.copy()
    for key, value in changes.items():
        key = "from" if key == "from_" else key
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return reverse(name) + (f"?{encoded}" if encoded else "")


@manager_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form = read_form(request)
    context = page_context(request, title=_("Dashboard"))
    context["form"] = form
    if not form.is_valid():
        return render(request, "feedback/dashboard.html", context, status=400)
    answers = form.answer_filter()
    form.show_range(answers)
    query = shared_query(request)
    context.update(
        dashboard_figures(
            answers, interval=form.chosen_interval, by=form.dimension, query=query
        )
    )
    by_choices = cast(forms.ChoiceField, form.fields["by"]).choices
    context["by_label"] = dict(cast(list[tuple[str, str]], by_choices)).get(
        form.dimension or "", ""
    )
    context["answers_url"] = url_with("dashboard:answers", query)
    context["csv_url"] = url_with("dashboard:answers-csv", query)
    return render(request, "feedback/dashboard.html", context)


def dashboard_figures(
    answers: AnswerFilter,
    *,
    interval: Interval,
    by: Dimension | None,
    query: QueryDict,
) -> dict[str, Any]:
    """Everything the dashboard shows for `answers`, ready to print."""
    minimum = minimum_sample()
    headlines = {
        kind: scores.headline(replace(answers, kind=kind)) for kind in Kind.values
    }
    current = headlines[answers.kind]
    low, high, ticks = SCALES[answers.kind]
    periods = scores.trend(answers, interval=interval)
    cells = scores.journey(answers)
    breakdowns = {
        dimension: best_and_worst(
            scores.breakdown(answers, by=dimension), dimension=dimension, query=query
        )
        for dimension in BEST_AND_WORST
    }
    full_breakdown = (
        [
            group_row(group, dimension=by, query=query)
            for group in scores.breakdown(answers, by=by)
        ]
        if by
        else None
    )
    loop = loop_metrics(
        start=answers.start_at, end=answers.end_before, zone=answers.zone
    )[0]
    band_segments = band_split(answers.kind, current)
    return {
        "answer_filter": answers,
        "kind_name": SHORT_NAMES[answers.kind],
        "minimum": minimum,
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
            % {"kind": SHORT_NAMES[answers.kind], "interval": INTERVALS[interval]},
        ),
        "band_chart": charts.stacked_bar(band_segments, title=_("Band split")),
        "band_legend": charts.legend(band_segments),
        "funnel": funnel_view(funnels.funnel(answers)),
        "journey": journey_grid(cells, kind=answers.kind, query=query),
        "pain_points": [
            {
                "cell": cell_view(point.cell, kind=answers.kind, query=query),
                "impact": charts.number(100 * point.impact),
                "negative_share": percent(point.cell.figures.negative_share),
            }
            for point in scores.pain_points(cells)
        ],
        "breakdowns": [
            {"title": title, **breakdowns[dimension]}
            for dimension, title in zip(
                BEST_AND_WORST,
                (_("Touchpoints"), _("Segments"), _("Staff")),
                strict=True,
            )
        ],
        "full_breakdown": full_breakdown,
        "loop": loop_view(loop),
        "comments": detractor_comments(answers),
        "cases_url": reverse("admin:feedback_case_changelist"),
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


def shown(figures: scores.Score) -> Shown:
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


def card(figures: scores.Score, *, is_current: bool, url: str) -> dict[str, Any]:
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


def band_split(kind: str, figures: scores.Score) -> list[charts.Segment]:
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
    rate = figures.response_rate
    return {
        "chart": charts.funnel_bars(bars, title=_("Response funnel")),
        "figures": figures,
        "response_rate": "" if rate is None else f"{charts.number(rate)}%",
    }


def cell_view(
    cell: scores.JourneyCell, *, kind: str, query: QueryDict
) -> dict[str, Any]:
    figures = cell.figures
    low, high, _ticks = SCALES[kind]
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
    }


def stage_label(stage: str) -> str:
    return str(Stage(stage).label) if stage in Stage.values else _("no stage")


def journey_grid(
    cells: list[scores.JourneyCell], *, kind: str, query: QueryDict
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
                    cell_view(by_position[touchpoint, stage], kind=kind, query=query)
                    if (touchpoint, stage) in by_position
                    else None
                    for stage in stages
                ],
            }
            for touchpoint, label in ordered
        ],
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
    """The best and worst TOP_GROUPS groups, from those with enough answers
    when there are any (a group of two answers is best or worst by chance)."""
    scored = [group for group in groups if group.figures.score is not None]
    sure = [group for group in scored if not group.figures.low_sample]
    candidates = sure or scored
    best = candidates[:TOP_GROUPS]
    worst = [group for group in reversed(candidates) if group not in best]
    return {
        "best": [group_row(g, dimension=dimension, query=query) for g in best],
        "worst": [
            group_row(g, dimension=dimension, query=query) for g in worst[:TOP_GROUPS]
        ],
        "only_low_sample": bool(scored) and not sure,
    }


def percent(share: float | None) -> str:
    return "" if share is None else f"{charts.number(100 * share)}%"


def loop_view(figures: LoopFigures) -> dict[str, Any]:
    def pct(value: float | None) -> str:
        return "" if value is None else f"{charts.number(value)}%"

    hours = figures.median_hours_to_first_contact
    return {
        "opened": figures.opened,
        "median_hours": "" if hours is None else charts.number(hours),
        "contacted": figures.contacted,
        "within_deadline": pct(figures.contacted_within_deadline_pct),
        "deadline_counted": figures.deadline_counted,
        "closed": pct(figures.closed_pct),
        "loop_closure": pct(figures.loop_closure_rate_pct),
        "from_responses": figures.from_responses,
        "recovery": pct(figures.recovery_rate_pct),
        "outcomes_known": figures.outcomes_known,
    }


def with_columns(answers: QuerySet[SurveyResponse]) -> QuerySet[SurveyResponse]:
    """One query for a page of answers and everything the list shows."""
    return answers.select_related(
        "customer", "survey", "touchpoint", "company", "staff"
    ).annotate(case_pk=F("case__pk"))


def detractor_comments(answers: AnswerFilter) -> list[SurveyResponse]:
    latest = (
        answers.selected()
        .filter(band=Band.DETRACTOR)
        .exclude(comment="")
        .order_by("-answered_at", "-id")
    )
    return list(with_columns(latest)[:LATEST_COMMENTS])


def cursor_of(response: SurveyResponse) -> str:
    microseconds = (response.answered_at - EPOCH) // timedelta(microseconds=1)
    return f"{microseconds}.{response.pk}"


def parse_cursor(value: str) -> tuple[datetime, int] | None:
    microseconds, _dot, pk = value.partition(".")
    try:
        moment = EPOCH + timedelta(microseconds=int(microseconds))
        return moment, int(pk)
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class AnswerPage:
    rows: list[SurveyResponse]
    next_cursor: str
    previous_cursor: str


def answer_page(
    answers: QuerySet[SurveyResponse], *, after: str = "", before: str = ""
) -> AnswerPage | None:
    """PAGE_SIZE answers, newest first, after or before a cursor (keyset
    paging: no COUNT, no OFFSET, one query a page). None for a bad cursor."""
    cursor = parse_cursor(before or after) if (before or after) else None
    if (before or after) and cursor is None:
        return None
    answers = with_columns(answers)
    if before and cursor is not None:
        moment, pk = cursor
        newer = answers.filter(
            Q(answered_at__gt=moment) | Q(answered_at=moment, id__gt=pk)
        ).order_by("answered_at", "id")
        rows = list(newer[: PAGE_SIZE + 1])
        has_previous = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE][::-1]
        has_next = True
    else:
        if cursor is not None:
            moment, pk = cursor
            answers = answers.filter(
                Q(answered_at__lt=moment) | Q(answered_at=moment, id__lt=pk)
            )
        rows = list(answers.order_by("-answered_at", "-id")[: PAGE_SIZE + 1])
        has_next = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        has_previous = cursor is not None
    return AnswerPage(
        rows=rows,
        next_cursor=cursor_of(rows[-1]) if has_next and rows else "",
        previous_cursor=cursor_of(rows[0]) if has_previous and rows else "",
    )


@manager_required
def answers_list(request: HttpRequest) -> HttpResponse:
    form = read_form(request)
    context = page_context(request, title=_("Answers"))
    context["form"] = form
    query = shared_query(request)
    context["dashboard_url"] = url_with("dashboard:index", query)
    if not form.is_valid():
        return render(request, "feedback/answers.html", context, status=400)
    answers = form.answer_filter()
    form.show_range(answers)
    page = answer_page(
        answers.selected(),
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    if page is None:
        context["page_error"] = _(
            "This page link is broken. Start again from the first page."
        )
        context["first_url"] = url_with("dashboard:answers", query)
        return render(request, "feedback/answers.html", context, status=400)
    context.update(
        answer_filter=answers,
        kind_name=SHORT_NAMES[answers.kind],
        page=page,
        next_url=url_with("dashboard:answers", query, after=page.next_cursor)
        if page.next_cursor
        else "",
        previous_url=url_with("dashboard:answers", query, before=page.previous_cursor)
        if page.previous_cursor
        else "",
        csv_url=url_with("dashboard:answers-csv", query),
    )
    return render(request, "feedback/answers.html", context)


class Echo:
    """A file that hands back what is written, for csv.writer to stream."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula, quoted to stay text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(response: SurveyResponse) -> list[object]:
    staff = response.staff
    values: list[object] = [
        response.pk,
        response.answered_at.isoformat(),
        response.kind,
        response.score,
        response.band,
        response.comment,
        response.language,
        response.customer_id,
        response.customer.name,
        response.survey_id,
        response.survey.name,
        response.channel,
        response.touchpoint_id or "",
        response.touchpoint.name if response.touchpoint else "",
        response.stage,
        response.segment,
        response.company_id or "",
        response.company.name if response.company else "",
        response.staff_id or "",
        staff.get_username() if staff else "",
        getattr(response, "case_pk", None) or "",
    ]
    return [safe_cell(value) for value in values]


def csv_lines(answers: QuerySet[SurveyResponse]) -> Iterator[str]:
    writer = csv.writer(Echo())
    yield writer.writerow(CSV_COLUMNS)
    # iterator(): a server-side cursor on PostgreSQL, CSV_CHUNK rows in memory
    # at a time, however many answers the view holds.
    rows = with_columns(answers).order_by("-answered_at", "-id")
    for response in rows.iterator(chunk_size=CSV_CHUNK):
        yield writer.writerow(csv_row(response))


@manager_required
def answers_csv(request: HttpRequest) -> HttpResponseBase:
    form = read_form(request)
    if not form.is_valid():
        lines = [
            f"{'from' if name == 'from_' else name}: {' '.join(map(str, errors))}"
            for name, errors in form.errors.items()
        ]
        return HttpResponse(
            "\n".join(lines), status=400, content_type="text/plain; charset=utf-8"
        )
    answers = form.answer_filter()
    name = f"answers-{answers.kind}-{answers.start}-{answers.end}.csv"
    return StreamingHttpResponse(
        csv_lines(answers.selected()),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
