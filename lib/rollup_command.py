"""The command that rebuilds or checks a rollup table (a count table kept
current by the services that write what it counts): `--from`, `--to`,
`--check`. Each rollup's command names its table and its three functions."""

from argparse import ArgumentTypeError
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandError, CommandParser


class RebuildRollupCommand(BaseCommand):
    # "Score rollup", "Comment rollup": how the output names the table.
    table: ClassVar[str]
    rebuild: ClassVar[Callable[..., int]]
    stored_rows: ClassVar[Callable[[], Iterable[Any]]]
    recomputed_rows: ClassVar[Callable[[], Iterable[Any]]]

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
        written = type(self).rebuild(start=start, end=end)
        self.stdout.write(f"{self.table} rebuilt: {written} rows written.")

    def check_rollup(self) -> None:
        stored = set(type(self).stored_rows())
        recomputed = set(type(self).recomputed_rows())
        if stored != recomputed:
            command = self.__module__.rsplit(".", 1)[-1]
            raise CommandError(
                f"The {self.table.lower()} differs from a recomputation in "
                f"{len(stored ^ recomputed)} rows; run {command}."
            )
        self.stdout.write(f"{self.table} correct: {len(stored)} rows.")


def day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None
