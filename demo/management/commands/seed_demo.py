"""Build a believable demo company: staff, customers and six months of history.

Idempotent. Staff are keyed by username, touchpoints and surveys by name,
companies and customers by external id ("demo-co-07", "demo-cu-042"); the
history (interactions, invitations, responses, cases) is written only for demo
customers that have none yet, and a staff member's desk (demo/desk.py) only
for one who has none yet. Everything comes from seeded generators (one for
the company, one per customer's history) and times relative to now, so two
runs on the same day build the same company.

The staff logins (demo/staff.py) are created when missing, with --password
or, with DEBUG on, the demo's password. A login the demo created before keeps
its password, sessions and preferences unless --password is given; a user the
demo did not create is never changed, whatever its name. --password goes
through the password validators of every login it is set on.

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

from demo import staff
from demo.company import seed
from demo.staff import DEFAULT_PASSWORD


class Command(BaseCommand):
    help = "Create (or complete) the demo company, with staff logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            help="set this password on every demo login, also those made before "
            "(default: the logins made before keep theirs; new ones get "
            f"{DEFAULT_PASSWORD} with DEBUG on)",
        )

    def handle(self, *args: Any, password: str | None, **options: Any) -> None:
        started = time.monotonic()
        with transaction.atomic():
            roster = staff.read_roster()
            new_password = password_for_new_logins(password, roster)
            if password:
                refuse_weak(password, roster)
            team = staff.ensure_staff(
                roster, new_password=new_password, reset_password=password or None
            )
            counts = seed(staff=team.staff, now=timezone.now())
        seconds = time.monotonic() - started
        for username in roster.taken:
            self.stderr.write(
                f"{username} is a user the demo did not create: left alone, "
                f"with no demo login, customers or cases."
            )
        summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
        self.stdout.write(f"Demo data ready in {seconds:.1f} s: {summary}.")
        for login in team.logins:
            self.stdout.write(describe(login))


def password_for_new_logins(password: str | None, roster: staff.Roster) -> str | None:
    """The password of the logins about to be created, if any are."""
    if password:
        return password
    if settings.DEBUG:
        return DEFAULT_PASSWORD
    if roster.missing:
        raise CommandError(
            "seed_demo creates logins with a known password; pass --password or "
            "run with DEBUG=1"
        )
    return None


def refuse_weak(password: str, roster: staff.Roster) -> None:
    problems = staff.password_problems(password, roster)
    if problems:
        raise CommandError("--password was refused: " + " ".join(problems))


def describe(login: staff.Login) -> str:
    member = login.member
    role = "Manager" if member.group == "Manager" else "Staff"
    if login.password is None:
        return (
            f"{role} login: {member.username} ({member.group}), password unchanged "
            f"since you set it"
        )
    return f"{role} login: {member.username} / {login.password} ({member.group})"
