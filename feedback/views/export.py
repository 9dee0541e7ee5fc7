"""The answers behind any dashboard figure as CSV at /dashboard/answers.csv,
streamed (however many there are) and safe to open in a spreadsheet, Excel
included (a UTF-8 BOM)."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from feedback.answers import csv_lines
from feedback.views.access import manager_required
from feedback.views.forms import DashboardForm, read_form
from lib.access_log import Via, record_list
from lib.csv_stream import csv_download
from surveys.models import SurveyResponse


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
    selected = answers.selected()
    # Before the first byte: a download cut short was still a read.
    record_list(
        request.user,
        SurveyResponse,
        via=Via.EXPORT,
        parameters=request.GET.keys(),
        count=selected.count(),
    )
    name = f"answers-{answers.kind}-{answers.start}-{answers.end}.csv"
    # With the BOM: managers open it in a spreadsheet.
    return csv_download(csv_lines(selected), filename=name, bom=True)
