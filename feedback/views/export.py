"""The answers behind any dashboard figure as CSV at /dashboard/answers.csv,
streamed (however many there are) and safe to open in a spreadsheet."""

import csv
import itertools
from collections.abc import Iterable, Iterator

from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from feedback.views.access import manager_required
from feedback.views.answers import with_columns
from feedback.views.forms import DashboardForm, read_form
from surveys.models import SurveyResponse

CSV_CHUNK = 2000
# A streamed response is sent a piece per item yielded: lines are gathered
# into pieces of about this many characters, not sent (and flushed) one by one.
CSV_PIECE = 64 * 1024
# Spreadsheets run a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
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


def in_pieces(lines: Iterable[str]) -> Iterator[str]:
    """The lines joined into pieces of about CSV_PIECE characters: memory
    stays one piece, however many lines."""
    piece: list[str] = []
    size = 0
    for line in lines:
        piece.append(line)
        size += len(line)
        if size >= CSV_PIECE:
            yield "".join(piece)
            piece, size = [], 0
    if piece:
        yield "".join(piece)


def csv_lines(answers: QuerySet[SurveyResponse]) -> Iterator[str]:
    writer = csv.writer(Echo())
    # iterator(): a server-side cursor on PostgreSQL, CSV_CHUNK rows in memory
    # at a time, however many answers the view holds.
    rows = with_columns(answers).order_by("-answered_at", "-id")
    lines = itertools.chain(
        [writer.writerow(CSV_COLUMNS)],
        (
            writer.writerow(csv_row(response))
            for response in rows.iterator(chunk_size=CSV_CHUNK)
        ),
    )
    return in_pieces(lines)


def error_lines(form: DashboardForm) -> list[str]:
    """The form's errors as text, a line per parameter (query-string names;
    errors about several parameters have no name)."""
    lines = []
    for name, errors in form.errors.items():
        text = " ".join(map(str, errors))
        if name == NON_FIELD_ERRORS:
            lines.append(text)
        else:
            lines.append(f"{'from' if name == 'from_' else name}: {text}")
    return lines


@manager_required
def answers_csv(request: HttpRequest) -> HttpResponseBase:
    form = read_form(request)
    if not form.is_valid():
        return HttpResponse(
            "\n".join(error_lines(form)),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    answers = form.answer_filter()
    name = f"answers-{answers.kind}-{answers.start}-{answers.end}.csv"
    return StreamingHttpResponse(
        csv_lines(answers.selected()),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
