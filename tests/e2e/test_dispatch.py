"""The outbox under failure, with real processes: PostgreSQL, Redis, Celery
worker and beat, and an SMTP server (aiosmtpd) that counts what it receives.

Each scenario asserts exact counts from the database and from the SMTP server.
The lease is 5 s, retries back off from 1 s and beat dispatches every second
(OUTBOX_SETTINGS in conftest.py), so that a scenario takes seconds.
"""

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from customers.models import Customer
from surveys.models import Invitation
from tests.e2e.conftest import CeleryProcesses, RedisServer, SmtpServer
from tests.factories import (
    CompanyFactory,
    CustomerFactory,
    InvitationFactory,
    SurveyFactory,
)

pytestmark = pytest.mark.e2e

Status = Invitation.Status
TIMEOUT = 75  # seconds, for any one wait


def create_due_invitations(count: int) -> list[int]:
    """`count` first mails that were due five minutes ago, one customer each."""
    survey = SurveyFactory.create()
    company = CompanyFactory.create()
    customers = Customer.objects.bulk_create(
        CustomerFactory.build_batch(count, company=company)
    )
    due = timezone.now() - timedelta(minutes=5)
    invitations = Invitation.objects.bulk_create(
        InvitationFactory.build(
            survey=survey,
            customer=customer,
            interaction=None,
            status=Status.SCHEDULED,
            scheduled_for=due,
            sent_at=None,
        )
        for customer in customers
    )
    return [invitation.pk for invitation in invitations]


def count(**filters: object) -> int:
    return Invitation.objects.filter(**filters).count()


def statuses() -> dict[str, int]:
    return dict(Counter(Invitation.objects.values_list("status", flat=True)))


def wait_until(
    condition: Callable[[], bool],
    *,
    what: str,
    processes: CeleryProcesses,
    timeout: float = TIMEOUT,
) -> float:
    """Poll until `condition` holds; the seconds it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(
                f"not within {timeout} s: {what}; invitations: {statuses()}\n"
                + processes.tail()
            )
        time.sleep(0.02)
    return time.monotonic() - start


def wait_until_idle(queue: RedisServer, processes: CeleryProcesses) -> None:
    """Until no task is queued or running, twice in a row: a late duplicate
    task would have to show here before the counts are taken."""

    def idle_twice() -> bool:
        if not queue.is_idle():
            return False
        time.sleep(0.5)
        return queue.is_idle()

    wait_until(idle_twice, what="the queue empties", processes=processes)


def test_a_worker_killed_mid_batch_loses_no_mail_and_repeats_only_its_claims(
    smtp_server: SmtpServer, celery_processes: CeleryProcesses
):
    ids = create_due_invitations(1000)
    started = time.monotonic()
    first = celery_processes.worker("first")
    killed = threading.Event()

    def kill_at_a_third(total: int) -> None:
        # Before the server answers 250: the worst moment, the mail is
        # delivered and its worker can never mark it sent.
        if total == 333:
            celery_processes.kill(first)
            killed.set()

    smtp_server.handler.on_received = kill_at_a_third
    celery_processes.beat()
    wait_until(
        killed.is_set, what="a third of the mail arrives", processes=celery_processes
    )
    smtp_server.handler.on_received = None
    received_at_kill = smtp_server.received
    # The dead worker's claims: each may have reached the SMTP server without
    # being marked sent, and is sent again after the lease.
    claims_at_kill = count(status=Status.SENDING)
    celery_processes.worker("second")
    wait_until(
        lambda: count(status=Status.SENT) == 1000,
        what="every invitation is sent",
        processes=celery_processes,
    )
    elapsed = time.monotonic() - started

    copies = smtp_server.copies_by_invitation()
    duplicates = smtp_server.duplicates()
    print(
        f"\nkilled worker: 1000 invitations, {received_at_kill} received at the "
        f"kill, {claims_at_kill} claims open, {duplicates} duplicates, "
        f"{elapsed:.1f} s"
    )
    assert received_at_kill < 1000
    assert statuses() == {Status.SENT: 1000}
    assert count(sent_at=None) == 0
    assert set(copies) == set(ids)
    # At least the mail the server held at the kill; at most one per claim.
    assert 1 <= duplicates <= claims_at_kill
    assert smtp_server.received == 1000 + duplicates
    assert len(smtp_server.handler.by_recipient) == 1000


def test_an_smtp_outage_puts_mail_back_until_the_server_returns(
    smtp_server: SmtpServer,
    private_redis: RedisServer,
    celery_processes: CeleryProcesses,
):
    smtp_server.stop()
    ids = create_due_invitations(200)
    started = time.monotonic()
    celery_processes.worker()
    celery_processes.beat()

    def every_one_put_back_twice() -> bool:
        assert count(status=Status.SENT) == 0, "marked sent while the server is down"
        assert count(sent_at__isnull=False) == 0
        put_back = Invitation.objects.filter(status=Status.SCHEDULED, attempts__gte=2)
        return put_back.exclude(last_error="").count() == 200

    wait_until(
        every_one_put_back_twice,
        what="every invitation is tried twice and put back",
        processes=celery_processes,
    )
    down_for = time.monotonic() - started
    errors = set(Invitation.objects.values_list("last_error", flat=True))
    assert all("Connection refused" in error for error in errors), errors
    assert smtp_server.received == 0

    smtp_server.start()
    wait_until(
        lambda: count(status=Status.SENT) == 200,
        what="every invitation is sent",
        processes=celery_processes,
    )
    wait_until_idle(private_redis, celery_processes)
    elapsed = time.monotonic() - started

    attempts = Invitation.objects.values_list("attempts", flat=True)
    print(
        f"\nSMTP outage: 200 invitations, down {down_for:.1f} s, attempts "
        f"{min(attempts)}–{max(attempts)}, "
        f"{smtp_server.received - 200} duplicates, {elapsed:.1f} s"
    )
    assert statuses() == {Status.SENT: 200}
    assert count(last_error="") == 200
    assert smtp_server.copies_by_invitation() == dict.fromkeys(ids, 1)
    assert smtp_server.received == 200


DISPATCHER = """
import json
import sys
from datetime import datetime

