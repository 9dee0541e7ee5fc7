"""Generate a large, realistic data set for the benchmarks, fast.

`seed_bench --customers N` makes sure benchmark customers 1…N exist
(external id "bench-000000042", email bench-42@example.com), each with one to
five interactions (three on average), one company per twenty customers, the
demo's touchpoints and surveys, an invitation for every interaction at a
surveyed touchpoint (about a third), answers to half of those and a case for
every negative answer. A run adds only the customers above the highest one
present: the same N again does nothing, a larger N tops up.

Speed comes from writing rows, not models: COPY on PostgreSQL, executemany on
SQLite. Primary keys are taken as a block above each table's highest id while
the tables are locked (PostgreSQL's sequences are moved past them afterwards),
so children point at their parents without reading anything back. Each batch
of customers commits with everything that hangs off it, so an interrupted run
resumes where it stopped.

`--answers N` then tops the answers up to N in all (PostgreSQL only): each
new answer copies a random benchmark interaction at a surveyed touchpoint
(same customer, touchpoint, channel, agent) into a new interaction, with its
own answered invitation, the response (dimensions frozen as
`create_response` freezes them) and a case when it is negative, spread over
the last 365 days. These rows are made by `INSERT … SELECT` from
`generate_series` in the database, a million per transaction: Python would
take half an hour for ten million. Their links do not work: the token hash is the
invitation's id in hex, zero-padded (unique, in index order, and no token's
hash), the nonce an MD5 of a marker and the id.
"""

import contextlib
import random
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from customers.models import Customer
from demo.bench.answers import (
    create_answer_lookups,
    drop_answer_lookups,
    indexes_built_after,
    write_answers,
)
from demo.bench.batches import (
    CUSTOMER_PREFIX,
    SEED,
    Batch,
    Catalog,
    highest_index,
    write_batch,
)
from demo.bench.writing import (
    TABLES,
    analyze,
    lock_tables,
    move_sequences,
    next_ids,
    write_rows,
)
from feedback.models import Case
from surveys.models import ScoreRollup, SurveyResponse

BATCH = 50_000
ANSWER_BATCH = 1_000_000


class Command(BaseCommand):
    help = "Top the benchmark data up to N customers (fast; idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=10_000)
        parser.add_argument(
            "--cases",
            type=int,
            default=0,
            help="then add cases opened by hand to random benchmark customers "
            "until there are at least this many cases",
        )
        parser.add_argument(
            "--answers",
            type=int,
            default=0,
            help="then add answers (each with its interaction and invitation) "
            "over the last 365 days until there are this many; PostgreSQL only",
        )

    def handle(
        self, *args: Any, customers: int, cases: int, answers: int, **options: Any
    ) -> None:
        added = self.seed_customers(customers)
        if cases:
            self.top_up_cases(cases)
        if answers:
            added += self.top_up_answers(answers)
        # The rows above bypass record_response, which keeps the rollup; a
        # run that stopped before its rebuild left the rollup empty.
        if added or not ScoreRollup.objects.exists():
            self.rebuild_rollup()

    def top_up_cases(self, wanted: int) -> None:
        started = time.monotonic()
        present = Case.objects.count()
        if present >= wanted:
            self.stdout.write(f"seed_bench: {present:,} cases already present.")
            return
        with transaction.atomic():
            catalog = Catalog(now=timezone.now())
            lock_tables()
            batch = Batch(catalog, random.Random(SEED + present), next_ids())
            people = list(
                Customer.objects.filter(
                    external_id__startswith=CUSTOMER_PREFIX
                ).values_list("id", "owner_id", "created_at")
            )
            for _ in range(wanted - present):
                batch.manual_case(*batch.rng.choice(people))
            write_rows(Case, batch.rows[Case])
            move_sequences()
        analyze()
        self.stdout.write(
            f"seed_bench: added {wanted - present:,} cases opened by hand in "
            f"{time.monotonic() - started:.1f} s; {wanted:,} cases now."
        )

    def seed_customers(self, customers: int) -> int:
        """Returns the answers added."""
        started = time.monotonic()
        present = highest_index(Customer, CUSTOMER_PREFIX)
        if present >= customers:
            self.stdout.write(
                f"seed_bench: {present:,} benchmark customers already present."
            )
            return 0
        with transaction.atomic():
            catalog = Catalog(now=timezone.now())
        added = dict.fromkeys(TABLES, 0)
        for first in range(present + 1, customers + 1, BATCH):
            last = min(first + BATCH - 1, customers)
            batch_started = time.monotonic()
            with transaction.atomic():
                for model, count in write_batch(catalog, first, last).items():
                    added[model] += count
            seconds = time.monotonic() - batch_started
            self.stdout.write(f"  customers {first:,}–{last:,}: {seconds:.1f} s")
        analyze()
        summary = ", ".join(
            f"{count:,} {model._meta.verbose_name_plural}"
            for model, count in added.items()
        )
        self.stdout.write(
            f"seed_bench: added {summary} in {time.monotonic() - started:.1f} s; "
            f"{customers:,} benchmark customers now."
        )
        return added[SurveyResponse]

    def top_up_answers(self, wanted: int) -> int:
        """Returns the answers added."""
        started = time.monotonic()
        present = SurveyResponse.objects.count()
        if present >= wanted:
            self.stdout.write(f"seed_bench: {present:,} answers already present.")
            return 0
        if connection.vendor != "postgresql":
            raise CommandError(
                "--answers needs PostgreSQL (it writes rows with generate_series); "
                "on SQLite, seed with --customers alone."
            )
        with transaction.atomic():
            catalog = Catalog(now=timezone.now())
        # At least doubling the answers: in one transaction that drops the
        # tables' other indexes and builds each once at the end, instead of
        # millions of inserts at random places in each (three times faster).
        bulk = wanted - present >= present
        try:
            sources = create_answer_lookups(catalog)
            if not sources:
                raise CommandError(
                    "No benchmark interaction at a surveyed touchpoint to answer: "
                    "seed customers first (--customers)."
                )
            with (
                transaction.atomic() if bulk else contextlib.nullcontext(),
                indexes_built_after(self.stdout) if bulk else contextlib.nullcontext(),
            ):
                for first in range(present + 1, wanted + 1, ANSWER_BATCH):
                    count = min(ANSWER_BATCH, wanted + 1 - first)
                    batch_started = time.monotonic()
                    with transaction.atomic():
                        cases = write_answers(catalog, first, count, sources)
                    seconds = time.monotonic() - batch_started
                    self.stdout.write(
                        f"  answers {first:,}–{first + count - 1:,} "
                        f"({cases:,} cases): {seconds:.1f} s"
                    )
        finally:
            drop_answer_lookups()
        analyze()
        self.stdout.write(
            f"seed_bench: added {wanted - present:,} answers with their "
            f"interactions and invitations in {time.monotonic() - started:.1f} s; "
            f"{wanted:,} answers now."
        )
        return wanted - present

    def rebuild_rollup(self) -> None:
        started = time.monotonic()
        call_command("rebuild_metrics_rollup", stdout=self.stdout)
        table = connection.ops.quote_name(ScoreRollup._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
        self.stdout.write(
            f"seed_bench: rebuilt the metrics rollup in "
            f"{time.monotonic() - started:.1f} s."
        )
