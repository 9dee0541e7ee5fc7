"""The answers behind any dashboard figure as CSV at /dashboard/answers.csv,
streamed (however many there are) and safe to open in a spreadsheet."""

import csv
import itertools
from collections.abc import Iterator

from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from feedback.views.access import manager_required
from feedback.views.answers import with_columns
from feedback.views.forms import DashboardForm, read_form
from lib.csv_stream import Echo, in_pieces, safe_cell
from surveys.models import SurveyResponse

CSV_CHUNK = 2000
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
