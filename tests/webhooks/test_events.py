"""Each webhook event is written once, by the real service that makes the
change, in its transaction, with the object as the API shows it."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from customers import services as customer_services
from customers.serializers import CustomerSerializer, InteractionSerializer
from feedback.models import Case
from feedback.serializers import CaseSerializer
from feedback.services import cases
from surveys.models import Invitation, SurveyResponse
from surveys.serializers import InvitationSerializer, SurveyResponseSerializer
from surveys.services import answers, sending
from tests.factories import (
    CaseFactory,
    CustomerFactory,
    InvitationFactory,
    RootCauseFactory,
    SubscriptionFactory,
    SurveyFactory,
    TouchpointFactory,
)
from webhooks.models import EVENT_TYPES, Delivery, Event

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


@pytest.fixture
def everything(manager):
    """A subscription to every event type."""
    return SubscriptionFactory.create(owner=manager, event_types=list(EVENT_TYPES))


def as_api(serializer_class, obj):
    return json.loads(json.dumps(serializer_class(obj).data))


def events(event_type: str) -> list[Event]:
    return list(Event.objects.filter(type=event_type).order_by("created_at"))


def sent_invitation(**fields):
    fields.setdefault("survey", SurveyFactory.create(kind="nps"))
    return InvitationFactory.create(
        status="sent",
        sent_at=NOW - timedelta(hours=1),
        expires_at=NOW + timedelta(days=29),
        **fields,
    )


def test_logging_an_interaction_emits_interaction_created_once(
    everything, support, django_capture_on_commit_callbacks, queued
):
    customer = CustomerFactory.create()
    with django_capture_on_commit_callbacks(execute=True):
        interaction = customer_services.log_interaction(
            customer=customer,
            channel="phone",
            logged_by=support,
            touchpoint=TouchpointFactory.create(),
            subject="Billing question",
            occurred_at=NOW - timedelta(minutes=5),
        )
    customer_services.update_interaction(interaction, subject="Billing, again")

    [event] = events("interaction.created")
    interaction.refresh_from_db()
    assert event.created_at == NOW
    assert event.payload["id"] == interaction.pk
    assert event.payload["subject"] == "Billing question"
    assert event.payload == {
        **as_api(InteractionSerializer, interaction),
        "subject": "Billing question",
    }
    [delivery] = Delivery.objects.all()
    assert (delivery.subscription, delivery.event) == (everything, event)
    assert delivery.status == Delivery.Status.PENDING
    assert queued == [delivery.pk]


def test_sending_an_invitation_emits_invitation_sent_once(everything, mailoutbox):
    invitation = InvitationFactory.create(
        status="scheduled", sent_at=None, scheduled_for=NOW - timedelta(minutes=1)
    )

    assert sending.send_invitation(invitation.pk) == "sent"
    assert sending.send_invitation(invitation.pk) == "not_due"

    [event] = events("invitation.sent")
    invitation.refresh_from_db()
    assert event.payload == as_api(InvitationSerializer, invitation)
    assert event.payload["status"] == "sent"
    assert len(mailoutbox) == 1


def test_a_reminder_is_no_new_invitation_sent_event(everything, mailoutbox):
    invitation = sent_invitation(next_reminder_at=NOW - timedelta(minutes=1))

    assert sending.send_invitation(invitation.pk) == "sent"

    assert len(mailoutbox) == 1
    assert events("invitation.sent") == []


def test_an_answer_emits_response_created_and_a_change_response_updated(everything):
    invitation = sent_invitation()

    answers.record_response(invitation, score=9)
    answers.record_response(invitation, score=9)  # the same answer again
    answers.record_response(invitation, score=10, comment="Great")

    response = SurveyResponse.objects.get(invitation=invitation)
    [created] = events("response.created")
    [updated] = events("response.updated")
    assert created.payload == {
        **as_api(SurveyResponseSerializer, response),
        "score": 9,
        "band": "promoter",
        "comment": "",
    }
    assert updated.payload == as_api(SurveyResponseSerializer, response)
    assert updated.payload["score"] == 10


def test_a_detractor_answer_emits_response_created_then_case_opened(everything):
    invitation = sent_invitation()

    answers.record_response(invitation, score=2)

    case = Case.objects.get(response__invitation=invitation)
    in_order = Delivery.objects.order_by("id").values_list("event__type", flat=True)
    assert list(in_order) == ["response.created", "case.opened"]
    [opened] = events("case.opened")
    assert opened.payload == as_api(CaseSerializer, case)
    assert opened.payload["status"] == "open"


def test_working_on_a_case_emits_contacted_closed_and_escalated(everything, manager):
    case = CaseFactory.create(owner=manager, due_at=NOW - timedelta(hours=1))

    assert cases.escalate_overdue(now=NOW) == 1
    cases.record_contact(case, by=manager, channel="phone", note="Called")
    cases.record_contact(case, by=manager, channel="email", note="Mailed")
    cases.add_note(case, by=manager, note="Waiting for the refund")
    cases.close_case(
        case,
        by=manager,
        root_cause=RootCauseFactory.create(),
        resolution="Refunded",
        resurvey=False,
    )

    case.refresh_from_db()
    [escalated] = events("case.escalated")
    assert escalated.payload["escalation_level"] == 1
    contacted = events("case.contacted")
    assert [event.payload["status"] for event in contacted] == [
        "contacted",
        "contacted",
    ]
    assert contacted[0].payload["contact_channel"] == "phone"
    [closed] = events("case.closed")
    assert closed.payload == as_api(CaseSerializer, case)
    assert closed.payload["resolution"] == "Refunded"
    assert Event.objects.count() == 4  # a note or an assignment is no event


def test_a_case_opened_by_hand_emits_case_opened(everything, manager):
    customer = CustomerFactory.create()

    case = cases.open_case(customer=customer, by=manager, note="Angry call")

    [opened] = events("case.opened")
    assert opened.payload["id"] == case.pk
    assert opened.payload["reason"] == "manual"


def test_unsubscribing_emits_customer_unsubscribed_once(everything):
    customer = CustomerFactory.create()

    answers.unsubscribe(customer, now=NOW)
    answers.unsubscribe(customer, now=NOW)

    [event] = events("customer.unsubscribed")
    customer.refresh_from_db()
    assert event.payload == as_api(CustomerSerializer, customer)
    assert event.payload["email_opted_out_at"] == "2026-11-18T10:00:00Z"


def test_a_rolled_back_change_emits_nothing(
    everything, support, django_capture_on_commit_callbacks, queued
):
    customer = CustomerFactory.create()

    def failing_request() -> None:
        with transaction.atomic():
            customer_services.log_interaction(
                customer=customer, channel="phone", logged_by=support, occurred_at=NOW
            )
            raise RuntimeError("the request failed after the save")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        failing_request()

    assert Event.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert (callbacks, queued) == ([], [])


def test_only_active_subscriptions_to_the_type_get_a_delivery(manager):
    wanted = SubscriptionFactory.create(
        owner=manager, event_types=["customer.unsubscribed"]
    )
    SubscriptionFactory.create(owner=manager, event_types=["case.opened"])
    SubscriptionFactory.create(
        owner=manager, event_types=["customer.unsubscribed"], is_active=False
    )

    answers.unsubscribe(CustomerFactory.create(), now=NOW)

    assert list(Delivery.objects.values_list("subscription", flat=True)) == [wanted.pk]


def test_without_a_subscriber_no_event_is_written():
    answers.unsubscribe(CustomerFactory.create(), now=NOW)
    invitation = sent_invitation()
    answers.record_response(invitation, score=1)

    assert Event.objects.count() == 0
    assert Invitation.objects.get(id=invitation.pk).status == "answered"
