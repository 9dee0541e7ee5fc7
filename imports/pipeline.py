"""The pipeline both CSV imports share (see `imports.services`): map columns
to fields, turn records into rows, clean cells with the models' own field
rules, resolve users, write updates in bulk and add each chunk to the report.
"""

import functools
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import IO, Any, TypeVar, cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from imports.reading import Record

M = TypeVar("M", bound=models.Model)
CHUNK = 2000
PREVIEW_ROWS = 20
# A file of garbage should not answer with a million messages.
ERROR_LIMIT = 10_000
MAX_TAGS = 50
MAX_TAG_LENGTH = 50

CUSTOMER_FIELDS = [
    "name",
    "email",
    "phone",
    "company",
    "company_external_id",
    "segment",
    "stage",
    "language",
    "timezone",
    "owner",
    "external_id",
    "tags",
    "jurisdiction",
    # Not a column of the customer: a grant or withdrawal of survey consent,
    # recorded in the consent history (source "import").
    "survey_consent",
]
INTERACTION_FIELDS = [
    "customer_email",
    "customer_external_id",
    "touchpoint",
    "channel",
    "direction",
    "subject",
    "notes",
    "occurred_at",
    "status",
    "survey_mode",
    "logged_by",
]
# Header names people write for a field, normalised (lower case, "_" for
# spaces and dashes), besides the field's own name.
ALIASES = {
    "e_mail": "email",
    "email_address": "email",
    "company_name": "company",
    "time_zone": "timezone",
    "journey_stage": "stage",
    "owner_username": "owner",
    "customer": "customer_email",
    "logged_by_username": "logged_by",
    "date": "occurred_at",
}
FOREIGN_KEYS = {"company_id": "company", "owner_id": "owner"}
CHOICE_FIELDS = {"stage", "language", "channel", "direction", "status", "survey_mode"}


class MappingError(ValueError):
    """The column mapping does not fit the file or the fields."""


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    mapping: dict[str, str]
    delimiter: str = ","
    rows: int = 0
    created: int = 0
    updated: int = 0
    merged: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)
    preview: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "mapping": self.mapping,
            "delimiter": self.delimiter,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "merged": self.merged,
            "failed": self.failed,
            "errors": [error.as_dict() for error in self.errors],
            "errors_truncated": self.failed > 0 and len(self.errors) >= ERROR_LIMIT,
            "preview": self.preview,
        }


@dataclass
class Row:
    """One record on its way in: its cells by field, and what is wrong."""

    line: int
    cells: dict[str, str]
    columns: dict[str, str]
    errors: list[RowError] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    action: str = ""

    def fail(self, field_name: str, message: str) -> None:
        self.errors.append(
            RowError(self.line, self.columns.get(field_name, ""), message)
        )


@dataclass
class ChunkResult:
    """What a chunk adds to the report, kept apart until its rows commit."""

    rows: list[Row] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)


