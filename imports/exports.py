"""CSV exports of customers, answers and cases, streamed.

Each export is a generator of CSV lines over `queryset.iterator()`, sent in
pieces of about 64 KB: on PostgreSQL a server-side cursor hands over CSV_CHUNK
rows at a time, so the memory an export takes does not grow with the rows it
writes. Answers reuse
the dashboard's CSV (one row per answer with every dimension frozen at answer
time), and every export guards cells against formula injection the same way.

Here rather than in each app: the exports read across the three apps, and
this app sits above them all.
"""

import csv
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from customers.models import Customer
from feedback.models import Case
from feedback.views import export as answers_export
from surveys.models import SurveyResponse

CSV_CHUNK = answers_export.CSV_CHUNK

CUSTOMER_COLUMNS = [
    "id",
    "name",
    "email",
    "phone",
    "company_id",
    "company",
    "company_external_id",
    "segment",
    "stage",
    "language",
    "timezone",
    "owner",
    "external_id",
    "tags",
    "email_opted_out_at",
    "erased_at",
    "created_at",
    "updated_at",
]
CASE_COLUMNS = [
    "id",
    "status",
    "reason",
    "priority",
    "customer_id",
    "customer",
    "customer_email",
    "response_id",
    "score",
    "interaction_id",
    "owner",
    "due_at",
    "first_contact_at",
    "contact_channel",
    "closed_at",
    "root_cause",
    "resolution",
    "escalation_level",
    "outcome",
    "created_at",
    "updated_at",
]


def iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def customer_row(row: dict[str, Any]) -> list[object]:
    return [
        row["id"],
        row["name"],
        row["email"],
        row["phone"],
        row["company_id"] or "",
        row["company__name"] or "",
        row["company__external_id"] or "",
        row["segment"],
        row["stage"],
        row["language"],
        row["timezone"],
        row["owner__username"] or "",
        row["external_id"],
        ",".join(row["tags"] or []),
        iso(row["email_opted_out_at"]),
        iso(row["erased_at"]),
        iso(row["created_at"]),
        iso(row["updated_at"]),
    ]


def customer_rows(customers: QuerySet[Customer]) -> Iterator[Any]:
    # values(): plain dicts from one joined query, no model instances.
    return (
        customers.order_by("id")
        .values(
            "id",
            "name",
            "email",
            "phone",
            "company_id",
            "company__name",
            "company__external_id",
            "segment",
            "stage",
            "language",
            "timezone",
            "owner__username",
            "external_id",
            "tags",
            "email_opted_out_at",
            "erased_at",
            "created_at",
            "updated_at",
        )
        .iterator(chunk_size=CSV_CHUNK)
    )


def case_row(row: dict[str, Any]) -> list[object]:
    return [
        row["id"],
        row["status"],
        row["reason"],
        row["priority"],
        row["customer_id"],
        row["customer__name"],
        row["customer__email"],
        row["response_id"] or "",
        "" if row["response__score"] is None else row["response__score"],
        row["interaction_id"] or "",
        row["owner__username"] or "",
        iso(row["due_at"]),
        iso(row["first_contact_at"]),
        row["contact_channel"],
        iso(row["closed_at"]),
        row["root_cause__name"] or "",
        row["resolution"],
        row["escalation_level"],
        row["outcome"],
        iso(row["created_at"]),
        iso(row["updated_at"]),
    ]


def case_rows(cases: QuerySet[Case]) -> Iterator[Any]:
    return (
        cases.order_by("id")
        .values(
            "id",
            "status",
            "reason",
            "priority",
            "customer_id",
            "customer__name",
            "customer__email",
            "response_id",
            "response__score",
            "interaction_id",
            "owner__username",
            "due_at",
            "first_contact_at",
            "contact_channel",
            "closed_at",
            "root_cause__name",
            "resolution",
            "escalation_level",
            "outcome",
            "created_at",
            "updated_at",
        )
        .iterator(chunk_size=CSV_CHUNK)
    )


def lines(
    columns: list[str],
    rows: Iterator[dict[str, Any]],
    to_cells: Callable[[dict[str, Any]], list[object]],
) -> Iterator[str]:
    writer = csv.writer(answers_export.Echo())
    yield writer.writerow(columns)
    for row in rows:
        yield writer.writerow(
            [answers_export.safe_cell(cell) for cell in to_cells(row)]
        )


def pieces(
    columns: list[str],
    rows: Iterator[dict[str, Any]],
    to_cells: Callable[[dict[str, Any]], list[object]],
) -> Iterator[str]:
    return answers_export.in_pieces(lines(columns, rows, to_cells))


def customer_lines(customers: QuerySet[Customer]) -> Iterator[str]:
    return pieces(CUSTOMER_COLUMNS, customer_rows(customers), customer_row)


def case_lines(cases: QuerySet[Case]) -> Iterator[str]:
    return pieces(CASE_COLUMNS, case_rows(cases), case_row)


def response_lines(responses: QuerySet[SurveyResponse]) -> Iterator[str]:
    """The dashboard's answers CSV: same columns, same order (newest first)."""
    return answers_export.csv_lines(responses)


EXPORTS: dict[str, Callable[[Any], Iterator[str]]] = {
    "customers": customer_lines,
    "responses": response_lines,
    "cases": case_lines,
}


def csv_response(name: str, queryset: QuerySet[Any]) -> StreamingHttpResponse:
    """The export `name` (customers, responses or cases) of `queryset`, as a
    download named after it and today's date."""
    stamp = timezone.localdate().isoformat()
    return StreamingHttpResponse(
        EXPORTS[name](queryset),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"'},
    )
