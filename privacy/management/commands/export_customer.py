"""manage.py export_customer CUSTOMER_ID --output FILE.zip

Write one customer's access export (privacy.services.export.build_export) to
a ZIP file and print what it holds, in counts, and its sha256. The file is
written next to its final name and moved into place, so a failed run leaves
no half-written archive; the read is recorded in the access log."""

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from lib.access_log import Via, record_view
from privacy.services.erasure import is_tombstone
from privacy.services.export import build_export


class Command(BaseCommand):
    help = (
        "Export everything Touchloop holds about a customer (access and "
        "portability requests) to a ZIP file: subject.json, one CSV per kind "
        "of record, and a README in the customer's language."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("customer_id", type=int)
        parser.add_argument("--output", required=True, type=Path, metavar="FILE.zip")

    def handle(self, *args: Any, **options: Any) -> None:
        customer_id: int = options["customer_id"]
        output: Path = options["output"]
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise CommandError(
                _("No customer has the id %(id)s.") % {"id": customer_id}
            )
        if is_tombstone(customer):
            raise CommandError(
                _("Customer #%(id)s was erased: there is no one to export.")
                % {"id": customer_id}
            )
        check_writable(output)
        export = build_export(customer, now=timezone.now())
        write_atomically(output, export.data)
        record_view(None, customer, via=Via.EXPORT)
        self.stdout.write(
            _("Customer #%(id)s exported to %(path)s (%(size)s bytes).")
            % {"id": customer_id, "path": output, "size": len(export.data)}
        )
        for kind, count in export.counts.items():
            self.stdout.write(f"{kind}: {count}")
        self.stdout.write(f"withheld: {export.withheld}")
        self.stdout.write(f"sha256: {export.sha256}")


def check_writable(output: Path) -> None:
    """Before the export is built: a clear error, not a traceback, for a
    path that cannot be written."""
    folder = output.parent
    if output.is_dir():
        raise CommandError(
            _("%(path)s is a directory; give a file name.") % {"path": output}
        )
    if not folder.is_dir():
        raise CommandError(
            _("The directory %(path)s does not exist.") % {"path": folder}
        )
    if not os.access(folder, os.W_OK | os.X_OK) or (
        output.exists() and not os.access(output, os.W_OK)
    ):
        raise CommandError(_("%(path)s cannot be written.") % {"path": output})


def write_atomically(output: Path, data: bytes) -> None:
    temporary: str | None = None
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{output.name}.", dir=output.parent
        )
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o600)  # personal data: its owner's alone
        os.replace(temporary, output)
    except OSError as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise CommandError(
            _("%(path)s cannot be written: %(error)s")
            % {"path": output, "error": error.strerror or error}
        ) from error