def normalise(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def default_mapping(header: list[str], fields: list[str]) -> dict[str, str]:
    """Each column whose name is a field's name (or a usual alias) maps to it."""
    mapping: dict[str, str] = {}
    for column in header:
        key = normalise(column)
        field_name = key if key in fields else ALIASES.get(key, "")
        if field_name in fields and field_name not in mapping.values():
            mapping[column] = field_name
    return mapping


def fields_by_column(
    mapping: dict[str, str] | None, header: list[str], fields: list[str]
) -> dict[str, str]:
    """The mapping turned round (field → column), checked against the file."""
    if mapping is None:
        mapping = default_mapping(header, fields)
    columns: dict[str, str] = {}
    for column, field_name in mapping.items():
        if not field_name:
            continue  # a column left out
        if column not in header:
            raise MappingError(
                _("The file has no column %(column)s.") % {"column": repr(column)}
            )
        if field_name not in fields:
            raise MappingError(
                _("%(field)s is not a field you can import (choose from %(fields)s).")
                % {"field": repr(field_name), "fields": ", ".join(fields)}
            )
        if field_name in columns:
            raise MappingError(
                _("Two columns map to %(field)s.") % {"field": field_name}
            )
        columns[field_name] = column
    return columns


def lines_of(file: "IO[bytes] | File[bytes]") -> Iterator[bytes]:
    """The file's lines as bytes, split on \\n, \\r\\n or \\r (Django's File)."""
    wrapped = file if isinstance(file, File) else File(file)
    return iter(wrapped)


def chunked(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def to_row(record: Record, columns: dict[str, str]) -> Row:
    cells = {
        field_name: record.values.get(column, "").strip()
        for field_name, column in columns.items()
    }
    row = Row(record.line, cells, columns)
    if record.error:
        row.errors.append(RowError(record.line, "", record.error))
    return row


@functools.cache
def choice_map(
    model: type[models.Model], field_name: str, language: str
) -> dict[str, str]:
    """A field's choices by value and by label (in `language`), lower case.
    Built once: translating every label for every row costs more than the rest
    of the row's checks."""
    model_field = model._meta.get_field(field_name)
    found: dict[str, str] = {}
    for value, label in getattr(model_field, "choices", None) or []:
        found[str(label).lower()] = str(value)
        found[str(value).lower()] = str(value)
    return found


def choice_value(model: type[models.Model], field_name: str, text: str) -> str | None:
    """A choice by its value or its label, ignoring case ("Usage", "usage")."""
    return choice_map(model, field_name, get_language() or "").get(text.lower())


def clean_field(row: Row, model: type[models.Model], field_name: str) -> None:
    """The model field's own rules (length, email syntax, choices, time zone),
    none of which queries the database."""
    text = row.cells.get(field_name, "")
    if not text:
        return
    model_field = cast("models.Field[Any, Any]", model._meta.get_field(field_name))
    if field_name in CHOICE_FIELDS:
        value = choice_value(model, field_name, text)
        if value is None:
            allowed = ", ".join(
                str(value) for value, _label in model_field.choices or []
            )
            row.fail(
                field_name,
                _("%(value)s is not one of: %(allowed)s.")
                % {"value": repr(text), "allowed": allowed},
            )
            return
        text = value
    try:
        row.values[field_name] = model_field.clean(text, None)
    except ValidationError as error:
        row.fail(field_name, " ".join(error.messages))


def clean_tags(row: Row) -> None:
    text = row.cells.get("tags", "")
    if not text:
        return
    tags = [tag.strip() for tag in text.split(",") if tag.strip()]
    if len(tags) > MAX_TAGS or any(len(tag) > MAX_TAG_LENGTH for tag in tags):
        row.fail(
            "tags",
            _("At most %(count)d tags of %(length)d characters each.")
            % {"count": MAX_TAGS, "length": MAX_TAG_LENGTH},
        )
        return
    row.values["tags"] = tags


def clean_datetime(row: Row, field_name: str) -> None:
    text = row.cells.get(field_name, "")
    if not text:
        return
    try:
        moment = parse_datetime(text)
        if moment is None and (day := parse_date(text)) is not None:
            moment = datetime.combine(day, time())
    except ValueError:
        moment = None
    if moment is None:
        row.fail(
            field_name,
            _("%(value)s is not an ISO 8601 time (e.g. 2025-03-01T14:30:00+08:00).")
            % {"value": repr(text)},
        )
        return
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    row.values[field_name] = moment


class Lookup:
    """Active staff users by username, read once per import and kept."""

    def __init__(self) -> None:
        self.users: dict[str, int | None] = {}

    def user_ids(self, usernames: set[str]) -> dict[str, int | None]:
        missing = usernames - self.users.keys()
        if missing:
            # Only someone who works here may own a customer or have logged an
            # interaction: a file must not pin either on a customer's account.
            users = User.objects.filter(
                username__in=missing, is_staff=True, is_active=True
            )
            found = dict(users.values_list("username", "id"))
            for name in missing:
                self.users[name] = found.get(name)
        return {name: self.users[name] for name in usernames}


def resolve_user(rows: list[Row], field_name: str, lookup: Lookup) -> None:
    usernames = {row.cells[field_name] for row in rows if row.cells.get(field_name)}
    ids = lookup.user_ids(usernames)
    for row in rows:
        name = row.cells.get(field_name)
        if not name:
            continue
        if ids[name] is None:
            row.fail(
                field_name,
                _("No staff user is called %(name)s.") % {"name": repr(name)},
            )
        else:
            row.values[f"{field_name}_id"] = ids[name]


def update_by_id(model: type[M], objects: list[M], names: list[str]) -> None:
    """`bulk_update`, in one statement that scales on PostgreSQL.

    Django's bulk_update writes a CASE with a branch per row for each field,
    which PostgreSQL evaluates row by row: quadratic, minutes for 100,000
    rows. Here each column's new values go as one array and the rows are
    joined on the id: linear, with a short statement whatever the rows.
    Elsewhere (SQLite, the embedded default) Django's own, in small batches.
    """
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objects, names, batch_size=100)
        return
    columns: list[Any] = [
        model._meta.pk,
        *(model._meta.get_field(name) for name in names),
    ]
    table = connection.ops.quote_name(model._meta.db_table)
    quoted = [connection.ops.quote_name(field.column) for field in columns]
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in columns)
    assignments = ", ".join(f"{name} = v.{name}" for name in quoted[1:])
    # Names from the model, quoted; every value is a parameter.
    sql = (
        f"UPDATE {table} SET {assignments} FROM unnest({arrays}) "  # noqa: S608
        f"AS v({', '.join(quoted)}) WHERE {table}.{quoted[0]} = v.{quoted[0]}"
    )
    params = [
        [
            field.get_db_prep_save(getattr(obj, field.attname), connection)
            for obj in objects
        ]
        for field in columns
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def record_chunk(report: ImportReport, result: ChunkResult) -> None:
    for row in result.rows:
        report.rows += 1
        if row.errors:
            report.failed += 1
            room = ERROR_LIMIT - len(report.errors)
            report.errors.extend(row.errors[: max(room, 0)])
        if len(report.preview) < PREVIEW_ROWS:
            report.preview.append(
                {
                    "line": row.line,
                    "action": "error" if row.errors else row.action,
                    "values": row.cells,
                }
            )
    report.created += result.count("create")
    report.updated += result.count("update")
    report.merged += result.count("merge")


def conflict_rows(rows: list[Row]) -> None:
    for row in rows:
        if not row.errors:
            row.action = ""
            row.fail(
                "",
                _(
                    "This row conflicted with a change saved at the same time; "
                    "import the file again to bring it in."
                ),
            )
