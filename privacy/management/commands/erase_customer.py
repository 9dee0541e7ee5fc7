"""manage.py erase_customer CUSTOMER_ID [--mode anonymise|delete]

Erase one customer (privacy.services.erasure.erase_customer) and print what
was done, in counts. Running it again for the same id says it was erased
already; an id that never was a customer is an error."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from privacy.models import ErasureRecord, PrivacyRequest, customer_digest_of
from privacy.services.erasure import erase_customer


class Command(BaseCommand):
    help = (
        "Erase a customer under a privacy request: anonymise (default; every "
        "statistic stays the same) or delete (their answers go too). The email "
        "goes on the suppression list either way."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("customer_id", type=int)
        parser.add_argument(
            "--mode",
            choices=PrivacyRequest.Mode.values,
            default=PrivacyRequest.Mode.ANONYMISE,
        )

    def handle(self, *args: Any, **options: Any) -> None:
        customer_id: int = options["customer_id"]
        erasure = erase_customer(customer_id, mode=options["mode"])
        if not erasure.found:
            earlier = (
                ErasureRecord.objects.filter(
                    customer_digest=customer_digest_of(customer_id)
                )
                .order_by("-erased_at")
                .first()
            )
            if earlier is None:
                raise CommandError(
                    _("No customer has the id %(id)s.") % {"id": customer_id}
                )
            self.stdout.write(
                _("Customer #%(id)s was erased already (%(mode)s, %(at)s).")
                % {
                    "id": customer_id,
                    "mode": earlier.mode,
                    "at": earlier.erased_at.isoformat(),
                }
            )
            return
        self.stdout.write(
            _("Customer #%(id)s erased (%(mode)s).")
            % {"id": customer_id, "mode": erasure.mode}
        )
        for name, count in sorted(erasure.counts.items()):
            self.stdout.write(f"{name}: {count}")
