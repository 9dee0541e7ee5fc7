"""Importing past interactions from CSV, as history; see `imports.services`."""

from typing import IO

from django.contrib.auth.models import User
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import services as customer_services
from customers.models import Customer, Interaction, Touchpoint
from imports import pipeline
from imports.pipeline import (
    INTERACTION_FIELDS,
    ChunkResult,
    ImportReport,
    Lookup,
    MappingError,
    Row,
    chunked,
    clean_datetime,
    clean_field,
    conflict_rows,
    fields_by_column,
    lines_of,
    record_chunk,
    resolve_user,
    to_row,
)
from imports.reading import CsvFile, Record


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
        resolve_user(rows, "logged_by", self.lookup)
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
    for records in chunked(csv_file, pipeline.CHUNK):
        record_chunk(report, importer.run(records))
    return report
