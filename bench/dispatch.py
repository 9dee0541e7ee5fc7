"""Dispatch: due invitations delivered to a local SMTP server, against a floor.

    DATABASE_URL=postgres://… SECRET_KEY=… .venv/bin/python bench/dispatch.py

Writes --invitations due invitations (default 100,000; one new customer each,
of a survey of its own), starts a counting SMTP sink (aiosmtpd, a process of
its own) and measures, one after the other:

- the floor: plain smtplib sending as many pre-rendered messages (rendered
  once by surveys.services.sending.render_invitation) over one connection;
- the real thing: --workers Celery workers (default two, each prefork with
  one process; see --pool, --concurrency) on PostgreSQL and Redis, SMTP_URL
  at the sink, and `sending.dispatch(now=…, limit=N)` called from here, timed
  until the sink has every mail and the database says every invitation is
  `sent`.

The invitations are due at a moment before anything else in the database
was due, and `dispatch` is given that moment: it queues this run's rows
alone, whatever else the database holds. Everything the run wrote is deleted
at the end (and at the start, after an interrupted run). Needs PostgreSQL and
Redis (see bench/harness.py); skipped on SQLite.
"""

import argparse
import email.utils
import os
import smtplib
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

from bench import harness, report  # noqa: E402 (after the path is set)
from bench.smtp_sink import Sink  # noqa: E402

if TYPE_CHECKING:
    from surveys.models import Survey

SURVEY_NAME = "Benchmark: dispatch"
CUSTOMER_PREFIX = "dispatchbench-"
WORKER_NAME = "bench-dispatch"
HEADERS = ["run", "mails", "seconds", "mails/s"]
GOAL = 0.5


