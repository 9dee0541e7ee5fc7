"""Time erasing one customer in a database of a million (issue 17, speed).

    DATABASE_URL=postgres://…/bench SECRET_KEY=… .venv/bin/python \\
        bench/erasure.py --customers 1000000 --runs 5 --explain

PostgreSQL only (skipped elsewhere). Tops the database up to --customers
with `seed_bench`, then, once (a webhook subscription named
SUBSCRIPTION_URL marks it), gives the rest of the population what erasure
searches through, by INSERT … SELECT: a timeline (opened, a note, closed)
and an alert for every case, a comment reading for every comment, webhook
events about the latest interactions, answers and cases with a delivery to
each of two subscriptions, a day of API POSTs kept for their
Idempotency-Key, and the admin's log of changes to customers and cases.

Each run then makes a new customer with --answers answers (each with its
interaction, invitation, webhook events and a comment on every other one),
--cases cases on them (a third still open, with a timeline, notes and
alerts), pending mail, API records and admin log entries, and times
`privacy.services.erasure.erase_customer` on them: --runs customers in
--mode anonymise (the default, the issue's target: under 1 s), then as
many in delete. Prints the median and the slowest run, the queries per
erasure, the slowest statements and, with --explain, the plan of every
statement that took over --explain-ms or reads a table sequentially (run
once more, on a fresh customer, inside a transaction that is rolled back).
The erased customers' anonymous rows stay, as any erased customer's do.
"""

import argparse
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

SUBSCRIPTION_URL = "https://erasure-bench.example/hooks/{}"
# Not "bench-": seed_bench numbers the customers whose external id starts so.
PREFIX = "erasure-bench-"
TARGET_SECONDS = 1.0
# Tables below this many rows are small enough for a sequential scan.
BIG_TABLE = 10_000


@dataclass
class Run:
    seconds: float
    statements: list[dict[str, Any]] = field(default_factory=list)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--customers",
        type=int,
        default=int(os.environ.get("BENCH_CUSTOMERS") or 1_000_000),
        help="seed up to this many customers first (default: $BENCH_CUSTOMERS "
        "or 1000000)",
    )
    parser.add_argument("--answers", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--mode", choices=["anonymise", "delete", "both"], default="both"
    )
    parser.add_argument(
        "--events",
        type=int,
        default=500_000,
        help="webhook events about the other customers (about 30 days' worth, "
        "WEBHOOK_KEEP_DAYS)",
    )
    parser.add_argument(
        "--api-records",
        type=int,
        default=50_000,
        help="kept Idempotency-Key answers (a day's API POSTs)",
    )
    parser.add_argument("--log-entries", type=int, default=500_000)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--explain-ms", type=float, default=20.0)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    from bench import harness

    skipped = harness.use_bench_servers()
    if skipped:
        print(f"Erasure benchmark {skipped}.")
        return 0
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from customers.models import Customer

    call_command("seed_bench", customers=args.customers)
    surround(args)
    modes = ["anonymise", "delete"] if args.mode == "both" else [args.mode]
    customers = Customer.objects.count()
    print(
        f"Erasure benchmark: {connection.settings_dict['NAME']}, "
        f"{customers:,} customers, {database_size()}; {table_sizes()}; "
        f"{harness.load_average()}"
    )
    for mode in modes:
        runs = [erase_one(args, mode=mode, index=index) for index in range(args.runs)]
        report(runs, mode=mode, answers=args.answers, cases=args.cases)
    if args.explain:
        explain(args, mode=modes[0])
    return 0


def database_size() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        return f"database {cursor.fetchone()[0]}"


def table_sizes() -> str:
    from django.contrib.admin.models import LogEntry
    from django.db import connection

    from customers.models import Interaction
    from feedback.models import Alert, Case, CaseEvent
    from idempotency.models import IdempotencyKey
    from surveys.models import Invitation, SurveyResponse
    from text.models import CommentAnalysis
    from webhooks.models import Delivery, Event

    models = [
        Interaction,
        Invitation,
        SurveyResponse,
        CommentAnalysis,
        Case,
        CaseEvent,
        Alert,
        Event,
        Delivery,
        IdempotencyKey,
        LogEntry,
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class WHERE relname = ANY(%s)",
            [[model._meta.db_table for model in models]],
        )
        rows = dict(cursor.fetchall())
    return ", ".join(
        f"{rows.get(model._meta.db_table, 0):,} {model._meta.db_table}"
        for model in models
    )


