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
from feedback import answers as answers_export
from feedback.models import Case
from lib import csv_stream
from surveys.models import SurveyResponse

CSV_CHUNK = answers_export.CSV_CHUNK

# (column, lookup, how to write the value): one list per export, so the
# header, the query and the cells cannot drift apart.
Column = tuple[str, str, Callable[[Any], object]]


def iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def as_is(value: Any) -> object:
    return value


def or_blank(value: Any) -> object:
    return "" if value is None else value


def joined(values: list[str] | None) -> str:
    return ",".join(values or [])


CUSTOMER_EXPORT: list[Column] = [
    ("id", "id", as_is),
    ("name", "name", as_is),
    ("email", "email", as_is),
    ("phone", "phone", as_is),
    ("company_id", "company_id", or_blank),
    ("company", "company__name", or_blank),
    ("company_external_id", "company__external_id", or_blank),
    ("segment", "segment", as_is),
    ("stage", "stage", as_is),
    ("language", "language", as_is),
    ("timezone", "timezone", as_is),
    ("owner", "owner__username", or_blank),
    ("external_id", "external_id", as_is),
    ("tags", "tags", joined),
    ("email_opted_out_at", "email_opted_out_at", iso),
    ("erased_at", "erased_at", iso),
    ("created_at", "created_at", iso),
    ("updated_at", "updated_at", iso),
]
CASE_EXPORT: list[Column] = [
    ("id", "id", as_is),
    ("status", "status", as_is),
    ("reason", "reason", as_is),
    ("priority", "priority", as_is),
    ("customer_id", "customer_id", as_is),
    ("customer", "customer__name", as_is),
    ("customer_email", "customer__email", as_is),
    ("response_id", "response_id", or_blank),
    ("score", "response__score", or_blank),
    ("interaction_id", "interaction_id", or_blank),
    ("owner", "owner__username", or_blank),
    ("due_at", "due_at", iso),
    ("first_contact_at", "first_contact_at", iso),
    ("contact_channel", "contact_channel", as_is),
    ("closed_at", "closed_at", iso),
    ("root_cause", "root_cause__name", or_blank),
    ("resolution", "resolution", as_is),
    ("escalation_level", "escalation_level", as_is),
    ("outcome", "outcome", as_is),
    ("created_at", "created_at", iso),
    ("updated_at", "updated_at", iso),
]
CUSTOMER_COLUMNS = [column for column, _, _ in CUSTOMER_EXPORT]
CASE_COLUMNS = [column for column, _, _ in CASE_EXPORT]


def export_lines(queryset: QuerySet[Any], columns: list[Column]) -> Iterator[str]:
    """The header, then a line per row in id order, read with values_list()
    (tuples from one joined query, no model instances), in ~64 KB pieces."""
    rows = (
        queryset.order_by("id")
        .values_list(*(lookup for _, lookup, _ in columns))
        .iterator(chunk_size=CSV_CHUNK)
    )
    writers = [write for _, _, write in columns]
    writer = csv.writer(csv_stream.Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow([column for column, _, _ in columns])
        for row in rows:
            yield writer.writerow(
                [
                    csv_stream.safe_cell(write(value))
                    for write, value in zip(writers, row, strict=True)
                ]
            )

    return csv_stream.in_pieces(lines())


def customer_lines(customers: QuerySet[Customer]) -> Iterator[str]:
    return export_lines(customers, CUSTOMER_EXPORT)


def case_lines(cases: QuerySet[Case]) -> Iterator[str]:
    return export_lines(cases, CASE_EXPORT)


def response_lines(responses: QuerySet[SurveyResponse]) -> Iterator[str]:
    """The dashboard's answers CSV: same columns, same order (newest first)."""
    return answers_export.csv_lines(responses)


EXPORTS: dict[str, Callable[[Any], Iterator[str]]] = {
    "customers": customer_lines,
    "responses": response_lines,
    "cases": case_lines,
}


def csv_response(
    name: str, queryset: QuerySet[Any], *, bom: bool
) -> StreamingHttpResponse:
    """The export `name` (customers, responses or cases) of `queryset`, as a
    download named after it and today's date; `bom` for a spreadsheet
    (lib.csv_stream.csv_download)."""
    stamp = timezone.localdate().isoformat()
    return csv_stream.csv_download(
        EXPORTS[name](queryset), filename=f"{name}-{stamp}.csv", bom=bom
    )
