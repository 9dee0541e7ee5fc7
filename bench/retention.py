"""The retention task on 100,000 expired answers, while answers keep arriving.

    DATABASE_URL=postgres://… SECRET_KEY=… .venv/bin/python bench/retention.py

Seeds --answers answers (default 100,000) from --people customers (five
answers each by default), each with its invitation and interaction, a third
with a comment, all answered ten years ago, of a survey of their own. Then
--clients processes record answers through the answer service
(surveys.services.answers.record_response, what the answer page's POST
calls), each on a fresh invitation of its own, first for --baseline seconds
alone, then while the answers' identity rule (privacy.services.retention.
apply_rule, the nightly task's code for that rule) anonymises the expired
answers, in its batches. The rule's age puts the cutoff eight years back, so
that it touches the seeded answers and nothing else in the database (checked
before it runs).

Each answering connection runs with PostgreSQL's lock_timeout at 100 ms:
an answer that would wait longer for a lock fails with "lock timeout" and is
counted, so "0 lock timeouts" is the proof that no answer waited more than
100 ms for a lock. The answers' latencies (whole service call, lock waits
included) are shown for the baseline and during the run.

Goal (issue 17): under 60 s for 100,000 answers; no answer blocked for more
than 100 ms. Everything the run wrote is deleted at the end (and at the
start, after an interrupted run). PostgreSQL only (see bench/harness.py).
"""

import argparse
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

from bench import harness, report  # noqa: E402 (after the path is set)

