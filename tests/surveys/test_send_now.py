"""Send now (surveys.services.send_now): a manager sends a scheduled
invitation before its time, through the dispatcher's claim and checks."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, connections

from surveys import tasks
from surveys.models import Invitation
from surveys.services import decisions, sending
from surveys.services.send_now import Outcome, send_invitations_now
from tests.factories import CustomerFactory, InvitationFactory, UserFactory

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=60)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def waiting(**fields) -> Invitation:
    """A first mail scheduled for an hour from now, as a survey's delay leaves it."""
    fields.setdefault("status", "scheduled")
    fields.setdefault("sent_at", None)
    fields.setdefault("scheduled_for", LATER)
    return InvitationFactory.create(**fields)


@pytest.fixture
def queued(monkeypatch):
    """The ids each enqueued batch carries, the batch not run."""
    batches: list[list[int]] = []
    monkeypatch.setattr(tasks.send_batch_task, "delay", batches.append)
    return batches


def state(invitation: Invitation) -> tuple:
    invitation.refresh_from_db()
    return (
        invitation.status,
        invitation.suppressed_reason,
        invitation.scheduled_for,
        invitation.queued_at,
    )


def test_a_scheduled_invitation_is_queued_to_go_now_and_goes_once(
    manager, queued, mailoutbox, django_capture_on_commit_callbacks
):
    invitation = waiting()

    with django_capture_on_commit_callbacks(execute=True):
        (result,) = send_invitations_now([invitation.pk], user=manager, now=NOW)

    assert (result.outcome, result.reason) == (Outcome.QUEUED, "")
    assert state(invitation) == ("scheduled", "", NOW, NOW)
    assert queued == [[invitation.pk]]
    assert sending.send_batch(queued[0]) == {"sent": 1}
    assert sending.send_batch(queued[0]) == {"not_due": 1}
    assert len(mailoutbox) == 1


