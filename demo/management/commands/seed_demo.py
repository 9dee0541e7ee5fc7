"""Build a believable demo company: staff, customers and six months of history.

Idempotent. Staff are keyed by username, touchpoints and surveys by name,
companies and customers by external id ("demo-co-07", "demo-cu-042"); the
history (interactions, invitations, responses, cases) is written only for demo
customers that have none yet. Everything comes from seeded generators (one for
the company, one per customer's history) and times relative to now, so two
runs on the same day build the same company.

Rows are written with bulk_create, which skips `full_clean()`: the plan
(demo/history.py) keeps every rule the services keep (`resolved_at` set
exactly when resolved, a suppression reason exactly when suppressed, bands
from `band_for`, closed cases with a root cause and a resolution), and the
tests validate every row.
"""

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from demo.company import STAFF, seed

DEFAULT_PASSWORD = "touchloop-demo"  # noqa: S105 - printed on start, DEBUG only


class Command(BaseCommand):
    help = "Create (or complete) the demo company, with staff logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            help=f"password of every demo login (default with DEBUG on: "
            f"{DEFAULT_PASSWORD})",
        )

    def handle(self, *args: Any, password: str | None, **options: Any) -> None:
        password = resolve_password(password)
        started = time.monotonic()
        with transaction.atomic():
            counts = seed(password=password, now=timezone.now())
        seconds = time.monotonic() - started
        summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
        self.stdout.write(f"Demo data ready in {seconds:.1f} s: {summary}.")
        self.stdout.write(f"Staff login: support / {password} (Support)")
        self.stdout.write(f"Manager login: manager / {password} (Manager)")
        others = ", ".join(m.username for m in STAFF[2:])
        self.stdout.write(f"Other staff ({others}) use the same password.")


def resolve_password(password: str | None) -> str:
    if password:
        return password
    if settings.DEBUG:
        return DEFAULT_PASSWORD
    raise CommandError(
        "seed_demo creates logins with a known password; pass --password or run "
        "with DEBUG=1"
    )
