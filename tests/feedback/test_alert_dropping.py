"""A case alert not sent yet is dropped when the case moves on first: the
customer was contacted, the case closed, or given to another owner (who is
alerted instead, once). Never sent twice, also when a worker is sending it at
that moment."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections, transaction

from feedback.models import Alert, Case
from feedback.services import alerts, cases, outbox
from surveys.services import answers
from tests.factories import (
    CustomerFactory,
    InteractionFactory,
    InvitationFactory,
    SurveyFactory,
    UserFactory,
)

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
WAIT = timedelta(seconds=120)  # CASE_ALERT_DELAY_SECONDS below
LATER = NOW + timedelta(hours=2)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


@pytest.fixture(autouse=True)
def comment_wait(settings):
    """The new case's alert waits for the comment typed after the score."""
    settings.CASE_ALERT_DELAY_SECONDS = int(WAIT.total_seconds())


@pytest.fixture
def owner(db):
    return UserFactory.create(
        username="oona", email="oona@example.com", groups=["Support"]
    )


@pytest.fixture
def colleague(db):
    return UserFactory.create(
        username="cole", email="cole@example.com", groups=["Support"]
    )


@pytest.fixture
def manager(db):
    return UserFactory.create(
        username="mona", email="mona@example.com", groups=["Manager"]
    )


def detractor_answer(owner) -> Case:
    """A detractor's answer at NOW: a case owned by `owner`, whose alert to
    them is due at NOW + WAIT."""
    customer = CustomerFactory.create(name="Ada Lovelace", owner=owner)
    invitation = InvitationFactory.create(
        survey=SurveyFactory.create(kind="nps"),
        customer=customer,
        interaction=InteractionFactory.create(customer=customer),
        status="sent",
        sent_at=NOW - timedelta(hours=1),
        expires_at=NOW + timedelta(days=29),
    )
    answers.record_response(invitation, score=2, comment="Nobody called me back")
    return Case.objects.get()


def send_everything_due(*, now: datetime) -> list[str]:
    """What the beat's sweep and the workers would do at `now`."""
    alerts.queue_due(now=now)
    ids = Alert.objects.order_by("id").values_list("id", flat=True)
    return [alerts.deliver(alert_id, now=now) for alert_id in ids]


def recipients_of(smtp_server) -> list[str]:
    return [
        line.split(b":", 1)[1].strip().decode()
        for raw in smtp_server.messages
        for line in raw.splitlines()
        if line.startswith(b"To:")
    ]


def test_the_new_case_alert_is_dropped_when_the_customer_is_contacted_first(
    owner, smtp_server
):
    case = detractor_answer(owner)

    cases.record_contact(
        case, by=owner, channel="phone", now=NOW + timedelta(seconds=30)
    )

    assert send_everything_due(now=NOW + WAIT) == ["not due"]
    assert send_everything_due(now=LATER) == ["not due"]
    assert smtp_server.messages == []
    alert = Alert.objects.get()
    assert (alert.sent_at, alert.next_attempt_at, alert.attempts) == (None, None, 0)
    assert (alert.dropped_at, alert.drop_reason) == (
        NOW + timedelta(seconds=30),
        "contacted",
    )


def test_the_new_case_alert_is_dropped_when_the_case_is_closed_first(
    owner, smtp_server, cause
):
    case = detractor_answer(owner)

    cases.close_case(
        case,
        by=owner,
        root_cause=cause,
        resolution="Refunded at once.",
        resurvey=False,
        now=NOW + timedelta(seconds=40),
    )

    assert send_everything_due(now=LATER) == ["not due"]
    assert smtp_server.messages == []
    alert = Alert.objects.get()
    assert (alert.dropped_at, alert.drop_reason) == (
        NOW + timedelta(seconds=40),
        "closed",
    )


def test_an_escalation_not_sent_yet_is_dropped_by_the_contact(
    owner, manager, smtp_server, settings
):
    settings.CASE_ALERT_DELAY_SECONDS = 0
    case = detractor_answer(owner)
    assert send_everything_due(now=NOW) == ["sent"]  # the owner's alert
    assert case.due_at is not None
    overdue = case.due_at + timedelta(minutes=1)
    assert cases.escalate_overdue(now=overdue) == 1

    cases.record_contact(case, by=owner, channel="email", now=overdue)

    assert send_everything_due(now=LATER) == ["not due", "not due"]
    assert recipients_of(smtp_server) == ["oona@example.com"]
    escalation = Alert.objects.get(recipient=manager)
    assert (escalation.sent_at, escalation.drop_reason) == (None, "contacted")


def test_an_alert_sent_before_the_contact_is_left_as_sent(owner, smtp_server):
    case = detractor_answer(owner)
    assert send_everything_due(now=NOW + WAIT) == ["sent"]

    cases.record_contact(case, by=owner, channel="phone", now=NOW + WAIT)

    alert = Alert.objects.get()
    assert alert.sent_at is not None
    assert (alert.dropped_at, alert.drop_reason) == (None, "")