def test_sending_now_twice_queues_once(
    manager, queued, django_capture_on_commit_callbacks
):
    invitation = waiting()

    with django_capture_on_commit_callbacks(execute=True):
        first = send_invitations_now([invitation.pk], user=manager, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        again = send_invitations_now(
            [invitation.pk], user=manager, now=NOW + timedelta(seconds=5)
        )

    assert [first[0].outcome, again[0].outcome] == [
        Outcome.QUEUED,
        Outcome.ALREADY_QUEUED,
    ]
    assert queued == [[invitation.pk]]


def test_the_dispatcher_does_not_queue_what_send_now_queued(
    manager, queued, django_capture_on_commit_callbacks
):
    invitation = waiting()
    with django_capture_on_commit_callbacks(execute=True):
        send_invitations_now([invitation.pk], user=manager, now=NOW)

    report = sending.dispatch(now=NOW + timedelta(seconds=30))

    assert report.queued == 0
    assert queued == [[invitation.pk]]


def test_what_the_dispatcher_queued_is_reported_as_queued_already(manager, queued):
    invitation = waiting(scheduled_for=NOW - timedelta(minutes=1))
    sending.dispatch(now=NOW)

    (result,) = send_invitations_now([invitation.pk], user=manager, now=NOW)

    assert result.outcome == Outcome.ALREADY_QUEUED
    assert queued == [[invitation.pk]]


def test_a_customer_who_unsubscribed_is_refused_and_the_invitation_kept(
    manager, queued, mailoutbox, django_capture_on_commit_callbacks
):
    invitation = waiting(customer=CustomerFactory.create(email_opted_out_at=NOW))
    before = state(invitation)

    with django_capture_on_commit_callbacks(execute=True):
        (result,) = send_invitations_now([invitation.pk], user=manager, now=NOW)

    assert (result.outcome, result.reason) == (Outcome.REFUSED, "opted_out")
    assert decisions.send_now_message(result, now=NOW) == (
        "Not sent — the customer unsubscribed."
    )
    assert state(invitation) == before
    assert queued == []
    assert mailoutbox == []


def test_a_throttled_invitation_is_refused_naming_the_mail_in_the_way(
    manager, queued, settings
):
    settings.SURVEY_THROTTLE_DAYS = 30
    customer = CustomerFactory.create()
    InvitationFactory.create(
        customer=customer, interaction=None, sent_at=NOW - timedelta(days=2)
    )
    invitation = waiting(customer=customer, interaction=None)

    (result,) = send_invitations_now([invitation.pk], user=manager, now=NOW)

    assert (result.outcome, result.reason) == (Outcome.REFUSED, "throttled")
    assert decisions.send_now_message(result, now=NOW) == (
        "Not sent — asked 2 days ago (one survey per 30 days)."
    )
    assert state(invitation)[:3] == ("scheduled", "", LATER)
    assert queued == []


def test_two_chosen_invitations_of_one_customer_send_one(
    manager, queued, django_capture_on_commit_callbacks
):
    customer = CustomerFactory.create()
    first = waiting(customer=customer, interaction=None)
    second = waiting(customer=customer, interaction=None)

    with django_capture_on_commit_callbacks(execute=True):
        results = send_invitations_now([second.pk, first.pk], user=manager, now=NOW)

    assert [(r.invitation.pk, r.outcome, r.reason) for r in results] == [
        (first.pk, Outcome.QUEUED, ""),
        (second.pk, Outcome.REFUSED, "throttled"),
    ]
    assert queued == [[first.pk]]


@pytest.mark.parametrize(
    ("fields", "outcome", "message"),
    [
        ({"status": "sent", "sent_at": NOW}, Outcome.SENT, "Already sent."),
        (
            {"status": "sending", "claimed_at": NOW},
            Outcome.SENDING,
            "Already being sent.",
        ),
        (
            {"scheduled_for": None},
            Outcome.HELD,
            "Waiting until its interaction is resolved.",
        ),
        (
            {"status": "suppressed", "suppressed_reason": "no_email"},
            Outcome.NOT_PENDING,
            "Not waiting to be sent (suppressed).",
        ),
        (
            {"status": "failed", "attempts": 5},
            Outcome.NOT_PENDING,
            "Not waiting to be sent (failed).",
        ),
        (
            {"survey__is_active": False},
            Outcome.REFUSED,
            "Not sent — the survey is inactive.",
        ),
    ],
)
def test_what_is_not_waiting_is_said_and_left_alone(
    manager, queued, fields, outcome, message
):
    invitation = waiting(**fields)
    before = state(invitation)

    (result,) = send_invitations_now([invitation.pk], user=manager, now=NOW)

    assert result.outcome == outcome
    assert decisions.send_now_message(result, now=NOW) == message
    assert state(invitation) == before
    assert queued == []


def test_support_may_not_send_now(support, queued):
    invitation = waiting()
    before = state(invitation)

    with pytest.raises(PermissionDenied, match="Only managers"):
        send_invitations_now([invitation.pk], user=support, now=NOW)

    assert state(invitation) == before
    assert queued == []


def test_a_superuser_may_send_now(queued, django_capture_on_commit_callbacks):
    admin = UserFactory.create(is_superuser=True)
    invitation = waiting()

    with django_capture_on_commit_callbacks(execute=True):
        (result,) = send_invitations_now([invitation.pk], user=admin, now=NOW)

    assert result.outcome == Outcome.QUEUED


# serialized_rollback: the flush after the test must not take the roles and
# root causes that migrations made from the tests that run later.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_send_now_and_the_dispatcher_at_the_same_moment_send_one_mail(
    manager, mailoutbox, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent writers need PostgreSQL")
    # Every queued batch runs at once, in the thread that queued it; with a
    # worker holding a batch the dispatcher queued a moment ago, three
    # workers race for each claim.
    monkeypatch.setattr(tasks.send_batch_task, "delay", sending.send_batch)
    invitations = [waiting(scheduled_for=NOW - timedelta(minutes=1)) for _ in range(5)]
    ids = [invitation.pk for invitation in invitations]
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def run(work) -> None:
        try:
            start.wait()
            work()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=[lambda: sending.dispatch(now=NOW)]),
        threading.Thread(target=run, args=[lambda: sending.send_batch(ids)]),
        threading.Thread(
            target=run,
            args=[lambda: send_invitations_now(ids, user=manager, now=NOW)],
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        invitation.customer.email for invitation in invitations
    )
    assert set(Invitation.objects.values_list("status", flat=True)) == {"sent"}