def erase_one(args: argparse.Namespace, *, mode: str, index: int) -> Run:
    from django.db import connection

    from privacy.services.erasure import erase_customer

    customer_id = make_customer(args, label=f"{mode}-{index}")
    statements: list[dict[str, Any]] = []

    def timing(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        # Not CaptureQueriesContext: Django's query log keeps 9,000 at most.
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append({"sql": sql, "time": time.perf_counter() - started})

    with connection.execute_wrapper(timing):
        started = time.perf_counter()
        erasure = erase_customer(customer_id, mode=mode)
        seconds = time.perf_counter() - started
    assert erasure.found, customer_id
    return Run(seconds=seconds, statements=statements)


def report(runs: list[Run], *, mode: str, answers: int, cases: int) -> None:
    """Prints the figures of one mode (the issue's target is anonymise's)."""
    times = [run.seconds for run in runs]
    median, worst = statistics.median(times), max(times)
    queries = sorted({len(run.statements) for run in runs})
    met = worst < TARGET_SECONDS
    print(
        f"erase_customer ({mode}, {answers:,} answers, {cases:,} cases): median "
        f"{median * 1000:.0f} ms, max {worst * 1000:.0f} ms over {len(runs)} "
        f"customers; {'/'.join(map(str, queries))} queries (target < "
        f"{TARGET_SECONDS * 1000:.0f} ms: {'met' if met else 'NOT met'})"
    )
    slowest = max(runs, key=lambda run: run.seconds)
    in_sql = sum(query["time"] for query in slowest.statements)
    print(
        f"  slowest run: {in_sql * 1000:.0f} ms of {slowest.seconds * 1000:.0f} ms "
        "in the database; its slowest statements:"
    )
    top = sorted(slowest.statements, key=lambda q: -q["time"])[:5]
    for query in top:
        print(f"  {query['time'] * 1000:7.1f} ms  {query['sql'][:150]}")


def make_customer(args: argparse.Namespace, *, label: str) -> int:
    """A customer with the history the module's docstring describes; returns
    its id (committed: erase_customer runs in its own transaction)."""
    from django.db import transaction

    with transaction.atomic():
        return History(args, label=label).write()


class History:
    """One customer's rows, written with bulk_create (a few thousand)."""

    def __init__(self, args: argparse.Namespace, *, label: str) -> None:
        from django.contrib.auth.models import User
        from django.utils import timezone

        from customers.models import Company, Touchpoint
        from feedback.models import RootCause
        from surveys.models import Survey

        self.answers, self.cases = args.answers, args.cases
        self.label = f"{label}-{secrets.token_hex(4)}"
        self.now = timezone.now()
        self.staff = list(User.objects.filter(is_staff=True).order_by("pk")[:8])
        self.surveys = list(Survey.objects.order_by("pk"))
        self.touchpoints = list(Touchpoint.objects.order_by("pk")[:4])
        self.company = Company.objects.order_by("?").only("pk").first()
        self.root_cause = RootCause.objects.order_by("pk").first()
        self.subscriptions = subscriptions()

    def write(self) -> int:
        from customers.models import Customer

        customer = Customer.objects.create(
            name=f"Erasure Bench {self.label}",
            email=f"{PREFIX}{self.label}@example.com",
            # Their own number: a shared one would find the other runs' rows.
            phone=f"+86 138 {secrets.randbelow(10**8):08d}",
            external_id=f"{PREFIX}{self.label}",
            company=self.company,
            owner=self.staff[0],
            created_at=self.now - timedelta(days=400),
        )
        interactions = self.interactions(customer)
        invitations = self.invitations(customer, interactions)
        responses = self.responses(customer, invitations)
        self.readings(responses)
        cases = self.open_cases(customer, responses)
        self.timelines(cases)
        self.events(customer, interactions, responses, cases)
        self.api_records(customer, interactions)
        self.admin_log(customer, cases)
        return int(customer.pk)

    def moment(self, index: int) -> datetime:
        return self.now - timedelta(hours=8 * (self.answers - index) + 2)

    def interactions(self, customer: Any) -> list[Any]:
        from customers.models import Interaction

        return Interaction.objects.bulk_create(
            Interaction(
                customer=customer,
                touchpoint=self.touchpoints[index % len(self.touchpoints)],
                channel="phone",
                subject=f"Call {index} with {customer.name}",
                notes=f"{customer.name} asked to be called on {customer.phone}",
                occurred_at=self.moment(index),
                logged_by=self.staff[index % len(self.staff)],
                status=Interaction.Status.RESOLVED,
                resolved_at=self.moment(index),
                created_at=self.moment(index),
            )
            for index in range(self.answers)
        )

    def invitations(self, customer: Any, interactions: list[Any]) -> list[Any]:
        from surveys.models import Invitation

        answered = Invitation.objects.bulk_create(
            Invitation(
                survey=self.surveys[index % len(self.surveys)],
                customer=customer,
                interaction=interaction,
                nonce=secrets.token_hex(16),
                token_hash=secrets.token_hex(32),
                status=Invitation.Status.ANSWERED,
                sent_at=self.moment(index),
                opened_at=self.moment(index),
                answered_at=self.moment(index),
                attempts=1,
                created_at=self.moment(index),
            )
            for index, interaction in enumerate(interactions)
        )
        # Mail still to go, and a reminder due: erasure cancels both.
        Invitation.objects.bulk_create(
            Invitation(
                survey=survey,
                customer=customer,
                nonce=secrets.token_hex(16),
                token_hash=secrets.token_hex(32),
                status=status,
                scheduled_for=self.now + timedelta(hours=1),
                next_reminder_at=reminder,
                last_error=f"451 {customer.email} greylisted",
                occasion=f"{PREFIX}{status}",
            )
            for survey in self.surveys
            for status, reminder in (
                (Invitation.Status.SCHEDULED, None),
                (Invitation.Status.SENT, self.now + timedelta(days=2)),
            )
        )
        return answered

    def responses(self, customer: Any, invitations: list[Any]) -> list[Any]:
        from surveys.models import SurveyResponse, band_for

        responses = []
        for index, invitation in enumerate(invitations):
            survey = invitation.survey
            # The first --cases answers are the unhappy ones, with a case.
            unhappy = index < self.cases
            score = {"nps": 2 if unhappy else 9, "csat": 1 if unhappy else 5}.get(
                survey.kind, 1 if unhappy else 6
            )
            responses.append(
                SurveyResponse(
                    invitation=invitation,
                    score=score,
                    comment=f"{customer.name} says: answer {index}"
                    if index % 2 == 0
                    else "",
                    band=band_for(survey.kind, score),
                    is_confirmed=True,
                    answered_at=invitation.answered_at,
                    customer=customer,
                    survey=survey,
                    kind=survey.kind,
                    channel="phone",
                    touchpoint=invitation.interaction.touchpoint,
                    stage="usage",
                    company=self.company,
                    staff=invitation.interaction.logged_by,
                )
            )
        return SurveyResponse.objects.bulk_create(responses)

    def readings(self, responses: list[Any]) -> None:
        from text.models import CommentAnalysis, comment_digest

        CommentAnalysis.objects.bulk_create(
            CommentAnalysis(
                response=response,
                comment_digest=comment_digest(response.comment),
                dictionary_digest="bench",
                language="en",
                score=0.5,
                label="positive",
                keywords=["answer"],
                spans=[[0, 7]],
                analysed_at=response.answered_at,
            )
            for response in responses
            if response.comment
        )

    def open_cases(self, customer: Any, responses: list[Any]) -> list[Any]:
        from feedback.models import Case

        cases = []
        for index, response in enumerate(responses[: self.cases]):
            closed = index % 3 != 0
            cases.append(
                Case(
                    response=response,
                    kind=response.kind,
                    customer=customer,
                    interaction=response.invitation.interaction,
                    reason=Case.Reason.DETRACTOR,
                    status=Case.Status.CLOSED if closed else Case.Status.OPEN,
                    owner=self.staff[0],
                    due_at=response.answered_at + timedelta(days=2),
                    closed_at=response.answered_at + timedelta(days=1)
                    if closed
                    else None,
                    resolution=f"Called {customer.name} back" if closed else "",
                    root_cause=self.root_cause if closed else None,
                    created_at=response.answered_at,
                )
            )
        return Case.objects.bulk_create(cases)

    def timelines(self, cases: list[Any]) -> None:
        from feedback.models import Alert, CaseEvent

        events = []
        for case in cases:
            events.append(
                CaseEvent(
                    case=case,
                    kind=CaseEvent.Kind.OPENED,
                    data={"comment": case.response.comment},
                    created_at=case.created_at,
                )
            )
            events.append(
                CaseEvent(
                    case=case,
                    kind=CaseEvent.Kind.NOTE,
                    actor=self.staff[0],
                    note=f"Rang {case.customer.name} on {case.customer.phone}",
                    created_at=case.created_at + timedelta(hours=1),
                )
            )
        events = CaseEvent.objects.bulk_create(events)
        Alert.objects.bulk_create(
            Alert(
                event=event,
                channel=Alert.Channel.EMAIL,
                recipient=self.staff[0],
                created_at=event.created_at,
                next_attempt_at=None if event.case.closed_at else self.now,
                sent_at=event.created_at if event.case.closed_at else None,
                last_error="" if event.case.closed_at else "timed out",
            )
            for event in events
            if event.kind == CaseEvent.Kind.OPENED
        )

    def events(
        self,
        customer: Any,
        interactions: list[Any],
        responses: list[Any],
        cases: list[Any],
    ) -> None:
        from webhooks.models import Delivery, Event

        payloads = (
            [
                (
                    "interaction.created",
                    each.created_at,
                    {
                        "id": each.pk,
                        "customer": customer.pk,
                        "subject": each.subject,
                        "notes": each.notes,
                    },
                )
                for each in interactions
            ]
            + [
                (
                    "response.created",
                    each.answered_at,
                    {
                        "id": each.pk,
                        "customer": customer.pk,
                        "score": each.score,
                        "comment": each.comment,
                    },
                )
                for each in responses
            ]
            + [
                (
                    "case.opened",
                    each.created_at,
                    {"id": each.pk, "customer": customer.pk},
                )
                for each in cases
            ]
        )
        # Another customer's event quoting this one's address.
        payloads.append(
            (
                "interaction.created",
                self.now,
                {"id": 0, "customer": 0, "notes": f"Referred by {customer.email}"},
            )
        )
        events = Event.objects.bulk_create(
            Event(type=kind, created_at=at, payload=payload)
            for kind, at, payload in payloads
        )
        recent = self.now - timedelta(days=1)
        Delivery.objects.bulk_create(
            Delivery(
                subscription=subscription,
                event=event,
                status=Delivery.Status.PENDING
                if event.created_at > recent
                else Delivery.Status.SUCCEEDED,
                attempts=0 if event.created_at > recent else 1,
                delivered_at=None if event.created_at > recent else event.created_at,
            )
            for event in events
            for subscription in self.subscriptions
        )

    def api_records(self, customer: Any, interactions: list[Any]) -> None:
        import json

        from idempotency.models import IdempotencyKey

        owner = self.staff[0]
        bodies = [
            (
                "/api/v1/customers/",
                {"id": customer.pk, "name": customer.name, "email": customer.email},
            )
        ] + [
            ("/api/v1/interactions/", {"id": each.pk, "customer": customer.pk})
            for each in interactions[-20:]
        ]
        IdempotencyKey.objects.bulk_create(
            IdempotencyKey(
                owner=owner,
                key=f"{self.label}-{index}",
                method="POST",
                path=path,
                request_hash=secrets.token_hex(32),
                status=IdempotencyKey.Status.COMPLETED,
                response_status=201,
                response_body=json.dumps(body, separators=(",", ":")).encode(),
                created_at=self.now - timedelta(minutes=index),
            )
            for index, (path, body) in enumerate(bodies)
        )

    def admin_log(self, customer: Any, cases: list[Any]) -> None:
        from django.contrib.admin.models import CHANGE, LogEntry
        from django.contrib.contenttypes.models import ContentType

        from customers.models import Customer
        from feedback.models import Case

        user = self.staff[0]
        LogEntry.objects.bulk_create(
            [
                LogEntry(
                    user=user,
                    content_type=ContentType.objects.get_for_model(Customer),
                    object_id=str(customer.pk),
                    object_repr=str(customer),
                    action_flag=CHANGE,
                    change_message='[{"changed": {"fields": ["Phone"]}}]',
                )
            ]
            + [
                LogEntry(
                    user=user,
                    content_type=ContentType.objects.get_for_model(Case),
                    object_id=str(case.pk),
                    object_repr=f"Case #{case.pk}",
                    action_flag=CHANGE,
                    change_message='[{"changed": {"fields": ["Owner"]}}]',
                )
                for case in cases[:10]
            ]
        )


def subscriptions() -> list[Any]:
    from django.contrib.auth.models import User

    from webhooks.models import EVENT_TYPES, Subscription

    owner = User.objects.filter(is_staff=True).order_by("pk")[0]
    found = list(Subscription.objects.filter(url__startswith=SUBSCRIPTION_URL[:-2]))
    for number in range(len(found), 2):
        found.append(
            Subscription.objects.create(
                owner=owner,
                url=SUBSCRIPTION_URL.format(number + 1),
                event_types=EVENT_TYPES,
            )
        )
    return found


def surround(args: argparse.Namespace) -> None:
    """The other customers' rows erasure reads through (see the docstring),
    written once: the subscriptions mark that it was done."""
    from django.db import transaction

    from webhooks.models import Subscription

    if Subscription.objects.filter(url__startswith=SUBSCRIPTION_URL[:-2]).exists():
        return
    started = time.perf_counter()
    with transaction.atomic():
        found = subscriptions()
        params = {
            "events": args.events,
            "api_records": args.api_records,
            "log_entries": args.log_entries,
            "first": found[0].pk,
            "second": found[1].pk,
        }
        with connection_cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            for name, statement in SURROUNDINGS:
                step = time.perf_counter()
                cursor.execute(statement, params)
                print(
                    f"  {name}: {cursor.rowcount:,} rows in "
                    f"{time.perf_counter() - step:.1f} s"
                )
    with connection_cursor() as cursor:
        for table in SURROUNDED_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"surroundings written in {time.perf_counter() - started:.1f} s")


