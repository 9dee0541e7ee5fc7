"""The answers managers read, as the dashboard's answers list and every CSV
of answers show them (the dashboard's and the API's exports): their columns,
in one query, and the CSV streamed in constant memory."""

import csv
import itertools
from collections.abc import Iterator

from django.db.models import F, QuerySet

from feedback.forms import staff_name
from lib.csv_stream import Echo, in_pieces, safe_cell
from surveys.models import SurveyResponse
from text import serializers as text_serializers
from text.api import with_analysis


def with_columns(answers: QuerySet[SurveyResponse]) -> QuerySet[SurveyResponse]:
    """One query for a page of answers and everything the list shows."""
    return answers.select_related(
        "customer", "survey", "touchpoint", "company", "staff"
    ).annotate(case_pk=F("case__pk"))


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
    # Last, so that a reader of the columns by position keeps working: the
    # band's name on the answer's own scale ("band" is the stored code, the
    # NPS name for every kind; CSAT's "promoter" is "Satisfied").
    "band_label",
    # Then the reading of the comment (text): comment_language, sentiment,
    # themes, needs_review; blank while a comment waits to be read.
    *text_serializers.ANALYSIS_CSV_COLUMNS,
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
        staff_name(staff) if staff else "",
        getattr(response, "case_pk", None) or "",
        response.get_band_display(),
        *text_serializers.analysis_csv_cells(response),
    ]
    return [safe_cell(value) for value in values]


def csv_lines(answers: QuerySet[SurveyResponse]) -> Iterator[str]:
    writer = csv.writer(Echo())
    # iterator(): a server-side cursor on PostgreSQL, CSV_CHUNK rows in memory
    # at a time, however many answers the view holds; their comments'
    # readings in the same query, their themes in one more per chunk.
    rows = with_analysis(with_columns(answers)).order_by("-answered_at", "-id")
    lines = itertools.chain(
        [writer.writerow(CSV_COLUMNS)],
        (
            writer.writerow(csv_row(response))
            for response in rows.iterator(chunk_size=CSV_CHUNK)
        ),
    )
    return in_pieces(lines)
