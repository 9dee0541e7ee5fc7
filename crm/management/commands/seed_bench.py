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
import math
import operator
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    OutputWrapper,
)
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from psycopg import sql

from crm import demo_data
from crm.management.commands import seed_demo
from customers.models import Company, Customer, Interaction, Stage
from feedback.models import Case, RootCause
from surveys import tokens
from surveys.models import (
    SCALES,
    Band,
    Invitation,
    Kind,
    ScoreRollup,
    Survey,
    SurveyResponse,
    band_for,
)

SEED = 2026
BATCH = 50_000
CUSTOMERS_PER_COMPANY = 20
STAFF_COUNT = 8
HISTORY_DAYS = 365
CUSTOMER_PREFIX = "bench-"
COMPANY_PREFIX = "bench-co-"
STAGES = [stage.value for stage in Stage]
STAGE_WEIGHTS = [4, 6, 5, 8, 52, 15, 10]
# A third of interactions happen at a surveyed touchpoint (the first four).
TOUCHPOINT_WEIGHTS = {
    "Support ticket": 14,
    "Support chat": 9,
    "Support call": 6,
    "Onboarding call": 4,
    "Website visit": 9,
    "Webinar": 4,
    "Trade show": 3,
    "Product demo": 6,
    "Free trial": 6,
    "Pricing call": 6,
    "Proposal review": 4,
    "Checkout": 7,
    "Contract signing": 4,
    "Renewal meeting": 6,
    "Upgrade request": 4,
    "Referral programme": 3,
    "Case study interview": 1,
    "Product review": 4,
}
SEGMENTS = ["enterprise", "mid-market", "mid-market", "smb", "smb", "smb"]
TABLES: list[type[models.Model]] = [
    Company,
    Customer,
    Interaction,
    Invitation,
    SurveyResponse,
    Case,
]
Row = dict[str, Any]
ANSWER_BATCH = 1_000_000
# Hashed with the id into an added invitation's nonce.
ANSWER_MARKER = "bench-answer:"
# Answers come from customers who joined at least this long ago, so that the
# interaction before an answer (at most a week) never predates the customer.
ANSWER_SETTLED = timedelta(days=8)


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


def highest_index(model: type[Company | Customer], prefix: str) -> int:
    # The numbers are zero-padded: the highest key is the highest number.
    rows = model.objects.filter(external_id__startswith=prefix)
    key = rows.aggregate(models.Max("external_id"))["external_id__max"]
    return int(key.removeprefix(prefix)) if key else 0


def customer_key(index: int) -> str:
    return f"{CUSTOMER_PREFIX}{index:09d}"


def company_key(index: int) -> str:
    return f"{COMPANY_PREFIX}{index:09d}"


def company_of(customer_index: int) -> int:
    return (customer_index - 1) // CUSTOMERS_PER_COMPANY + 1


def company_traits(index: int) -> tuple[str, str]:
    """A company's language and segment: the same whichever batch asks."""
    language = "zh-hans" if index * 7919 % 10 < 4 else "en"
    return language, SEGMENTS[index * 31 % len(SEGMENTS)]


class Catalog:
    """What every batch needs: now, staff, touchpoints, surveys, root causes."""

    def __init__(self, *, now: datetime) -> None:
        self.now = now
        self.staff = ensure_staff()
        touchpoints = seed_demo.ensure_touchpoints()
        surveys = seed_demo.ensure_surveys(touchpoints)
        self.touchpoints = list(touchpoints.values())
        self.weights = [TOUCHPOINT_WEIGHTS[t.name] for t in self.touchpoints]
        self.survey_after: dict[int, Survey] = {}
        for survey in surveys.values():
            for touchpoint in survey.touchpoints.all():
                self.survey_after[touchpoint.pk] = survey
        self.root_causes = list(RootCause.objects.values_list("id", "name"))


def ensure_staff() -> list[int]:
    """Benchmark agents, owners and loggers of the rows; they cannot log in."""
    support = Group.objects.get(name="Support")
    ids = []
    for number in range(1, STAFF_COUNT + 1):
        user, created = User.objects.get_or_create(
            username=f"bench.agent{number}",
            defaults={"first_name": "Agent", "last_name": str(number)},
        )
        if created:
            user.is_staff = True
            user.set_unusable_password()
            user.save()
            user.groups.add(support)
        ids.append(user.pk)
    return ids


