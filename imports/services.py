"""Importing customers and interactions from CSV files.

One pipeline for the admin page, the API and `manage.py import_csv`: read the
file (reading.py), map its columns to fields, validate each row with the
models' own field rules, then write the valid rows in chunks of CHUNK rows:
the keys of a chunk are looked up in a few bulk queries and its rows written
by `bulk_create` / `bulk_update` in one transaction, so that 100,000 rows take
seconds, not a query per row. A row that fails is reported with its line and
column and the others go in. A dry run does the same reads and writes nothing.

Customers merge: a row whose email (ignoring case) or external id matches a
customer updates it, whether that customer existed or came from an earlier
row of the same file. A non-empty cell overwrites the field; an empty cell
leaves it as it was (a sparse file fills gaps without blanking what is known).

Interactions are history: they are written as `customers.services` would
write them (`resolved_at` true to `status`), but by default without the
`interaction_saved` and `interaction_created` hooks, so that importing last
year's calls schedules no survey (and no suppressed invitation) for them and
sends no `interaction.created` webhook for each. `schedule_surveys=True` saves
them one by one through `customers.services.save_interaction` instead, hook
and all: slower, and meant for a small file of recent interactions.
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
from django.db import IntegrityError, connection, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from customers import services as customer_services
from customers.models import Company, Customer, Interaction, Touchpoint
from imports.reading import CsvFile, Record

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
    """Users by username, read once per import and kept."""

    def __init__(self) -> None:
        self.users: dict[str, int | None] = {}

    def user_ids(
        self, usernames: set[str], *, staff_only: bool
    ) -> dict[str, int | None]:
        missing = usernames - self.users.keys()
        if missing:
            users = User.objects.filter(username__in=missing)
            if staff_only:
                users = users.filter(is_staff=True)
            found = dict(users.values_list("username", "id"))
            for name in missing:
                self.users[name] = found.get(name)
        return {name: self.users[name] for name in usernames}


def resolve_user(
    rows: list[Row], field_name: str, lookup: Lookup, *, staff_only: bool
) -> None:
    usernames = {row.cells[field_name] for row in rows if row.cells.get(field_name)}
    ids = lookup.user_ids(usernames, staff_only=staff_only)
    for row in rows:
        name = row.cells.get(field_name)
        if not name:
            continue
        if ids[name] is None:
            message = (
                _("No staff user is called %(name)s.")
                if staff_only
                else _("No user is called %(name)s.")
            )
            row.fail(field_name, message % {"name": repr(name)})
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


# Customers


class CustomerImport:
    def __init__(self, *, columns: dict[str, str], dry_run: bool) -> None:
        self.columns = columns
        self.dry_run = dry_run
        self.lookup = Lookup()
        # Keys seen in this file → the customer's id; negative for a customer
        # a dry run would have created.
        self.by_email: dict[str, int] = {}
        self.by_external_id: dict[str, int] = {}
        self.touched: set[int] = set()
        self.pseudo_ids = itertools.count(-1, -1)

    def run(self, records: list[Record]) -> ChunkResult:
        for attempt in range(2):
            rows = [to_row(record, self.columns) for record in records]
            try:
                return self.import_chunk(rows)
            except IntegrityError:
                # A customer with one of these keys was saved meanwhile (the
                # API, another import); read the keys again and merge into it.
                if attempt == 1:
                    conflict_rows(rows)
        return ChunkResult(rows)

    def clean(self, rows: list[Row]) -> None:
        for row in rows:
            if row.errors:
                continue
            for name in ("name", "email", "phone", "segment", "stage", "language"):
                clean_field(row, Customer, name)
            for name in ("timezone", "external_id"):
                clean_field(row, Customer, name)
            clean_tags(row)
            if "email" in row.values:
                row.values["email"] = row.values["email"].strip()
        resolve_user(rows, "owner", self.lookup, staff_only=True)
        self.resolve_companies(rows)

    def resolve_companies(self, rows: list[Row]) -> None:
        names = {row.cells["company"] for row in rows if row.cells.get("company")}
        external_ids = {
            row.cells["company_external_id"]
            for row in rows
            if row.cells.get("company_external_id")
        }
        by_name: dict[str, list[int]] = {}
        for name, pk in Company.objects.filter(name__in=names).values_list(
            "name", "id"
        ):
            by_name.setdefault(name, []).append(pk)
        by_external_id = dict(
            Company.objects.filter(external_id__in=external_ids).values_list(
                "external_id", "id"
            )
        )
        for row in rows:
            if external_id := row.cells.get("company_external_id"):
                if external_id in by_external_id:
                    row.values["company_id"] = by_external_id[external_id]
                else:
                    row.fail(
                        "company_external_id",
                        _("No company has the external id %(value)s.")
                        % {"value": repr(external_id)},
                    )
            elif company_name := row.cells.get("company"):
                found = by_name.get(company_name, [])
                if len(found) == 1:
                    row.values["company_id"] = found[0]
                else:
                    message = (
                        _(
                            "Several companies are called %(name)s; "
                            "use their external id."
                        )
                        if found
                        else _("No company is called %(name)s.")
                    )
                    row.fail("company", message % {"name": repr(company_name)})

    def existing(self, rows: list[Row]) -> dict[int, Customer]:
        """The customers the chunk's keys name, in one query."""
        emails = {
            row.values["email"].lower() for row in rows if row.values.get("email")
        }
        external_ids = {
            row.values["external_id"] for row in rows if row.values.get("external_id")
        }
        if not emails and not external_ids:
            return {}
        # Only the columns an update writes or compares, not whole rows.
        mapped = {FOREIGN_KEYS.get(name, name) for row in rows for name in row.values}
        # Each arm implies its unique index's predicate (<> ''), so that
        # PostgreSQL reads both indexes and ORs the bitmaps.
        matching = Customer.objects.alias(email_lower=Lower("email")).filter(
            (models.Q(email_lower__in=emails) & ~models.Q(email=""))
            | (models.Q(external_id__in=external_ids) & ~models.Q(external_id=""))
        )
        return {
            customer.pk: customer
            for customer in matching.only(
                "id", "email", "external_id", "erased_at", *mapped
            )
        }

    @transaction.atomic
    def import_chunk(self, rows: list[Row]) -> ChunkResult:
        self.clean(rows)
        customers = self.existing(rows)
        by_email = {c.email.lower(): pk for pk, c in customers.items() if c.email}
        by_external_id = {
            c.external_id: pk for pk, c in customers.items() if c.external_id
        }
        # This file's keys win over the database's: in a dry run the database
        # has not seen this file's earlier rows.
        by_email.update(self.by_email)
        by_external_id.update(self.by_external_id)
        new: dict[int, Customer] = {}
        changed: dict[int, Customer] = {}
        changed_fields: set[str] = set()
        touched = set(self.touched)
        now = timezone.now()
        for row in rows:
            if row.errors:
                continue
            email = row.values.get("email", "").lower()
            external_id = row.values.get("external_id", "")
            matches = set()
            if email and email in by_email:
                matches.add(by_email[email])
            if external_id and external_id in by_external_id:
                matches.add(by_external_id[external_id])
            if len(matches) > 1:
                row.fail(
                    "external_id",
                    _(
                        "The email and the external id belong to two different "
                        "customers (#%(first)s and #%(second)s)."
                    )
                    % dict(zip(("first", "second"), sorted(matches), strict=True)),
                )
                continue
            pk = matches.pop() if matches else None
            if pk in customers and customers[pk].erased_at is not None:
                row.fail("", _("This customer was erased; their data stays erased."))
                continue
            if pk is None:
                if not row.values.get("name"):
                    row.fail("name", _("A new customer needs a name."))
                    continue
                pk = next(self.pseudo_ids)
                new[pk] = Customer(created_at=now, updated_at=now)
                row.action = "create"
            else:
                row.action = "merge" if pk in touched else "update"
            touched.add(pk)
            target = new.get(pk) or customers.get(pk)
            if target is not None:
                for name, value in row.values.items():
                    # The key it was found by, spelt another way, stays as is.
                    if name != "email" or target.email.lower() != email:
                        setattr(target, name, value)
                if pk in customers:
                    changed[pk] = target
                    changed_fields.update(row.values)
            if email:
                by_email[email] = pk
            if external_id:
                by_external_id[external_id] = pk
        if not self.dry_run:
            created = Customer.objects.bulk_create(list(new.values()))
            real = {
                pseudo: customer.pk
                for pseudo, customer in zip(new, created, strict=True)
            }
            if changed:
                for customer in changed.values():
                    customer.updated_at = now
                update_by_id(
                    Customer,
                    list(changed.values()),
                    sorted(changed_fields | {"updated_at"}),
                )
            touched = {real.get(pk, pk) for pk in touched}
            by_email = {key: real.get(pk, pk) for key, pk in by_email.items()}
            by_external_id = {
                key: real.get(pk, pk) for key, pk in by_external_id.items()
            }
        # Only what this file named is kept, not every key the database held.
        self.by_email.update({key: by_email[key] for key in self.file_emails(rows)})
        self.by_external_id.update(
            {key: by_external_id[key] for key in self.file_external_ids(rows)}
        )
        self.touched = touched
        return ChunkResult(rows)

    @staticmethod
    def file_emails(rows: list[Row]) -> set[str]:
        return {
            row.values["email"].lower()
            for row in rows
            if row.action and row.values.get("email")
        }

    @staticmethod
    def file_external_ids(rows: list[Row]) -> set[str]:
        return {
            row.values["external_id"]
            for row in rows
            if row.action and row.values.get("external_id")
        }