@contextmanager
def connection_cursor() -> Iterator[Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        yield cursor


SURROUNDED_TABLES = [
    "feedback_caseevent",
    "feedback_alert",
    "text_commentanalysis",
    "webhooks_event",
    "webhooks_delivery",
    "idempotency_idempotencykey",
    "django_admin_log",
]
# Every case: opened (with the comment that opened it), a staff note, and
# closed when it is; the owner's alert about the opening. The admin's log:
# field names changed, or an interaction added inline (its name in the
# message).
SURROUNDINGS: list[tuple[str, str]] = [
    (
        "case timelines",
        """
        INSERT INTO feedback_caseevent (case_id, kind, actor_id, note, data, created_at)
        SELECT c.id, e.kind, CASE WHEN e.kind = 'note' THEN c.owner_id END,
            CASE WHEN e.kind = 'note' THEN 'Rang the customer, left a message'
                ELSE '' END,
            CASE WHEN e.kind = 'opened'
                THEN jsonb_build_object('comment', COALESCE(r.comment, ''))
                ELSE '{}'::jsonb END,
            c.created_at + e.after
        FROM feedback_case AS c
        LEFT JOIN surveys_surveyresponse AS r ON r.id = c.response_id
        CROSS JOIN (VALUES ('opened', interval '0'), ('note', interval '1 hour'),
                           ('closed', interval '1 day')) AS e (kind, after)
        WHERE e.kind <> 'closed' OR c.status = 'closed'
        """,
    ),
    (
        "alerts",
        """
        INSERT INTO feedback_alert (event_id, channel, recipient_id, created_at,
            next_attempt_at, sent_at, attempts, last_error, dropped_at, drop_reason)
        SELECT e.id, 'email', c.owner_id, e.created_at, NULL, e.created_at, 1, '',
            NULL, ''
        FROM feedback_caseevent AS e JOIN feedback_case AS c ON c.id = e.case_id
        WHERE e.kind = 'opened' AND c.owner_id IS NOT NULL
        """,
    ),
    (
        "comment readings",
        """
        INSERT INTO text_commentanalysis (response_id, comment_digest,
            dictionary_digest, language, score, label, spans, keywords,
            needs_review, corrected_label, analysed_at, counted_band, counted_day)
        SELECT r.id, encode(sha256(convert_to(r.comment, 'UTF8')), 'hex'), 'bench',
            CASE WHEN r.language = 'zh-hans' THEN 'zh' ELSE 'en' END,
            CASE WHEN r.band = 'detractor' THEN -0.5 ELSE 0.5 END,
            CASE WHEN r.band = 'detractor' THEN 'negative' ELSE 'positive' END,
            '[]', jsonb_build_array(split_part(r.comment, ' ', 1)), false, '',
            r.answered_at, r.band, r.answered_at::date
        FROM surveys_surveyresponse AS r WHERE r.comment <> ''
        """,
    ),
    # The latest rows' events, as their serializers write them (the fields
    # erasure looks at: id, customer, and what was typed).
    (
        "webhook events",
        """
        INSERT INTO webhooks_event (id, type, created_at, payload)
        SELECT gen_random_uuid(), kind, at, payload FROM (
            (SELECT 'interaction.created' AS kind, i.created_at AS at,
                jsonb_build_object('id', i.id, 'customer', i.customer_id,
                    'touchpoint', i.touchpoint_id, 'channel', i.channel,
                    'subject', i.subject, 'notes', i.notes,
                    'occurred_at', i.occurred_at) AS payload
             FROM customers_interaction AS i
             ORDER BY i.id DESC LIMIT %(events)s / 2)
            UNION ALL
            (SELECT 'response.created', r.answered_at,
                jsonb_build_object('id', r.id, 'customer', r.customer_id,
                    'survey', r.survey_id, 'score', r.score, 'band', r.band,
                    'comment', r.comment, 'answered_at', r.answered_at)
             FROM surveys_surveyresponse AS r
             ORDER BY r.id DESC LIMIT %(events)s * 3 / 10)
            UNION ALL
            (SELECT 'case.opened', c.created_at,
                jsonb_build_object('id', c.id, 'customer', c.customer_id,
                    'status', c.status, 'reason', c.reason)
             FROM feedback_case AS c
             ORDER BY c.id DESC LIMIT %(events)s / 10)
            UNION ALL
            (SELECT 'customer.unsubscribed', c.updated_at,
                jsonb_build_object('id', c.id, 'name', c.name, 'email', c.email,
                    'external_id', c.external_id)
             FROM customers_customer AS c
             ORDER BY c.id DESC LIMIT %(events)s / 10)
        ) AS events
        """,
    ),
    (
        "webhook deliveries",
        """
        INSERT INTO webhooks_delivery (subscription_id, event_id, status, attempts,
            next_attempt_at, last_status_code, last_error, delivered_at)
        SELECT s.id, e.id, 'succeeded', 1, NULL, 200, '', e.created_at
        FROM webhooks_event AS e
        CROSS JOIN (VALUES (%(first)s), (%(second)s)) AS s (id)
        """,
    ),
    (
        "API records",
        """
        INSERT INTO idempotency_idempotencykey (owner_id, key, method, path,
            request_hash, status, response_status, response_headers,
            response_body, created_at, completed_at)
        SELECT i.logged_by_id, 'bench-erase-' || i.id, 'POST',
            '/api/v1/interactions/', md5(i.id::text) || md5(i.id::text),
            'completed', 201, '{}',
            convert_to(json_build_object('id', i.id, 'customer', i.customer_id,
                'subject', i.subject, 'notes', i.notes)::text, 'UTF8'),
            now() - (g.n * interval '1 second'), now()
        FROM (SELECT i.*, row_number() OVER (ORDER BY i.id DESC) AS n
              FROM customers_interaction AS i
              WHERE i.logged_by_id IS NOT NULL
              ORDER BY i.id DESC LIMIT %(api_records)s) AS i
        CROSS JOIN LATERAL (SELECT i.n) AS g (n)
        """,
    ),
    (
        "admin log",
        """
        INSERT INTO django_admin_log (action_time, object_id, object_repr,
            action_flag, change_message, content_type_id, user_id)
        SELECT c.updated_at, c.id::text, left(c.name, 200), 2,
            CASE c.id %% 4
                WHEN 0 THEN '[{"changed": {"fields": ["Phone"]}}]'
                WHEN 1 THEN '[{"changed": {"fields": ["Owner", "Stage", "Tags"]}}]'
                ELSE json_build_array(json_build_object('added', json_build_object(
                    'name', 'interaction',
                    'object', 'Call with ' || c.name || ' about order '
                        || (c.id * 7919 %% 100000)::text)))::text
            END,
            (SELECT id FROM django_content_type
             WHERE app_label = 'customers' AND model = 'customer'),
            (SELECT min(id) FROM auth_user WHERE is_staff)
        FROM customers_customer AS c
        ORDER BY c.id DESC LIMIT %(log_entries)s
        """,
    ),
]


def explain(args: argparse.Namespace, *, mode: str) -> None:
    """Erase one more customer, inside a transaction rolled back at the end,
    running EXPLAIN ANALYZE of each statement first (in a savepoint, undone)
    and printing the plans of the slow ones and of those that read a big
    table from end to end."""
    from django.db import connection, transaction

    from privacy.services.erasure import erase_customer

    customer_id = make_customer(args, label=f"explain-{mode}")
    plans: list[tuple[float, str, list[str]]] = []

    def explaining(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if not many and sql.lstrip().upper().startswith(
            ("SELECT", "UPDATE", "DELETE", "INSERT")
        ):
            cursor = context["cursor"]
            cursor.execute("SAVEPOINT bench_explain")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            lines = [row[0] for row in cursor.fetchall()]
            cursor.execute("ROLLBACK TO SAVEPOINT bench_explain")
            total = next(
                (float(line.split()[2]) for line in lines if "Execution Time" in line),
                0.0,
            )
            plans.append((total, sql, lines))
        return execute(sql, params, many, context)

    with transaction.atomic():
        with connection.execute_wrapper(explaining):
            erase_customer(customer_id, mode=mode)
        transaction.set_rollback(True)
    erase_customer(customer_id, mode=mode)
    sizes = table_rows()
    print(f"\nPlans ({mode}, {len(plans)} statements explained):")
    for total, sql, lines in sorted(plans, key=lambda plan: -plan[0]):
        scanned = [table for line in lines if (table := scanned_table(line))]
        if total < args.explain_ms and not any(
            sizes.get(table, 0) >= BIG_TABLE for table in scanned
        ):
            continue
        print(f"\n{total:.1f} ms  {sql[:300]}")
        print("\n".join(shorten(line) for line in lines))


def shorten(line: str, width: int = 240) -> str:
    """A plan line without most of a long list of ids."""
    return line if len(line) <= width else f"{line[:width]} …"


def scanned_table(line: str) -> str:
    """The table a plan line reads from end to end, or ""."""
    marker = "Seq Scan on "
    if marker not in line:
        return ""
    return line.split(marker)[1].split()[0]


def table_rows() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class WHERE relkind = 'r'"
        )
        return dict(cursor.fetchall())


if __name__ == "__main__":
    sys.exit(main())