def write_batch(
    catalog: Catalog, first: int, last: int
) -> dict[type[models.Model], int]:
    """Customers first…last and everything that hangs off them."""
    lock_tables()
    batch = Batch(catalog, random.Random(SEED + first), next_ids())
    companies_present = highest_index(Company, COMPANY_PREFIX)
    wanted = range(company_of(first), company_of(last) + 1)
    company_ids = {
        int(key.removeprefix(COMPANY_PREFIX)): pk
        for key, pk in Company.objects.filter(
            external_id__in=[company_key(i) for i in wanted]
        ).values_list("external_id", "id")
    }
    for index in range(first, last + 1):
        company = company_of(index)
        if company > companies_present and company not in company_ids:
            company_ids[company] = batch.company(company)
        batch.customer(index, company, company_ids.get(company))
    for model, rows in batch.rows.items():
        write_rows(model, rows)
    move_sequences()
    return {model: len(rows) for model, rows in batch.rows.items()}


@dataclass(slots=True)
class Person:
    """What a customer's interactions, answers and cases copy from it."""

    id: int
    owner: int
    company: int | None
    segment: str
    language: str
    created_at: datetime
    opted_out_at: datetime | None


@dataclass(slots=True)
class Visit:
    """The interaction's dimensions that an answer to it freezes."""

    id: int
    touchpoint: int
    channel: str
    stage: str
    logged_by: int
    skipped: bool
    resolved_at: datetime


