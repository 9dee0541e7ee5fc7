"""Importing customers from CSV: a row whose email (ignoring case) or
external id matches a customer updates it, whether that customer existed or
came from an earlier row of the same file; see `imports.services`."""

import itertools
from datetime import datetime
from typing import IO

from django.contrib.auth.models import User
from django.core.files import File
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import consent
from customers.models import SUPPRESSED_MESSAGE, Company, Customer, SuppressedAddress
from imports import pipeline
from imports.pipeline import (
    CUSTOMER_FIELDS,
    FOREIGN_KEYS,
    ChunkResult,
    ImportReport,
    Lookup,
    MappingError,
    Row,
    chunked,
    clean_field,
    clean_tags,
    conflict_rows,
    fields_by_column,
    lines_of,
    record_chunk,
    resolve_user,
    to_row,
    update_by_id,
)
from imports.reading import CsvFile, Record


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
            if "jurisdiction" in row.cells:
                # A country code is a country code whatever its case.
                row.cells["jurisdiction"] = row.cells["jurisdiction"].strip().upper()
            for name in ("timezone", "external_id", "jurisdiction"):
                clean_field(row, Customer, name)
            clean_tags(row)
            clean_survey_consent(row)
            if "email" in row.values:
                row.values["email"] = row.values["email"].strip()
        self.refuse_suppressed(rows)
        resolve_user(rows, "owner", self.lookup)
        self.resolve_companies(rows)

    @staticmethod
    def refuse_suppressed(rows: list[Row]) -> None:
        """Rows are saved in bulk, without Customer.clean: the suppression
        list is asked here, once for the chunk."""
        emails = {
            row.values["email"]
            for row in rows
            if not row.errors and row.values.get("email")
        }
        suppressed = SuppressedAddress.objects.suppressed_among(emails)
        for row in rows:
            if not row.errors and row.values.get("email") in suppressed:
                row.fail("email", str(SUPPRESSED_MESSAGE))

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
        mapped = {
            FOREIGN_KEYS.get(name, name)
            for row in rows
            for name in row.values
            if name != SURVEY_CONSENT
        }
        # Each arm implies its unique index's predicate (<> ''), so that
        # PostgreSQL reads both indexes and ORs the bitmaps.
        matching = Customer.objects.alias(email_lower=Lower("email")).filter(
            (models.Q(email_lower__in=emails) & ~models.Q(email=""))
            | (models.Q(external_id__in=external_ids) & ~models.Q(external_id=""))
        )
        if not self.dry_run:
            # Held until the chunk commits, so that a change saved meanwhile
            # (the admin, the API) is neither lost under this file's values
            # nor written over them; no_key: rows pointing here are not blocked.
            matching = matching.select_for_update(no_key=True)
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
        # The survey consent each row gives, by the customer's (pseudo) id.
        consents: dict[int, bool] = {}
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
            if SURVEY_CONSENT in row.values:
                consents[pk] = row.values.pop(SURVEY_CONSENT)
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
            record_survey_consents(
                {real.get(pk, pk): granted for pk, granted in consents.items()},
                now=now,
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


SURVEY_CONSENT = "survey_consent"
GRANTED_WORDS = {"granted", "grant", "yes", "y", "true", "1", "opt-in", "opted in"}
WITHDRAWN_WORDS = {
    "withdrawn",
    "withdraw",
    "no",
    "n",
    "false",
    "0",
    "opt-out",
    "opted out",
}


def clean_survey_consent(row: Row) -> None:
    text = row.cells.get(SURVEY_CONSENT, "").strip().lower()
    if not text:
        return
    if text in GRANTED_WORDS:
        row.values[SURVEY_CONSENT] = True
    elif text in WITHDRAWN_WORDS:
        row.values[SURVEY_CONSENT] = False
    else:
        row.fail(
            SURVEY_CONSENT,
            _("%(value)s is neither granted nor withdrawn (yes / no).")
            % {"value": repr(text)},
        )


def record_survey_consents(granted_by_id: dict[int, bool], *, now: datetime) -> None:
    """A grant or withdrawal of survey consent (source "import") for each
    customer whose row gives one that differs from their consent now: the
    same file imported twice records nothing the second time. The states
    in one query; then a few queries per change (a withdrawal cancels the
    customer's pending mail)."""
    if not granted_by_id:
        return
    state = consent.consent_annotation(consent.Purpose.SURVEYS)
    customers = consent.with_consent(Customer.objects.filter(pk__in=granted_by_id))
    for customer in customers:
        granted = granted_by_id[customer.pk]
        if getattr(customer, state) != granted:
            consent.record_consent(
                customer,
                purpose=consent.Purpose.SURVEYS,
                granted=granted,
                source=consent.Source.IMPORT,
                now=now,
            )


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
    for records in chunked(csv_file, pipeline.CHUNK):
        record_chunk(report, importer.run(records))
    return report
