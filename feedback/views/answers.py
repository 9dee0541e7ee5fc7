"""The answers behind any dashboard figure at /dashboard/answers/: the same
query string as the dashboard, narrowed to a point, a cell or a row, newest
first and paged by cursor."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from feedback.answers import with_columns
from feedback.metrics.filters import AnswerFilter
from feedback.views.access import manager_required, page_context
from feedback.views.comment_display import sentiment_name
from feedback.views.display import SHORT_NAMES
from feedback.views.forms import read_form, shared_query, url_with
from surveys.models import Band, SurveyResponse
from text.highlight import highlighted
from text.models import CommentTheme, comment_digest
from text.reading import theme_name

PAGE_SIZE = 50
LATEST_COMMENTS = 10
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


def with_readings(answers: QuerySet[SurveyResponse]) -> QuerySet[SurveyResponse]:
    """The comment's reading on the page's query, and the themes it mentions
    in one more query, whatever the page size."""
    present = CommentTheme.objects.filter(is_present=True).select_related("theme")
    return answers.select_related("analysis").prefetch_related(
        Prefetch("analysis__themes", queryset=present, to_attr="present_themes")
    )


@dataclass(frozen=True)
class Reading:
    """An answer's comment as the list shows it: the words that triggered
    its sentiment and themes marked, the sentiment and the themes' names in
    the reader's language."""

    comment: SafeString
    sentiment: str
    sentiment_name: str
    themes: list[str]


def reading_of(response: SurveyResponse) -> Reading | None:
    """The reading of the comment as it is now; none while an edited comment
    waits to be read again (the old reading's marks would fall on other
    characters)."""
    analysis = getattr(response, "analysis", None)
    if analysis is None or analysis.comment_digest != comment_digest(response.comment):
        return None
    themes: list[CommentTheme] = getattr(analysis, "present_themes", [])
    spans = [*analysis.spans, *(span for each in themes for span in each.spans)]
    return Reading(
        comment=highlighted(response.comment, spans),
        sentiment=analysis.sentiment,
        sentiment_name=sentiment_name(analysis.sentiment),
        themes=sorted(theme_name(each.theme) for each in themes),
    )


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
    answers = with_readings(with_columns(answers))
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
        rows=[(row, reading_of(row)) for row in page.rows],
        next_url=url_with("dashboard:answers", query, after=page.next_cursor)
        if page.next_cursor
        else "",
        previous_url=url_with("dashboard:answers", query, before=page.previous_cursor)
        if page.previous_cursor
        else "",
        csv_url=url_with("dashboard:answers-csv", query),
    )
    return render(request, "feedback/answers.html", context)