class Batch:
    """The rows of one batch, ids handed out in order from each table's block."""

    def __init__(
        self, catalog: Catalog, rng: random.Random, ids: dict[type[models.Model], int]
    ) -> None:
        self.catalog, self.rng, self.now, self.ids = catalog, rng, catalog.now, ids
        self.rows: dict[type[models.Model], list[Row]] = {m: [] for m in TABLES}

    def add(self, model: type[models.Model], **values: Any) -> int:
        values["id"] = pk = self.ids[model]
        self.ids[model] += 1
        self.rows[model].append(values)
        return pk

    def company(self, index: int) -> int:
        rng = self.rng
        language, segment = company_traits(index)
        if language == "en":
            name = " ".join(
                [
                    rng.choice(demo_data.COMPANY_WORDS),
                    rng.choice(demo_data.COMPANY_WORDS),
                    rng.choice(demo_data.COMPANY_KINDS),
                ]
            )
        else:
            name = "".join(
                [
                    rng.choice(demo_data.CHINESE_COMPANY_PLACES),
                    rng.choice(demo_data.CHINESE_COMPANY_WORDS),
                    rng.choice(demo_data.CHINESE_COMPANY_KINDS),
                    "有限公司",
                ]
            )
        created_at = self.now - timedelta(days=rng.uniform(400, 1500))
        return self.add(
            Company,
            name=name,
            domain=f"company{index}.example",
            segment=segment,
            owner=rng.choice(self.catalog.staff),
            external_id=company_key(index),
            created_at=created_at,
            updated_at=created_at,
        )

    def customer(self, index: int, company: int, company_id: int | None) -> None:
        rng, now = self.rng, self.now
        language, segment = company_traits(company)
        if rng.random() < 0.1:
            language = "zh-hans" if language == "en" else "en"
        created_at = now - timedelta(days=rng.uniform(1, 3 * HISTORY_DAYS))
        opted_out_at = None
        if rng.random() < 0.02:
            opted_out_at = created_at + (now - created_at) / 2
        owner = rng.choice(self.catalog.staff)
        pk = self.add(
            Customer,
            name=demo_data.person_name(rng, language)[0],
            email=f"bench-{index}@example.com",
            phone="",
            company=company_id,
            segment=segment,
            stage=rng.choices(STAGES, STAGE_WEIGHTS)[0],
            language=language,
            timezone=rng.choice(demo_data.timezone_choices(language)),
            owner=owner,
            external_id=customer_key(index),
            tags="[]",
            email_opted_out_at=opted_out_at,
            erased_at=None,
            created_at=created_at,
            updated_at=created_at,
        )
        person = Person(
            pk, owner, company_id, segment, language, created_at, opted_out_at
        )
        for _ in range(rng.randint(1, 5)):
            self.interaction(person)

    def interaction(self, person: Person) -> None:
        rng, now, catalog = self.rng, self.now, self.catalog
        touchpoint = rng.choices(catalog.touchpoints, catalog.weights)[0]
        entry = demo_data.TOUCHPOINTS_BY_NAME[touchpoint.name]
        english = person.language == "en"
        start = max(person.created_at, now - timedelta(days=HISTORY_DAYS))
        occurred_at = start + (now - start) * rng.random()
        low, high = seed_demo.HANDLING_MINUTES.get(entry.channel, (15, 60))
        resolved_at = occurred_at + timedelta(minutes=rng.randint(low, high))
        is_open = resolved_at > now
        skipped = rng.random() < 0.03
        logged_by = person.owner
        if rng.random() < 0.3:
            logged_by = rng.choice(catalog.staff)
        notes = rng.choice(entry.notes_en if english else entry.notes_zh)
        pk = self.add(
            Interaction,
            customer=person.id,
            touchpoint=touchpoint.pk,
            channel=entry.channel,
            direction=entry.direction,
            subject=rng.choice(entry.subjects_en if english else entry.subjects_zh),
            notes=notes if rng.random() < 0.5 else "",
            occurred_at=occurred_at,
            logged_by=logged_by,
            status=Interaction.Status.OPEN if is_open else Interaction.Status.RESOLVED,
            survey_mode=Interaction.SurveyMode.SKIP
            if skipped
            else Interaction.SurveyMode.AUTO,
            resolved_at=None if is_open else resolved_at,
            created_at=occurred_at,
            updated_at=occurred_at if is_open else resolved_at,
        )
        survey = catalog.survey_after.get(touchpoint.pk)
        if survey is not None and not is_open:
            visit = Visit(
                pk,
                touchpoint.pk,
                entry.channel,
                entry.stage,
                logged_by,
                skipped,
                resolved_at,
            )
            self.invitation(person, survey, visit)

    def invitation(self, person: Person, survey: Survey, visit: Visit) -> None:
        rng, now = self.rng, self.now
        due = visit.resolved_at + timedelta(minutes=survey.delay_minutes)
        draw = rng.random()
        reacted_after = timedelta(hours=rng.uniform(0.1, 72))
        reason = ""
        if visit.skipped:
            reason = Invitation.SuppressedReason.SKIPPED_BY_STAFF
        elif person.opted_out_at and person.opted_out_at <= due:
            reason = Invitation.SuppressedReason.OPTED_OUT
        elif draw < 0.12:
            reason = Invitation.SuppressedReason.THROTTLED
        scheduled_for = sent_at = answered_at = None
        attempts = reminders = 0
        if reason:
            status = Invitation.Status.SUPPRESSED
        elif due > now:
            status, scheduled_for = Invitation.Status.SCHEDULED, due
        else:
            scheduled_for, sent_at, attempts = due, due + timedelta(seconds=30), 1
            reacted_at = sent_at + reacted_after
            if draw < 0.6 and reacted_at < now:
                status, answered_at = Invitation.Status.ANSWERED, reacted_at
                reminders = int(reacted_after.days >= survey.reminder_delay_days)
            elif sent_at + timedelta(days=survey.expires_after_days) < now:
                status, reminders = Invitation.Status.EXPIRED, 1
            else:
                status = Invitation.Status.SENT
        nonce = tokens.new_nonce()
        pk = self.add(
            Invitation,
            survey=survey.pk,
            customer=person.id,
            interaction=visit.id,
            nonce=nonce,
            token_hash=tokens.hash_token(tokens.token_for(nonce)),
            status=status,
            suppressed_reason=reason,
            scheduled_for=scheduled_for,
            sent_at=sent_at,
            reminders_sent=reminders,
            opened_at=answered_at,
            answered_at=answered_at,
            attempts=attempts,
            last_error="",
            created_at=visit.resolved_at,
            updated_at=answered_at or sent_at or visit.resolved_at,
        )
        if answered_at is not None:
            self.response(person, survey, visit, pk, answered_at)

    def response(
        self,
        person: Person,
        survey: Survey,
        visit: Visit,
        invitation: int,
        answered_at: datetime,
    ) -> None:
        rng = self.rng
        age = min((self.now - answered_at) / timedelta(days=HISTORY_DAYS), 1.0)
        score = demo_data.draw_score(rng, survey.kind, age)
        band = band_for(survey.kind, score)
        comment, _ = demo_data.comment(rng, survey.kind, band, person.language)
        pk = self.add(
            SurveyResponse,
            invitation=invitation,
            score=score,
            comment=comment if rng.random() < 0.5 else "",
            band=band,
            is_confirmed=True,
            answered_at=answered_at,
            updated_at=answered_at,
            language=person.language,
            customer=person.id,
            survey=survey.pk,
            kind=survey.kind,
            channel=visit.channel,
            touchpoint=visit.touchpoint,
            stage=visit.stage,
            segment=person.segment,
            company=person.company,
            staff=visit.logged_by,
        )
        if band == "detractor":
            self.case(person, survey.kind, pk, score, answered_at)

    def case(
        self,
        person: Person,
        kind: str,
        response: int,
        score: int,
        answered_at: datetime,
    ) -> None:
        rng, now = self.rng, self.now
        opened_at = answered_at + timedelta(seconds=5)
        contacted_at = opened_at + timedelta(hours=rng.uniform(1, 60))
        closed_at = contacted_at + timedelta(days=rng.uniform(0.5, 6))
        closes = rng.random() < 0.95
        root_cause, cause_name = rng.choice(self.catalog.root_causes)
        status = Case.Status.OPEN
        if contacted_at < now:
            status = Case.Status.CONTACTED
        if closes and closed_at < now:
            status = Case.Status.CLOSED
        resolutions = demo_data.RESOLUTIONS.get(
            cause_name, demo_data.RESOLUTIONS["Other"]
        )
        closed = status == Case.Status.CLOSED
        nps = kind == Kind.NPS
        self.add(
            Case,
            response=response,
            kind=kind,
            customer=person.id,
            reason=Case.Reason.DETRACTOR if nps else Case.Reason.LOW_CSAT,
            priority=Case.Priority.URGENT
            if score <= (3 if nps else 1)
            else Case.Priority.NORMAL,
            status=status,
            owner=person.owner,
            assignment_rule=Case.AssignmentRule.CUSTOMER_OWNER,
            due_at=opened_at + seed_demo.CASE_SLA,
            first_contact_at=None if status == Case.Status.OPEN else contacted_at,
            closed_at=closed_at if closed else None,
            root_cause=root_cause if closed else None,
            resolution=resolutions["en"] if closed else "",
            escalation_level=0,
            outcome="",
            created_at=opened_at,
            updated_at=closed_at if closed else opened_at,
        )

    def manual_case(self, customer: int, owner: int, joined: datetime) -> None:
        """A case opened by hand some time since the customer joined: mostly
        closed, some contacted, some open and a few of those overdue."""
        rng, now = self.rng, self.now
        opened_at = joined + (now - joined) * rng.random()
        contacted_at = opened_at + timedelta(hours=rng.uniform(1, 60))
        closed_at = contacted_at + timedelta(days=rng.uniform(0.5, 6))
        status = Case.Status.OPEN
        if contacted_at < now and rng.random() < 0.9:
            status = Case.Status.CONTACTED
            if closed_at < now and rng.random() < 0.95:
                status = Case.Status.CLOSED
        closed = status == Case.Status.CLOSED
        root_cause, _name = rng.choice(self.catalog.root_causes)
        self.add(
            Case,
            response=None,
            kind="",
            customer=customer,
            reason=Case.Reason.MANUAL,
            priority=Case.Priority.NORMAL,
            status=status,
            owner=owner,
            assignment_rule=Case.AssignmentRule.CUSTOMER_OWNER,
            due_at=opened_at + seed_demo.CASE_SLA,
            first_contact_at=None if status == Case.Status.OPEN else contacted_at,
            closed_at=closed_at if closed else None,
            root_cause=root_cause if closed else None,
            resolution="Handled by the benchmark." if closed else "",
            escalation_level=0,
            outcome="",
            created_at=opened_at,
            updated_at=closed_at if closed else opened_at,
        )


