"""response.updated for a customer changing an answer again and again: the
changes within ten minutes of the first update one event while none of its
deliveries has started; a receiver never misses the latest answer."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections, transaction

from surveys.models import Invitation, SurveyResponse
from surveys.services import answers
from tests.factories import InvitationFactory, SubscriptionFactory, SurveyFactory
from webhooks import delivery as webhook_delivery
from webhooks.models import Delivery, Event

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


@pytest.fixture
def subscription(manager, receiver):
    subscription = SubscriptionFactory.create(
        owner=manager, url=f"{receiver.url}/hook", event_types=["response.updated"]
    )
    receiver.secret = subscription.secret
    return subscription


def sent_invitation() -> Invitation:
    return InvitationFactory.create(
        survey=SurveyFactory.create(kind="nps"),
        status="sent",
        sent_at=NOW - timedelta(hours=1),
        expires_at=NOW + timedelta(days=29),
    )


def updates() -> list[Event]:
    return list(Event.objects.filter(type="response.updated").order_by("created_at"))


def scores(events: list[Event]) -> list[int]:
    return [event.payload["score"] for event in events]


def test_changes_while_the_event_waits_update_its_payload(subscription, clock):
    invitation = sent_invitation()
    answers.record_response(invitation, score=9)

    for minute, score in enumerate([8, 9, 8, 9, 8, 7], start=1):
        clock.move_to(NOW + timedelta(minutes=minute))
        answers.record_response(invitation, score=score, comment=f"Take {minute}")

    [event] = updates()
    assert event.created_at == NOW + timedelta(minutes=1)
    assert (event.payload["score"], event.payload["comment"]) == (7, "Take 6")
    assert event.payload["id"] == SurveyResponse.objects.get().pk
    [delivery] = Delivery.objects.all()
    assert (delivery.subscription, delivery.event) == (subscription, event)
    assert (delivery.status, delivery.attempts, delivery.claimed_at) == (
        "pending",
        0,
        None,
    )


def test_a_change_after_the_event_went_out_gets_an_event_of_its_own(
    subscription, receiver, clock
):
    invitation = sent_invitation()
    answers.record_response(invitation, score=9)
    answers.record_response(invitation, score=8)
    answers.record_response(invitation, score=7)
    [delivery] = Delivery.objects.all()
    assert webhook_delivery.deliver(delivery.pk, now=NOW) == "succeeded"

    clock.move_to(NOW + timedelta(minutes=1))
    answers.record_response(invitation, score=6)

    assert scores(updates()) == [7, 6]
    assert [received.json["data"]["score"] for received in receiver.received] == [7]


def test_a_change_ten_minutes_after_the_first_gets_an_event_of_its_own(
    subscription, clock
):
    invitation = sent_invitation()
    answers.record_response(invitation, score=9)
    answers.record_response(invitation, score=8)
    clock.move_to(NOW + timedelta(minutes=9, seconds=59))
    answers.record_response(invitation, score=7)

    clock.move_to(NOW + timedelta(minutes=10))
    answers.record_response(invitation, score=6)

    assert scores(updates()) == [7, 6]
    assert Delivery.objects.filter(status="pending").count() == 2


def test_each_answer_has_its_own_event(subscription):
    first, second = sent_invitation(), sent_invitation()
    for invitation in [first, second]:
        answers.record_response(invitation, score=9)

    answers.record_response(first, score=8)
    answers.record_response(second, score=7)
    answers.record_response(first, score=6)

    by_invitation = [
        (event.payload["invitation"], event.payload["score"]) for event in updates()
    ]
    assert sorted(by_invitation) == [(first.pk, 6), (second.pk, 7)]


def test_a_subscription_made_between_two_changes_gets_the_event_too(
    subscription, manager, receiver
):
    invitation = sent_invitation()
    answers.record_response(invitation, score=9)
    answers.record_response(invitation, score=8)
    newcomer = SubscriptionFactory.create(
        owner=manager, url=f"{receiver.url}/new", event_types=["response.updated"]
    )

    answers.record_response(invitation, score=7)

    [event] = updates()
    assert event.payload["score"] == 7
    subscribers = Delivery.objects.filter(event=event).values_list(
        "subscription", flat=True
    )
    assert sorted(subscribers) == sorted([subscription.pk, newcomer.pk])


def waiting_for_a_lock(backend_pid: int) -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
            [backend_pid],
        )
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


# serialized_rollback: the flush after the test must not take the roles and
# root causes that migrations made from the tests that run later.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_claiming_the_event_during_a_change_posts_the_new_payload(
    subscription, receiver
):
    """The change locks the event's deliveries: a worker's claim waits for
    its commit, then posts the payload it wrote."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent writers need PostgreSQL")
    invitation = sent_invitation()
    answers.record_response(invitation, score=9)
    answers.record_response(invitation, score=8)
    [delivery] = Delivery.objects.all()
    worker_pid: list[int] = []
    outcome: list[str] = []

    def work() -> None:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                worker_pid.append(cursor.fetchone()[0])
            outcome.append(webhook_delivery.deliver(delivery.pk, now=NOW))
        finally:
            connections.close_all()

    worker = threading.Thread(target=work)
    with transaction.atomic():
        answers.record_response(invitation, score=7)
        worker.start()
        deadline = time.monotonic() + 10
        while worker.is_alive() and time.monotonic() < deadline:
            if worker_pid and waiting_for_a_lock(worker_pid[0]):
                break
            time.sleep(0.01)
    worker.join(timeout=10)

    assert outcome == ["succeeded"]
    assert [received.json["data"]["score"] for received in receiver.received] == [7]
    assert scores(updates()) == [7]