def test_a_reassigned_case_alerts_its_new_owner_once_and_the_old_one_not_at_all(
    owner, colleague, manager, smtp_server
):
    case = detractor_answer(owner)

    cases.assign_case(
        case, owner=colleague, by=manager, now=NOW + timedelta(seconds=30)
    )

    old = Alert.objects.get(recipient=owner)
    assert (old.drop_reason, old.dropped_at) == (
        "reassigned",
        NOW + timedelta(seconds=30),
    )
    new = Alert.objects.get(recipient=colleague)
    # As late as the dropped one: it waits for the comment too.
    assert new.next_attempt_at == NOW + WAIT
    assert send_everything_due(now=NOW + timedelta(seconds=60)) == ["not due"] * 2
    assert send_everything_due(now=NOW + WAIT) == ["not due", "sent"]
    assert send_everything_due(now=LATER) == ["not due", "not due"]
    assert recipients_of(smtp_server) == ["cole@example.com"]


def test_reassigning_again_moves_the_alert_on_and_alerts_the_last_owner_once(
    owner, colleague, manager, smtp_server
):
    case = detractor_answer(owner)

    cases.assign_case(case, owner=colleague, by=manager, now=NOW)
    cases.assign_case(case, owner=owner, by=manager, now=NOW + timedelta(seconds=5))

    assert list(
        Alert.objects.order_by("id").values_list("recipient__username", "drop_reason")
    ) == [("oona", "reassigned"), ("cole", "reassigned"), ("oona", "")]
    send_everything_due(now=LATER)
    send_everything_due(now=LATER)
    assert recipients_of(smtp_server) == ["oona@example.com"]


def test_a_manager_taking_the_case_drops_the_old_owners_alert_and_gets_none(
    owner, manager, smtp_server
):
    case = detractor_answer(owner)
    manager.groups.add(*owner.groups.all())  # a manager who may own cases

    cases.assign_case(case, owner=manager, by=manager, now=NOW)

    assert send_everything_due(now=LATER) == ["not due"]
    assert smtp_server.messages == []


def test_an_alert_dropped_after_the_workers_claim_is_not_sent(
    owner, smtp_server, monkeypatch
):
    case = detractor_answer(owner)
    real_claim = outbox.claim

    def claim_then_contact(*args, **kwargs):
        claimed = real_claim(*args, **kwargs)
        cases.record_contact(case.pk, by=owner, channel="phone", now=NOW + WAIT)
        return claimed

    monkeypatch.setattr(outbox, "claim", claim_then_contact)

    assert alerts.deliver(Alert.objects.get().pk, now=NOW + WAIT) == "dropped"
    assert smtp_server.messages == []


def test_an_alert_dropped_during_a_failed_attempt_is_not_tried_again(
    owner, closed_smtp_port, monkeypatch
):
    case = detractor_answer(owner)
    real_send = alerts.send_mail

    def contact_then_send(alert):
        # The contact commits while the worker talks to the mail server.
        cases.record_contact(case.pk, by=owner, channel="phone", now=NOW + WAIT)
        real_send(alert)

    monkeypatch.setattr(alerts, "send_mail", contact_then_send)

    assert alerts.deliver(Alert.objects.get().pk, now=NOW + WAIT) == "failed"
    assert alerts.queue_due(now=LATER) == 0
    alert = Alert.objects.get()
    assert (alert.next_attempt_at, alert.attempts, alert.drop_reason) == (
        None,
        1,
        "contacted",
    )


def test_an_alert_on_its_way_when_dropped_is_sent_once_and_says_both(
    owner, smtp_server, monkeypatch
):
    case = detractor_answer(owner)
    real_send = alerts.send_mail

    def contact_then_send(alert):
        cases.record_contact(case.pk, by=owner, channel="phone", now=NOW + WAIT)
        real_send(alert)

    monkeypatch.setattr(alerts, "send_mail", contact_then_send)

    assert alerts.deliver(Alert.objects.get().pk, now=NOW + WAIT) == "sent"
    monkeypatch.setattr(alerts, "send_mail", real_send)
    assert send_everything_due(now=LATER) == ["not due"]
    assert len(smtp_server.messages) == 1
    alert = Alert.objects.get()
    assert alert.sent_at is not None
    assert alert.drop_reason == "contacted"


def wait_for_a_lock_wait(seconds: float = 5) -> bool:
    """True once another session waits for a row lock (PostgreSQL)."""
    deadline = time.monotonic() + seconds
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


# serialized_rollback: the flush after the test must not take the roles and
# root causes the migrations made from the tests that follow.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_claiming_during_a_contact_waits_for_it_and_sends_nothing(
    owner, smtp_server, settings
):
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite locks the whole database for a write: there is no row lock "
            "for the sender and the contact to race for."
        )
    settings.CASE_ALERT_DELAY_SECONDS = 0
    case = detractor_answer(owner)
    alert_id = Alert.objects.get().pk
    contact_holds_its_locks, commit = threading.Event(), threading.Event()
    results: list[str] = []

    def contact() -> None:
        try:
            with transaction.atomic():
                cases.record_contact(case.pk, by=owner, channel="phone", now=NOW)
                contact_holds_its_locks.set()
                commit.wait(10)
        finally:
            connection.close()

    def send() -> None:
        try:
            results.append(alerts.deliver(alert_id, now=NOW))
        finally:
            connection.close()

    contacting = threading.Thread(target=contact)
    contacting.start()
    assert contact_holds_its_locks.wait(10)
    sending = threading.Thread(target=send)
    sending.start()
    waited = wait_for_a_lock_wait()
    commit.set()
    contacting.join(10)
    sending.join(10)

    assert results == ["not due"]
    assert waited  # the claim waited for the contact's lock on the alert
    assert smtp_server.messages == []
    alert = Alert.objects.get()
    assert (alert.sent_at, alert.attempts, alert.drop_reason) == (None, 0, "contacted")