def lock_tables() -> None:
    # Ids are handed out from MAX(id) + 1: nobody else may insert until the
    # commit. SQLite's IMMEDIATE transactions hold the write lock already.
    if connection.vendor != "postgresql":
        return
    tables = sql.SQL(", ").join(sql.Identifier(m._meta.db_table) for m in TABLES)
    statement = sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(tables)
    with connection.cursor() as cursor:
        cursor.execute(statement)


def next_ids() -> dict[type[models.Model], int]:
    ids = {}
    for model in TABLES:
        highest = model._default_manager.aggregate(models.Max("pk"))["pk__max"]
        ids[model] = (highest or 0) + 1
    return ids


def move_sequences() -> None:
    """Move PostgreSQL's id sequences past the ids written by hand."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in TABLES:
            table = model._meta.db_table
            statement = sql.SQL(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), MAX(id)) FROM {}"
            ).format(sql.Identifier(table))
            cursor.execute(statement, [table])


def create_answer_lookups(catalog: Catalog) -> int:
    """The temporary tables `write_answers` draws from; returns how many
    interactions an answer can copy.

    bench_answer_source: benchmark interactions at a surveyed touchpoint of
    customers who can be asked, numbered 1…n for a random pick, with what an
    answer freezes from the customer. bench_answer_survey: per touchpoint,
    its survey and the demo's score model (crm/demo_data.py).
    bench_answer_handling, _comment, _cause: minutes to resolve per channel,
    comments per kind, band and language, root causes with a resolution.
    """
    drop_answer_lookups()
    surveys = {
        touchpoint: survey
        for touchpoint, survey in catalog.survey_after.items()
        if survey.kind in demo_data.SCORES
    }
    stages = {touchpoint.pk: touchpoint.stage for touchpoint in catalog.touchpoints}
    source_params: dict[str, Any] = {
        "history": timedelta(days=HISTORY_DAYS),
        "now": catalog.now,
        "settled": ANSWER_SETTLED,
        "prefix": f"{CUSTOMER_PREFIX}%",
        "touchpoints": list(surveys),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TEMPORARY TABLE bench_answer_source AS
            SELECT row_number() OVER (ORDER BY i.id) AS pick,
                i.customer_id, i.touchpoint_id, i.channel, i.direction,
                i.subject, i.notes, i.logged_by_id,
                c.owner_id, c.company_id, c.language,
                COALESCE(NULLIF(c.segment, ''), co.segment, '') AS segment,
                LEAST(%(history)s, %(now)s - c.created_at - %(settled)s) AS span
            FROM customers_interaction AS i
            JOIN customers_customer AS c ON c.id = i.customer_id
            LEFT JOIN customers_company AS co ON co.id = c.company_id
            WHERE c.external_id LIKE %(prefix)s
                AND c.email <> ''
                AND c.email_opted_out_at IS NULL
                AND c.erased_at IS NULL
                AND c.created_at < %(now)s - %(settled)s
                AND i.touchpoint_id = ANY(%(touchpoints)s)
            """,
            source_params,
        )
        sources = int(cursor.rowcount)
        cursor.execute(
            """
            CREATE TEMPORARY TABLE bench_answer_survey (
                touchpoint_id bigint PRIMARY KEY, survey_id bigint, kind text,
                stage text, delay interval, reminder_after interval,
                detractor_now float, detractor_year float,
                promoter_now float, promoter_year float,
                detractor_scores int[], passive_scores int[],
                promoter_scores int[], positive_from int, negative_to int
            )
            """
        )
        cursor.executemany(
            "INSERT INTO bench_answer_survey VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                score_model(touchpoint, stages[touchpoint], survey)
                for touchpoint, survey in surveys.items()
            ],
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_answer_handling "
            "(channel text PRIMARY KEY, low int, high int)"
        )
        cursor.executemany(
            "INSERT INTO bench_answer_handling VALUES (%s, %s, %s)",
            [
                (channel, low, high)
                for channel, (low, high) in seed_demo.HANDLING_MINUTES.items()
            ],
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_answer_comment "
            "(kind text, band text, language text, texts text[])"
        )
        cursor.executemany(
            "INSERT INTO bench_answer_comment VALUES (%s, %s, %s, %s)",
            comment_rows(),
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_answer_cause "
            "(slot int PRIMARY KEY, root_cause_id bigint, resolution text)"
        )
        cursor.executemany(
            "INSERT INTO bench_answer_cause VALUES (%s, %s, %s)",
            [
                (
                    slot,
                    pk,
                    demo_data.RESOLUTIONS.get(name, demo_data.RESOLUTIONS["Other"])[
                        "en"
                    ],
                )
                for slot, (pk, name) in enumerate(catalog.root_causes)
            ],
        )
        # Temporary tables have no autovacuum: without statistics the planner
        # would loop over the source instead of hashing it.
        for table in ANSWER_LOOKUPS:
            cursor.execute(f"ANALYZE {table}")
    return sources


