"""manage.py apply_retention [--dry-run]

Apply the retention rules now (what the nightly task does), or with
--dry-run print what each rule would touch and write nothing."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from privacy.services.retention import apply_retention, dry_run


class Command(BaseCommand):
    help = (
        "Apply the retention rules (Privacy › Retention rules in the admin): "
        "delete or anonymise what is older than each rule's age. --dry-run "
        "only counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print what each rule would touch; write nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        outcomes = dry_run() if options["dry_run"] else apply_retention()
        if not outcomes:
            self.stdout.write(_("No retention rule is enabled."))
        for outcome in outcomes:
            self.stdout.write(f"{outcome.category}: {outcome.sentence}")