@dataclass
class Run:
    name: str
    mails: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.mails / self.seconds

    def cells(self) -> list[object]:
        return [self.name, self.mails, self.seconds, self.rate]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invitations", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--pool", default="prefork", help="each worker's pool")
    parser.add_argument("--concurrency", type=int, default=1, help="each worker's")
    parser.add_argument(
        "--stall-seconds",
        type=float,
        default=120,
        help="give up when no mail arrives for this long",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    skipped = harness.use_bench_servers()
    if skipped:
        print(f"Dispatch benchmark {skipped}")
        return 0
    import django

    django.setup()
    from django.db import connection

    count = args.invitations
    harness.remove_rows(survey_name=SURVEY_NAME, customer_prefix=CUSTOMER_PREFIX)
    try:
        started = time.perf_counter()
        survey, due_at = write_invitations(count)
        written = time.perf_counter() - started
        print(
            f"Dispatch benchmark: {count:,} due invitations on PostgreSQL "
            f"{connection.settings_dict['NAME']} (written in {written:.1f} s), "
            f"{args.workers} Celery workers ({args.pool}, concurrency "
            f"{args.concurrency}), "
            f"Redis {os.environ['REDIS_URL']}, aiosmtpd sink in its own process; "
            f"{harness.load_average()}",
            flush=True,
        )
        sink = Sink(harness.free_port()).start()
        try:
            floor = measure_floor(sink, survey, count)
            real = measure_dispatch(
                sink,
                survey,
                count,
                due_at=due_at,
                workers=args.workers,
                pool=args.pool,
                concurrency=args.concurrency,
                stall_seconds=args.stall_seconds,
            )
        finally:
            sink.stop()
    finally:
        harness.remove_rows(survey_name=SURVEY_NAME, customer_prefix=CUSTOMER_PREFIX)
    print(report.format_table(HEADERS, [floor.cells(), real.cells()]))
    print(
        f"ratio: {real.rate / floor.rate:.2f} of the floor (goal: at least "
        f"{GOAL:.1f}); {harness.load_average()} at the end"
    )
    return 0


def write_invitations(count: int) -> tuple["Survey", datetime]:
    from django.db.models import Min
    from django.utils import timezone

    from surveys.models import Invitation

    now = timezone.now()
    others = Invitation.objects.all()
    earliest = [
        others.due(now).aggregate(at=Min("scheduled_for"))["at"],
        others.reminders_due(now).aggregate(at=Min("next_reminder_at"))["at"],
    ]
    due_at = min(
        [now - timedelta(minutes=1)]
        + [at - timedelta(seconds=1) for at in earliest if at is not None]
    )
    survey = harness.create_survey(SURVEY_NAME)
    customers = harness.create_customers(CUSTOMER_PREFIX, count, now=now)
    harness.create_invitations(
        survey,
        customers,
        status=Invitation.Status.SCHEDULED,
        scheduled_for=due_at,
        created_at=due_at,
    )
    return survey, due_at


def measure_floor(sink: Sink, survey: "Survey", count: int) -> Run:
    """smtplib over one connection, messages rendered once and sent again."""
    from surveys.models import Invitation
    from surveys.services import sending

    sample = Invitation.objects.filter(survey=survey).select_related(
        "customer", "survey"
    )[:10]
    messages = []
    for invitation in sample:
        message = sending.render_invitation(invitation)
        sender = email.utils.parseaddr(message.from_email)[1]
        payload = message.message().as_bytes(linesep="\r\n")
        messages.append((sender, message.recipients(), payload))
    before = sink.received
    with smtplib.SMTP("127.0.0.1", sink.port, local_hostname="bench") as smtp:
        started = time.perf_counter()
        for number in range(count):
            sender, recipients, payload = messages[number % len(messages)]
            smtp.sendmail(sender, recipients, payload)
        seconds = time.perf_counter() - started
    received = sink.received - before
    if received != count:
        raise RuntimeError(f"The sink received {received:,} of {count:,} mails.")
    print(f"  floor: {count:,} mails in {seconds:.1f} s", flush=True)
    return Run("floor: smtplib, 1 connection, pre-rendered", count, seconds)


def measure_dispatch(
    sink: Sink,
    survey: "Survey",
    count: int,
    *,
    due_at: datetime,
    workers: int,
    pool: str,
    concurrency: int,
    stall_seconds: float,
) -> Run:
    from surveys.models import Invitation
    from surveys.services import sending

    smtp_url = f"smtp://127.0.0.1:{sink.port}"
    children = [
        harness.Child(
            f"dispatch-worker-{number}",
            harness.python_argv(
                "-m", "celery", "-A", "crm", "worker", "--pool", pool,
                "--concurrency", str(concurrency), "--loglevel", "WARNING",
                "--hostname", f"{WORKER_NAME}-{number}@%h",
            ),
            harness.child_env(SMTP_URL=smtp_url),
        )
        for number in range(1, workers + 1)
    ]  # fmt: skip
    try:
        wait_for_workers(children)
        sent = Invitation.objects.filter(survey=survey, status=Invitation.Status.SENT)
        before = sink.received
        started = time.perf_counter()
        queued = sending.dispatch(now=due_at, limit=count).queued
        print(
            f"  dispatch queued {queued:,} in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        last_seen, last_change, last_report = 0, started, started
        while True:
            time.sleep(0.05)
            received = sink.received - before
            moment = time.perf_counter()
            if received >= count and sent.count() >= count:
                break
            if received != last_seen:
                last_seen, last_change = received, moment
            elif moment - last_change > stall_seconds:
                raise RuntimeError(
                    f"No mail for {stall_seconds:.0f} s: {received:,} of {count:,} "
                    f"received; statuses {statuses(survey)}; logs in {harness.LOG_DIR}"
                )
            if moment - last_report >= 60:
                last_report = moment
                print(
                    f"  … {received:,} mails after {moment - started:.0f} s",
                    flush=True,
                )
        seconds = time.perf_counter() - started
    finally:
        for child in children:
            child.stop()
    received = sink.received - before
    if received != count:
        raise RuntimeError(f"{received:,} mails for {count:,} invitations.")
    print(f"  touchloop: {count:,} mails in {seconds:.1f} s", flush=True)
    name = f"touchloop: dispatch, {workers} workers"
    if (pool, concurrency) != ("prefork", 1):
        name += f" ({pool} × {concurrency})"
    return Run(name, count, seconds)


def wait_for_workers(children: list[harness.Child], timeout: float = 60) -> None:
    from crm.celery import app

    deadline = time.monotonic() + timeout
    while True:
        for child in children:
            if not child.is_running():
                raise RuntimeError(f"Worker {child.name} exited; see {child.log}")
        replies = app.control.ping(timeout=0.5) or []
        names = {name for reply in replies for name in reply}
        if sum(name.startswith(WORKER_NAME) for name in names) >= len(children):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"Workers not ready after {timeout:.0f} s: {names}")


def statuses(survey: "Survey") -> dict[str, int]:
    from django.db.models import Count

    from surveys.models import Invitation

    rows = (
        Invitation.objects.filter(survey=survey)
        .values_list("status")
        .annotate(count=Count("id"))
    )
    return dict(rows)


if __name__ == "__main__":
    sys.exit(main())