ANSWER_LOOKUPS = [
    "bench_answer_source",
    "bench_answer_survey",
    "bench_answer_handling",
    "bench_answer_comment",
    "bench_answer_cause",
]


def drop_answer_lookups() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {', '.join(ANSWER_LOOKUPS)}")


def score_model(touchpoint: int, stage: str, survey: Survey) -> tuple[Any, ...]:
    """A bench_answer_survey row. demo_data.band_shares is linear in the
    answer's age (0 now, 1 a year ago): its two ends give every age."""
    now, year = (demo_data.band_shares(survey.kind, age) for age in (0, 1))
    _low, _high, positive_from, negative_to = SCALES[survey.kind]
    scores = {
        band: weighted_values(*demo_data.SCORES[survey.kind][band])
        for band in ("detractor", "passive", "promoter")
    }
    return (
        touchpoint,
        survey.pk,
        survey.kind,
        stage,
        timedelta(minutes=survey.delay_minutes),
        timedelta(days=survey.reminder_delay_days),
        now["detractor"],
        year["detractor"],
        now["promoter"],
        year["promoter"],
        scores["detractor"],
        scores["passive"],
        scores["promoter"],
        positive_from,
        negative_to,
    )


def weighted_values(values: list[int], weights: list[int]) -> list[int]:
    """Each value repeated by its weight (divided by their common divisor):
    a uniform pick from the list is a weighted pick of a value."""
    divisor = math.gcd(*weights)
    return [
        value
        for value, weight in zip(values, weights, strict=True)
        for _ in range(weight // divisor)
    ]


def comment_rows() -> list[tuple[str, str, str, list[str]]]:
    rows = []
    for (kind, band), positive in demo_data.POSITIVE_COMMENTS.items():
        for language, texts in positive.items():
            rows.append((kind, band, language, list(texts)))
    for kind, negative in demo_data.NEGATIVE_COMMENTS.items():
        for language, causes in negative.items():
            rows.append((kind, Band.DETRACTOR.value, language, [t for _c, t in causes]))
    return rows


def write_answers(catalog: Catalog, first: int, count: int, sources: int) -> int:
    """Answers first…first + count − 1 with their interactions, invitations
    and cases; returns the cases."""
    lock_tables()
    ids = next_ids()
    params: dict[str, Any] = {
        "now": catalog.now,
        "count": count,
        "sources": sources,
        "interaction": ids[Interaction],
        "invitation": ids[Invitation],
        "response": ids[SurveyResponse],
        "case": ids[Case],
        "marker": ANSWER_MARKER,
        "causes": len(catalog.root_causes),
    }
    skip_foreign_key_checks()
    with connection.cursor() as cursor:
        # Room to hash the source and sort a million rows in memory.
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # The same batch draws the same rows (random() follows setseed).
        cursor.execute("SELECT setseed(%s)", [random.Random(SEED + first).random()])
        cursor.execute("DROP TABLE IF EXISTS bench_answer_row")
        cursor.execute(ANSWER_ROWS, params)
        cursor.execute("ANALYZE bench_answer_row")
    insert_answer_rows(Interaction, ANSWER_INTERACTION, params)
    insert_answer_rows(Invitation, ANSWER_INVITATION, params)
    insert_answer_rows(
        SurveyResponse,
        ANSWER_RESPONSE,
        params,
        source="bench_answer_row AS a LEFT JOIN bench_answer_comment AS c "
        "ON c.kind = a.kind AND c.band = a.band AND c.language = a.language",
    )
    cases = insert_answer_rows(
        Case,
        ANSWER_CASE,
        params,
        source="bench_answer_row AS a JOIN bench_answer_cause AS k "
        "ON k.slot = floor(a.r_cause * %(causes)s)::int "
        "WHERE a.band = 'detractor'",
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_answer_row")
    move_sequences()
    return cases


@contextlib.contextmanager
def indexes_built_after(stdout: OutputWrapper) -> Iterator[None]:
    """Drop the indexes of the tables the answers go to, except those of
    their constraints (primary keys, unique columns), and build them again
    with their own definitions when the block is done. Use inside one
    transaction, which makes the drop and the build one."""
    tables = [model._meta.db_table for model in ANSWER_TABLES]
    with connection.cursor() as cursor:
        # PostgreSQL builds no index on a table with foreign-key checks still
        # pending: run them at the end of each statement, not at the commit.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index AS i
            WHERE i.indrelid = ANY(%s::regclass[])
                AND NOT EXISTS (
                    SELECT FROM pg_constraint AS k
                    WHERE k.conrelid = i.indrelid AND k.conindid = i.indexrelid
                )
            ORDER BY 1
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for _name, definition in indexes:
            cursor.execute(definition)
    stdout.write(f"  {len(indexes)} indexes built: {time.monotonic() - started:.1f} s")


ANSWER_TABLES: list[type[models.Model]] = [
    Interaction,
    Invitation,
    SurveyResponse,
    Case,
]


def skip_foreign_key_checks() -> None:
    """Turn off the foreign-key triggers until the commit, where allowed.

    The ids are right by construction, and checking them row by row (a
    locking look-up of each parent at the commit) took a third of the time.
    Only a superuser may, as pg_restore --disable-triggers does; for anyone
    else the checks run.
    """
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        pass


# One row per new answer, all its draws made once (random() in the innermost
# subquery, which PostgreSQL never flattens because random() is volatile).
# The timeline runs backwards from the answer, as Batch.invitation's runs
# forwards: interaction, resolution, survey delay, mail, reaction, answer;
# then the case's contact and close.
ANSWER_ROWS = """
CREATE TEMPORARY TABLE bench_answer_row AS
SELECT row_number() OVER (ORDER BY r.answered_at, r.draw) AS n, r.*,
    CASE WHEN r.score >= r.positive_from THEN 'promoter'
        WHEN r.score <= r.negative_to THEN 'detractor'
        ELSE 'passive' END AS band,
    CASE WHEN r.reacted >= r.reminder_after THEN 1 ELSE 0 END AS reminders_sent,
    r.contacted_at < %(now)s AS is_contacted,
    r.r_closes < 0.95 AND r.closed_at < %(now)s AS is_closed
FROM (
    SELECT t.*,
        CASE
            WHEN t.r_band < t.detractor_share THEN t.detractor_scores[
                1 + floor(t.r_score * cardinality(t.detractor_scores))::int]
            WHEN t.r_band < t.detractor_share + t.promoter_share
                THEN t.promoter_scores[
                    1 + floor(t.r_score * cardinality(t.promoter_scores))::int]
            ELSE t.passive_scores[
                1 + floor(t.r_score * cardinality(t.passive_scores))::int]
        END AS score,
        t.answered_at - t.reacted AS sent_at,
        t.answered_at - t.reacted - interval '30 seconds' AS scheduled_for,
        t.answered_at - t.reacted - interval '30 seconds' - t.delay
            AS resolved_at,
        t.answered_at - t.reacted - interval '30 seconds' - t.delay - t.handling
            AS occurred_at,
        t.answered_at + interval '5 seconds' + t.contact_after AS contacted_at,
        t.answered_at + interval '5 seconds' + t.contact_after + t.close_after
            AS closed_at
    FROM (
        SELECT d.draw, d.r_band, d.r_score, d.r_comment, d.r_closes, d.r_cause,
            s.customer_id, s.touchpoint_id, s.channel, s.direction, s.subject,
            s.notes, s.logged_by_id, s.owner_id, s.company_id, s.language,
            s.segment, v.survey_id, v.kind, v.stage, v.delay, v.reminder_after,
            v.positive_from, v.negative_to, v.detractor_scores,
            v.passive_scores, v.promoter_scores,
            %(now)s - d.r_when * s.span AS answered_at,
            v.detractor_now + (v.detractor_year - v.detractor_now)
                * d.r_when * extract(epoch FROM s.span) / 31536000
                AS detractor_share,
            v.promoter_now + (v.promoter_year - v.promoter_now)
                * d.r_when * extract(epoch FROM s.span) / 31536000
                AS promoter_share,
            interval '6 minutes' + d.r_react * interval '4314 minutes' AS reacted,
            (COALESCE(h.low, 15) + floor(
                d.r_handle * (COALESCE(h.high, 60) - COALESCE(h.low, 15) + 1)
            )) * interval '1 minute' AS handling,
            interval '1 hour' + d.r_contact * interval '59 hours' AS contact_after,
            interval '12 hours' + d.r_close * interval '132 hours' AS close_after
        FROM (
            SELECT g AS draw, 1 + floor(random() * %(sources)s)::bigint AS pick,
                random() AS r_when, random() AS r_react, random() AS r_handle,
                random() AS r_band, random() AS r_score, random() AS r_comment,
                random() AS r_contact, random() AS r_close,
                random() AS r_closes, random() AS r_cause
            FROM generate_series(1, %(count)s) AS g
        ) AS d
        JOIN bench_answer_source AS s ON s.pick = d.pick
        JOIN bench_answer_survey AS v ON v.touchpoint_id = s.touchpoint_id
        LEFT JOIN bench_answer_handling AS h ON h.channel = s.channel
    ) AS t
) AS r
"""
ANSWER_INTERACTION = {
    "id": "%(interaction)s + a.n - 1",
    "customer": "a.customer_id",
    "touchpoint": "a.touchpoint_id",
    "channel": "a.channel",
    "direction": "a.direction",
    "subject": "a.subject",
    "notes": "a.notes",
    "occurred_at": "a.occurred_at",
    "logged_by": "a.logged_by_id",
    "status": f"'{Interaction.Status.RESOLVED.value}'",
    "survey_mode": f"'{Interaction.SurveyMode.AUTO.value}'",
    "resolved_at": "a.resolved_at",
    "created_at": "a.occurred_at",
    "updated_at": "a.resolved_at",
}
ANSWER_INVITATION = {
    "id": "%(invitation)s + a.n - 1",
    "survey": "a.survey_id",
    "customer": "a.customer_id",
    "interaction": "%(interaction)s + a.n - 1",
    "nonce": "md5(%(marker)s::text || (%(invitation)s + a.n - 1))",
    "token_hash": "lpad(to_hex(%(invitation)s + a.n - 1), 64, '0')",
    "status": f"'{Invitation.Status.ANSWERED.value}'",
    "scheduled_for": "a.scheduled_for",
    "sent_at": "a.sent_at",
    "reminders_sent": "a.reminders_sent",
    "opened_at": "a.answered_at",
    "answered_at": "a.answered_at",
    "attempts": "1",
    "created_at": "a.resolved_at",
    "updated_at": "a.answered_at",
}
ANSWER_RESPONSE = {
    "id": "%(response)s + a.n - 1",
    "invitation": "%(invitation)s + a.n - 1",
    "score": "a.score",
    # Half the answers carry a comment: r_comment below 0.5 says so and,
    # stretched to 0…1, picks it.
    "comment": "CASE WHEN a.r_comment < 0.5 THEN COALESCE(c.texts["
    "1 + floor(a.r_comment * 2 * cardinality(c.texts))::int], '') ELSE '' END",
    "band": "a.band",
    "is_confirmed": "true",
    "answered_at": "a.answered_at",
    "updated_at": "a.answered_at",
    "language": "a.language",
    "customer": "a.customer_id",
    "survey": "a.survey_id",
    "kind": "a.kind",
    "channel": "a.channel",
    "touchpoint": "a.touchpoint_id",
    "stage": "a.stage",
    "segment": "a.segment",
    "company": "a.company_id",
    "staff": "a.logged_by_id",
}
ANSWER_CASE = {
    "id": "%(case)s + row_number() OVER (ORDER BY a.n) - 1",
    "response": "%(response)s + a.n - 1",
    "kind": "a.kind",
    "customer": "a.customer_id",
    "reason": f"CASE WHEN a.kind = '{Kind.NPS.value}' "
    f"THEN '{Case.Reason.DETRACTOR.value}' ELSE '{Case.Reason.LOW_CSAT.value}' END",
    "priority": f"CASE WHEN a.score <= CASE WHEN a.kind = '{Kind.NPS.value}' "
    f"THEN 3 ELSE 1 END THEN '{Case.Priority.URGENT.value}' "
    f"ELSE '{Case.Priority.NORMAL.value}' END",
    "status": f"CASE WHEN a.is_closed THEN '{Case.Status.CLOSED.value}' "
    f"WHEN a.is_contacted THEN '{Case.Status.CONTACTED.value}' "
    f"ELSE '{Case.Status.OPEN.value}' END",
    "owner": "a.owner_id",
    "assignment_rule": f"'{Case.AssignmentRule.CUSTOMER_OWNER.value}'",
    "due_at": f"a.answered_at + interval '5 seconds' "
    f"+ interval '{seed_demo.CASE_SLA.total_seconds():.0f} seconds'",
    "first_contact_at": "CASE WHEN a.is_contacted THEN a.contacted_at END",
    "closed_at": "CASE WHEN a.is_closed THEN a.closed_at END",
    "root_cause": "CASE WHEN a.is_closed THEN k.root_cause_id END",
    "resolution": "CASE WHEN a.is_closed THEN k.resolution ELSE '' END",
    "created_at": "a.answered_at + interval '5 seconds'",
    "updated_at": "CASE WHEN a.is_closed THEN a.closed_at "
    "ELSE a.answered_at + interval '5 seconds' END",
}


def insert_answer_rows(
    model: type[models.Model],
    values: dict[str, str],
    params: dict[str, Any],
    *,
    source: str = "bench_answer_row AS a",
) -> int:
    """INSERT … SELECT one row per bench_answer_row: `values` maps the
    model's field names to SQL over them; the fields it does not name (added
    since) get their defaults. Returns the rows inserted."""
    fields = model._meta.concrete_fields
    unknown = set(values) - {field.name for field in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no field {sorted(unknown)}")
    columns, expressions = [], []
    params = dict(params)
    for field in fields:
        columns.append(connection.ops.quote_name(field.column))
        if field.name in values:
            expressions.append(values[field.name])
        else:
            key = f"default_{field.column}"
            params[key] = field.get_db_prep_save(field.get_default(), connection)
            expressions.append(f"%({key})s")
    table = connection.ops.quote_name(model._meta.db_table)
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (our own SQL)
        f"SELECT {', '.join(expressions)} FROM {source} ORDER BY a.n"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return int(cursor.rowcount)


def write_rows(model: type[models.Model], rows: list[Row]) -> None:
    if not rows:
        return
    by_name = {field.name: field for field in model._meta.concrete_fields}
    fields = [by_name[name] for name in rows[0]]
    columns = [field.column for field in fields]
    values = operator.itemgetter(*rows[0])
    # Fields this command does not know (added since) get their defaults.
    extra = [f for f in model._meta.concrete_fields if f.column not in columns]
    columns += [f.column for f in extra]
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in extra)
    if connection.vendor == "postgresql":
        copy(model._meta.db_table, columns, (values(row) + defaults for row in rows))
        return
    adapt = connection.ops.adapt_datetimefield_value
    moments = [i for i, f in enumerate(fields) if isinstance(f, models.DateTimeField)]
    converted = []
    for row in rows:
        line = list(values(row))
        for i in moments:
            line[i] = adapt(line[i])
        converted.append((*line, *defaults))
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({placeholders})",  # noqa: S608
            converted,
        )


def copy(table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    connection.ensure_connection()
    # Django's own connection, so COPY runs inside the batch's transaction.
    with connection.connection.cursor() as cursor, cursor.copy(statement) as stream:
        for row in rows:
            stream.write_row(row)


def analyze() -> None:
    """Fresh statistics for the planner.

    On PostgreSQL, VACUUM also sets the visibility map that index-only scans
    (the admin's COUNT(*)) rely on, as autovacuum would a while later. It
    cannot run inside a transaction (a test's), where ANALYZE does alone.
    """
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    command = "VACUUM (ANALYZE)" if vacuum else "ANALYZE"
    with connection.cursor() as cursor:
        for model in TABLES:
            cursor.execute(
                f"{command} {connection.ops.quote_name(model._meta.db_table)}"
            )
