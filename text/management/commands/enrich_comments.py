"""manage.py enrich_comments: analyse the comments that have no analysis, or
one made with an older theme dictionary, in batches. Resumable (what is done
is no longer stale, so a second run starts where the first stopped), safe to
run twice and beside live traffic (each comment is written under its
answer's lock)."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from text import services


class Command(BaseCommand):
    help = "Analyse every comment not yet analysed with the current themes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size",
            type=int,
            default=services.BATCH_SIZE,
            help="Comments per batch (default %(default)s).",
        )

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            batch_size = 1
        dictionary = services.current_dictionary()
        total = services.stale_responses(dictionary).count()
        started, done, last = time.monotonic(), 0, 0
        while True:
            count, last = services.enrich_stale(batch_size=batch_size, after=last)
            if not count:
                break
            done += count
            self.stdout.write(progress(done, total, time.monotonic() - started))
        self.stdout.write(f"Enriched {done:,} comments.")


def progress(done: int, total: int, seconds: float) -> str:
    width = 30
    filled = width if total <= done else width * done // max(total, 1)
    rate = done / seconds if seconds > 0 else 0.0
    bar = "#" * filled + "." * (width - filled)
    return f"[{bar}] {done:,}/{max(total, done):,} comments, {rate:,.0f}/s"