import django

django.setup()
from surveys.services import sending

now = datetime.fromisoformat(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
print(json.dumps(vars(sending.dispatch(now=now))), flush=True)
"""


def dispatch_twice_at_once(processes: CeleryProcesses) -> list[dict[str, int]]:
    """Two dispatcher processes, released together once both are loaded."""
    now = timezone.now().isoformat()
    dispatchers = [processes.python(DISPATCHER, now) for _ in range(2)]
    try:
        for dispatcher in dispatchers:
            assert dispatcher.stdout is not None
            assert dispatcher.stdout.readline().strip() == "ready"
        for dispatcher in dispatchers:
            assert dispatcher.stdin is not None
            dispatcher.stdin.write("go\n")
            dispatcher.stdin.flush()
        outputs = [dispatcher.communicate(timeout=60)[0] for dispatcher in dispatchers]
    finally:
        for dispatcher in dispatchers:
            dispatcher.kill()
    assert all(dispatcher.returncode == 0 for dispatcher in dispatchers)
    return [json.loads(output) for output in outputs]


def deliver_every_task_twice(client: redis.Redis) -> int:
    """Put a copy of every queued task right behind it, as a second publish
    or a broker's redelivery would (its own delivery tag, the same task id):
    two pool processes then take the same batch at the same moment."""
    messages = client.lrange("celery", 0, -1)
    pipeline = client.pipeline(transaction=True)
    pipeline.delete("celery")
    for raw in messages:
        message = json.loads(raw)
        assert message["headers"]["task"] == "surveys.tasks.send_batch_task"
        message["properties"]["delivery_tag"] = str(uuid.uuid4())
        # LRANGE reads from the head, where kombu publishes; workers take from
        # the tail. Pushing to the tail in that order keeps the order.
        pipeline.rpush("celery", raw, json.dumps(message))
    pipeline.execute()
    return 2 * len(messages)


def test_two_dispatchers_and_every_task_twice_send_each_mail_once(
    smtp_server: SmtpServer,
    private_redis: RedisServer,
    celery_processes: CeleryProcesses,
):
    ids = create_due_invitations(300)
    started = time.monotonic()

    reports = dispatch_twice_at_once(celery_processes)
    with private_redis.client() as client:
        tasks = deliver_every_task_twice(client)
    celery_processes.worker()
    wait_until(
        lambda: count(status=Status.SENT) == 300,
        what="every invitation is sent",
        processes=celery_processes,
    )
    wait_until_idle(private_redis, celery_processes)
    elapsed = time.monotonic() - started

    queued = [report["queued"] for report in reports]
    print(
        f"\ntwo dispatchers, tasks twice: 300 invitations, queued {queued}, "
        f"{tasks} batch tasks, {smtp_server.received - 300} duplicates, "
        f"{elapsed:.1f} s"
    )
    assert sum(queued) >= 300
    assert statuses() == {Status.SENT: 300}
    assert smtp_server.copies_by_invitation() == dict.fromkeys(ids, 1)
    assert smtp_server.received == 300
    assert sorted(smtp_server.handler.by_recipient.values()) == [1] * 300


def test_a_redis_restart_mid_run_loses_no_mail(
    smtp_server: SmtpServer,
    private_redis: RedisServer,
    celery_processes: CeleryProcesses,
):
    ids = create_due_invitations(500)
    started = time.monotonic()
    celery_processes.worker()
    celery_processes.beat()

    wait_until(
        lambda: smtp_server.received >= 166,
        what="a third of the mail arrives",
        processes=celery_processes,
    )
    private_redis.kill()  # with every queued task: it saves nothing
    received_at_restart = smtp_server.received
    claims_at_restart = count(status=Status.SENDING)
    private_redis.start()
    wait_until(
        lambda: count(status=Status.SENT) == 500,
        what="every invitation is sent",
        processes=celery_processes,
    )
    wait_until_idle(private_redis, celery_processes)
    elapsed = time.monotonic() - started

    copies = smtp_server.copies_by_invitation()
    duplicates = smtp_server.duplicates()
    print(
        f"\nredis restart: 500 invitations, {received_at_restart} received at the "
        f"restart, {claims_at_restart} claims open, {duplicates} duplicates, "
        f"{elapsed:.1f} s"
    )
    assert received_at_restart < 500
    assert statuses() == {Status.SENT: 500}
    assert set(copies) == set(ids)
    assert duplicates <= claims_at_restart
    assert smtp_server.received == 500 + duplicates