def import_customers(
    file: "IO[bytes] | File[bytes]",
    *,
    mapping: dict[str, str] | None = None,
    dry_run: bool,
    user: User | None,
) -> ImportReport:
    """Create and update customers from a CSV file; see the module's docstring.

    `mapping` names a field for each column (a column mapped to "" is left
    out); None maps columns named like fields. Raises `reading.UnreadableFileError`
    or `MappingError` when the file as a whole cannot be imported.
    """
    csv_file = CsvFile(lines_of(file))
    columns = fields_by_column(mapping, csv_file.header, CUSTOMER_FIELDS)
    if not {"name", "email", "external_id"} & columns.keys():
        raise MappingError(_("Map a column to name, email or external_id."))
    report = ImportReport(
        kind="customers",
        dry_run=dry_run,
        mapping={column: name for name, column in columns.items()},
        delimiter=csv_file.delimiter,
    )
    importer = CustomerImport(columns=columns, dry_run=dry_run)
    for records in chunked(csv_file, CHUNK):
        record_chunk(report, importer.run(records))
    return report


# Interactions


class InteractionImport:
    def __init__(
        self,
        *,
        columns: dict[str, str],
        dry_run: bool,
        user: User | None,
        schedule_surveys: bool,
    ) -> None:
        self.columns = columns
        self.dry_run = dry_run
        self.user = user
        self.schedule_surveys = schedule_surveys
        self.lookup = Lookup()
        # The catalog of touchpoints is short: read it once.
        self.touchpoints = {
            touchpoint.name: touchpoint for touchpoint in Touchpoint.objects.all()
        }

    def run(self, records: list[Record]) -> ChunkResult:
        rows = [to_row(record, self.columns) for record in records]
        try:
            return self.import_chunk(rows)
        except IntegrityError:
            # A customer or touchpoint was deleted meanwhile.
            rows = [to_row(record, self.columns) for record in records]
            conflict_rows(rows)
            return ChunkResult(rows)

    def clean(self, rows: list[Row]) -> None:
        for row in rows:
            if row.errors:
                continue
            for name in ("channel", "direction", "subject", "notes"):
                clean_field(row, Interaction, name)
            for name in ("status", "survey_mode"):
                clean_field(row, Interaction, name)
            clean_datetime(row, "occurred_at")
            if not row.cells.get("occurred_at"):
                row.fail(
                    "occurred_at", _("When did it happen? This field is required.")
                )
            if touchpoint_name := row.cells.get("touchpoint"):
                touchpoint = self.touchpoints.get(touchpoint_name)
                if touchpoint is None:
                    row.fail(
                        "touchpoint",
                        _("No touchpoint is called %(name)s.")
                        % {"name": repr(touchpoint_name)},
                    )
                else:
                    row.values["touchpoint"] = touchpoint
                    row.values.setdefault("channel", touchpoint.default_channel)
            if "channel" not in row.values and not row.errors:
                row.fail("channel", _("A channel is required (or a touchpoint)."))
        resolve_user(rows, "logged_by", self.lookup, staff_only=False)
        self.resolve_customers(rows)

    def resolve_customers(self, rows: list[Row]) -> None:
        emails = {
            row.cells["customer_email"].lower()
            for row in rows
            if row.cells.get("customer_email")
        }
        external_ids = {
            row.cells["customer_external_id"]
            for row in rows
            if row.cells.get("customer_external_id")
        }
        by_email: dict[str, int] = {}
        by_external_id: dict[str, int] = {}
        if emails:
            by_email = dict(
                Customer.objects.annotate(email_lower=Lower("email"))
                .filter(email_lower__in=emails)
                .exclude(email="")
                .values_list("email_lower", "id")
            )
        if external_ids:
            by_external_id = dict(
                Customer.objects.filter(external_id__in=external_ids)
                .exclude(external_id="")
                .values_list("external_id", "id")
            )
        for row in rows:
            email = row.cells.get("customer_email", "").lower()
            external_id = row.cells.get("customer_external_id", "")
            if not email and not external_id:
                row.fail(
                    "customer_email",
                    _("Name the customer by email or external id."),
                )
                continue
            found = {by_email.get(email) if email else None}
            found.add(by_external_id.get(external_id) if external_id else None)
            found.discard(None)
            if not found:
                row.fail(
                    "customer_external_id"
                    if external_id and not email
                    else "customer_email",
                    _("No customer has this email or external id."),
                )
            elif len(found) > 1:
                row.fail(
                    "customer_external_id",
                    _(
                        "The email and the external id belong to two "
                        "different customers."
                    ),
                )
            else:
                row.values["customer_id"] = found.pop()

    @transaction.atomic
    def import_chunk(self, rows: list[Row]) -> ChunkResult:
        self.clean(rows)
        now = timezone.now()
        interactions = []
        for row in rows:
            if row.errors:
                continue
            row.action = "create"
            fields = dict(row.values)
            if "logged_by_id" not in fields:
                fields["logged_by"] = self.user
            interaction = Interaction(created_at=now, updated_at=now, **fields)
            customer_services.sync_resolved_at(interaction, now=now)
            interactions.append(interaction)
        if self.dry_run:
            return ChunkResult(rows)
        if self.schedule_surveys:
            for interaction in interactions:
                customer_services.save_interaction(interaction)
        else:
            Interaction.objects.bulk_create(interactions)
        return ChunkResult(rows)


def import_interactions(
    file: "IO[bytes] | File[bytes]",
    *,
    mapping: dict[str, str] | None = None,
    dry_run: bool,
    user: User | None,
    schedule_surveys: bool = False,
) -> ImportReport:
    """Log past interactions from a CSV file; see the module's docstring.

    Each row names its customer by `customer_email` or `customer_external_id`
    (customers are not created here: import them first). `logged_by` defaults
    to `user`. Raises `reading.UnreadableFileError` or `MappingError`.
    """
    csv_file = CsvFile(lines_of(file))
    columns = fields_by_column(mapping, csv_file.header, INTERACTION_FIELDS)
    if not {"customer_email", "customer_external_id"} & columns.keys():
        raise MappingError(_("Map a column to customer_email or customer_external_id."))
    report = ImportReport(
        kind="interactions",
        dry_run=dry_run,
        mapping={column: name for name, column in columns.items()},
        delimiter=csv_file.delimiter,
    )
    importer = InteractionImport(
        columns=columns, dry_run=dry_run, user=user, schedule_surveys=schedule_surveys
    )
    for records in chunked(csv_file, CHUNK):
        record_chunk(report, importer.run(records))
    return report