SURVEY_NAME = "Benchmark: retention"
CUSTOMER_PREFIX = "retentionbench-"
ANSWERER_PREFIX = "retentionbench-live-"
HEADERS = ["phase", "answers", "p50 ms", "p99 ms", "max ms", "lock timeouts"]
GOAL_SECONDS = 60.0
GOAL_LOCK_MS = 100
ANSWERED_YEARS_AGO = 10
RULE_AGE_DAYS = 8 * 365
# The tables a run fills and empties again.
ANALYSED_TABLES = [
    "customers_customer",
    "customers_interaction",
    "surveys_invitation",
    "surveys_surveyresponse",
]


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)  # ms
    lock_timeouts: int = 0
    errors: int = 0
    first_error: str = ""

    def cells(self) -> list[object]:
        if not self.latencies:
            return [self.name, 0, "-", "-", "-", self.lock_timeouts]
        return [
            self.name,
            len(self.latencies),
            report.percentile(self.latencies, 0.5),
            report.percentile(self.latencies, 0.99),
            max(self.latencies),
            self.lock_timeouts,
        ]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--baseline", type=float, default=5)
    parser.add_argument(
        "--live-invitations",
        type=int,
        default=16_000,
        help="fresh invitations for the answering processes",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    skipped = harness.use_bench_servers()
    if skipped:
        print(f"Retention benchmark {skipped}")
        return 0
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    remove_rows()
    try:
        now = timezone.now()
        started = time.monotonic()
        seed_expired(args.answers, args.people, now=now)
        live = seed_live(args.live_invitations, args.clients, now=now)
        analyse()
        print(
            f"Retention benchmark: PostgreSQL {connection.settings_dict['NAME']}, "
            f"{args.answers:,} expired answers of {args.people:,} customers "
            f"seeded in {time.monotonic() - started:.1f} s; {args.clients} "
            f"answering processes; {harness.load_average()}",
            flush=True,
        )
        rule = answers_rule()
        from privacy.services import retention

        expired = retention.expired(rule, now=now).count()
        if expired != args.answers:
            print(
                f"{expired:,} answers are older than the cutoff, not the "
                f"{args.answers:,} seeded: refusing to touch the others."
            )
            return 1
        baseline, during, run = measure(args, rule, live, now=now)
        left = retention.expired(rule, now=now).count()
    finally:
        remove_rows()
    print(report.format_table(HEADERS, [baseline.cells(), during.cells()]))
    seconds = run["seconds"]
    print(
        f"anonymised {run['touched']:,} answers in {seconds:.1f} s "
        f"({run['touched'] / seconds:,.0f}/s) in {run['batches']} batches, "
        f"longest batch {run['longest_batch_ms']:.0f} ms; left: {left}; "
        f"goal: under {GOAL_SECONDS:.0f} s, no answer waiting over "
        f"{GOAL_LOCK_MS} ms for a lock; {harness.load_average()} at the end"
    )
    for phase in (baseline, during):
        if phase.errors:
            print(f"{phase.name}: {phase.errors} errors, first: {phase.first_error}")
    failed = (
        seconds >= GOAL_SECONDS
        or during.lock_timeouts
        or left
        or baseline.errors
        or during.errors
    )
    return 1 if failed else 0


def answers_rule() -> Any:
    """The answers' identity rule as the task runs it, with an age that
    reaches the seeded answers only (not saved: the database's rules stay)."""
    from privacy.models import RetentionRule

    return RetentionRule(
        category=RetentionRule.Category.ANSWER_IDENTITY,
        age_days=RULE_AGE_DAYS,
        anchor=RetentionRule.Anchor.ANSWERED,
        action=RetentionRule.Action.ANONYMISE,
    )


def seed_expired(count: int, people: int, *, now: datetime) -> int:
    """`count` answers, ANSWERED_YEARS_AGO back, with their invitations and
    interactions; returns the survey's id."""
    from customers.models import Interaction
    from surveys.models import Invitation, SurveyResponse, band_for

    survey = harness.create_survey(SURVEY_NAME)
    customers = harness.create_customers(CUSTOMER_PREFIX, people, now=now)
    long_ago = now - timedelta(days=365 * ANSWERED_YEARS_AGO)
    owners = [customers[index % people] for index in range(count)]
    interactions = Interaction.objects.bulk_create(
        [
            Interaction(
                customer=customer,
                channel="phone",
                subject=f"Call about order {index}",
                notes="Asked for a refund.",
                occurred_at=long_ago,
                status=Interaction.Status.RESOLVED,
                resolved_at=long_ago,
            )
            for index, customer in enumerate(owners)
        ],
        batch_size=harness.BULK,
    )
    harness.create_invitations(
        survey,
        owners,
        status=Invitation.Status.ANSWERED,
        sent_at=long_ago,
        answered_at=long_ago,
        created_at=long_ago,
    )
    invitations = list(
        Invitation.objects.filter(survey=survey).order_by("pk").only("pk", "customer")
    )
    for invitation, interaction in zip(invitations, interactions, strict=True):
        invitation.interaction = interaction
    Invitation.objects.bulk_update(invitations, ["interaction"], batch_size=2000)
    SurveyResponse.objects.bulk_create(
        [
            SurveyResponse(
                invitation=invitation,
                customer_id=invitation.customer_id,
                survey=survey,
                kind=survey.kind,
                score=index % 11,
                band=band_for(survey.kind, index % 11),
                comment="The wait was long but Ann helped." if index % 3 == 0 else "",
                is_confirmed=True,
                answered_at=long_ago + timedelta(minutes=index),
                channel="phone",
                segment="smb",
            )
            for index, invitation in enumerate(invitations)
        ],
        batch_size=harness.BULK,
    )
    return survey.pk


def seed_live(count: int, clients: int, *, now: datetime) -> list[list[int]]:
    """Sent invitations of fresh customers for each answering process, of a
    survey of its own: answers to one survey on one day share their score
    rollup rows, and the processes would wait for each other there, not for
    the retention run."""
    from surveys.models import Invitation

    customers = harness.create_customers(ANSWERER_PREFIX, count, now=now)
    per_thread = []
    for index in range(clients):
        mine = customers[index::clients]
        harness.create_invitations(
            harness.create_survey(SURVEY_NAME),
            mine,
            status=Invitation.Status.SENT,
            sent_at=now,
            expires_at=now + timedelta(days=30),
            attempts=1,
        )
        per_thread.append(
            list(
                Invitation.objects.filter(customer__in=[c.pk for c in mine])
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        )
    return per_thread


def analyse() -> None:
    """Fresh statistics for the tables just filled, as autovacuum keeps them
    in a database in use: without them the planner guesses badly."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ANALYSED_TABLES:
            cursor.execute(f"ANALYZE {table}")


PHASES = ["answers alone", "answers during retention", "after"]


class Answerers:
    """--clients processes, each answering its own invitations one after the
    other, into whichever phase is current. Processes, as gunicorn's workers
    are, not threads: threads would share this process's interpreter lock
    with the retention run and slow it down."""

    def __init__(self, invitations: list[list[int]]) -> None:
        context = multiprocessing.get_context("fork")
        self.phase = context.Value("i", 0)
        self.stop = context.Event()
        self.results: Any = context.Queue()
        self.processes = [
            context.Process(
                target=answer_all, args=(mine, self.phase, self.stop, self.results)
            )
            for mine in invitations
        ]

    def start(self) -> None:
        from django.db import connections

        connections.close_all()  # each child opens its own
        for process in self.processes:
            process.start()

    def set_phase(self, index: int) -> None:
        self.phase.value = index

    def join(self) -> list[Phase]:
        self.stop.set()
        phases = [Phase(name) for name in PHASES]
        for _process in self.processes:
            for phase, (latencies, timeouts, errors, first) in zip(
                phases, self.results.get(), strict=True
            ):
                phase.latencies += latencies
                phase.lock_timeouts += timeouts
                phase.errors += errors
                phase.first_error = phase.first_error or first
        for process in self.processes:
            process.join()
        return phases


def answer_all(invitation_ids: list[int], phase: Any, stop: Any, results: Any) -> None:
    """One answering process: (latencies, lock timeouts, errors, first error)
    per phase, put on `results` at the end."""
    from django.db import OperationalError, connection
    from django.utils import timezone

    from surveys.models import Invitation
    from surveys.services.answers import record_response

    tally: list[list[Any]] = [[[], 0, 0, ""] for _name in PHASES]
    with connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = '{GOAL_LOCK_MS}ms'")
    try:
        for invitation_id in invitation_ids:
            if stop.is_set():
                break
            mine = tally[phase.value]
            invitation = Invitation.objects.select_related("survey").get(
                pk=invitation_id
            )
            began = time.perf_counter()
            try:
                record_response(invitation, score=9, now=timezone.now())
            except OperationalError as error:
                if "lock timeout" in str(error):
                    mine[1] += 1
                else:
                    mine[2] += 1
                    mine[3] = mine[3] or str(error)
                continue
            except Exception as error:  # counted, the first one shown
                mine[2] += 1
                mine[3] = mine[3] or repr(error)
                continue
            mine[0].append((time.perf_counter() - began) * 1000)
    finally:
        connection.close()
        results.put([tuple(each) for each in tally])


def measure(
    args: argparse.Namespace, rule: Any, live: list[list[int]], *, now: datetime
) -> tuple[Phase, Phase, dict[str, float]]:
    from privacy.services import retention

    answerers = Answerers(live)
    answerers.start()
    batch_ms: list[float] = []
    try:
        time.sleep(args.baseline)
        answerers.set_phase(1)
        began = last = time.perf_counter()

        def note_batch(size: int) -> None:
            nonlocal last
            moment = time.perf_counter()
            batch_ms.append((moment - last) * 1000)
            last = moment

        touched = retention.apply_rule(rule, now=now, on_batch=note_batch)
        seconds = time.perf_counter() - began
        answerers.set_phase(2)
    finally:
        baseline, during, _after = answerers.join()
    return (
        baseline,
        during,
        {
            "seconds": seconds,
            "touched": touched,
            "batches": len(batch_ms),
            "longest_batch_ms": max(batch_ms, default=0.0),
        },
    )


def remove_rows() -> None:
    """Everything a run (or an interrupted one) wrote: the survey's answers
    (with what the answer service wrote about them), invitations and
    interactions, the anonymous customers the rule made for them, and the
    seeded customers. Plain DELETEs, in the order of the foreign keys:
    Django's deletion would read every row first, for minutes."""
    from django.db import transaction
    from django.db.models import Q

    from customers.models import Customer, Interaction
    from feedback.models import Case
    from surveys.models import Invitation, ScoreRollup, Survey, SurveyResponse
    from text.models import CommentAnalysis, CommentTheme

    surveys = list(Survey.objects.filter(name=SURVEY_NAME).values_list("pk", flat=True))
    answers = SurveyResponse.objects.filter(survey_id__in=surveys)
    invitations = Invitation.objects.filter(survey_id__in=surveys)
    customers = Customer.objects.filter(
        Q(external_id__startswith=CUSTOMER_PREFIX)
        | Q(pk__in=answers.exclude(customer__erased_at=None).values("customer_id"))
    )
    with transaction.atomic():
        interactions = list(
            invitations.exclude(interaction=None).values_list(
                "interaction_id", flat=True
            )
        )
        customer_ids = list(customers.values_list("pk", flat=True))
        Case.objects.filter(response__survey_id__in=surveys).delete()
        for queryset in [
            CommentTheme.objects.filter(analysis__response__survey_id__in=surveys),
            CommentAnalysis.objects.filter(response__survey_id__in=surveys),
            answers,
            ScoreRollup.objects.filter(survey_id__in=surveys),
            invitations,
            Interaction.objects.filter(pk__in=interactions),
        ]:
            queryset._raw_delete(queryset.db)
        Survey.objects.filter(pk__in=surveys).delete()
        doomed = Customer.objects.filter(pk__in=customer_ids)
        doomed._raw_delete(doomed.db)
    vacuum()


def vacuum() -> None:
    """Make the removed rows' space reusable, as autovacuum does in a
    database in use: without it each run's dead rows and index entries pile
    up, and the next run writes into ever larger tables and indexes (a
    third of the time after a few runs)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ANALYSED_TABLES:
            cursor.execute(f"VACUUM {table}")


if __name__ == "__main__":
    sys.exit(main())
