"""`manage.py rebuild_comment_rollup [--from YYYY-MM-DD] [--to YYYY-MM-DD]
[--check]`: recompute the comment rollup's days from the answers and their
readings, in the database."""

from argparse import ArgumentTypeError
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from text import rollup


class Command(BaseCommand):
    help = (
        "Recompute the comment rollup (day-level counts of the read comments "
        "by sentiment, language and theme, which the dashboard reads) from the "
        "answers and their readings, for the days from --from to --to "
        "(default: every day). Readings keep it current by themselves; run "
        "this after writing answers or readings in bulk, and after changing "
        "TIME_ZONE: its days are dates in TIME_ZONE, so a new zone needs every "
        "day rebuilt. --check compares instead and writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--from", dest="start", type=day, metavar="YYYY-MM-DD", help="first day"
        )
        parser.add_argument(
            "--to", dest="end", type=day, metavar="YYYY-MM-DD", help="last day"
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="compare every day with a recomputation; fail if they differ",
        )

    def handle(
        self,
        *args: Any,
        start: date | None,
        end: date | None,
        check: bool,
        **options: Any,
    ) -> None:
        if start is not None and end is not None and start > end:
            raise CommandError("--from must not be after --to.")
        if check:
            self.check_rollup()
            return
        written = rollup.rebuild_comment_rollup(start=start, end=end)
        self.stdout.write(f"Comment rollup rebuilt: {written} rows written.")

    def check_rollup(self) -> None:
        stored, recomputed = set(rollup.stored_rows()), set(rollup.recomputed_rows())
        if stored != recomputed:
            raise CommandError(
                f"The comment rollup differs from a recomputation in "
                f"{len(stored ^ recomputed)} rows; run rebuild_comment_rollup."
            )
        self.stdout.write(f"Comment rollup correct: {len(stored)} rows.")


def day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None
