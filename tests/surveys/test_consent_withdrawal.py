"""The one-click unsubscribe writes a survey-consent withdrawal with its
evidence; a withdrawal by any door cancels pending mail; eligibility refuses
a customer whose survey consent is withdrawn."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache

from customers import consent
from customers.models import ConsentEvent
from surveys import tokens
from surveys.models import Invitation
from surveys.services import answers, scheduling
from surveys.services.eligibility import ContactHistory
from tests.factories import CustomerFactory, InvitationFactory, SurveyFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
Status = Invitation.Status


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def unsubscribe_link(invitation: Invitation) -> str:
    return f"/s/{tokens.token_for(invitation.nonce)}/unsubscribe"


def test_the_unsubscribe_link_records_a_withdrawal_with_truncated_evidence(
    client, settings
):
    settings.PRIVACY_POLICY_VERSION = "2027-01"
    invitation = InvitationFactory.create()

    with time_machine.travel(NOW, tick=False):
        page = client.post(
            unsubscribe_link(invitation),
            headers={"user-agent": "Mozilla/5.0 (iPhone)"},
            REMOTE_ADDR="203.0.113.77",
        )

    assert page.status_code == 200
    event = ConsentEvent.objects.get()
    assert (
        event.customer_id,
        event.purpose,
        event.granted,
        event.source,
        event.policy_version,
        event.ip_network,
        event.user_agent,
        event.staff_member,
        event.created_at,
    ) == (
        invitation.customer_id,
        "surveys",
        False,
        "unsubscribe",
        "2027-01",
        "203.0.113.0/24",
        "Mozilla/5.0 (iPhone)",
        None,
        NOW,
    )
    assert consent.is_granted(invitation.customer, "surveys") is False


def test_a_get_of_the_unsubscribe_link_records_nothing(client):
    invitation = InvitationFactory.create()

    page = client.get(unsubscribe_link(invitation))

    assert page.status_code == 200
    assert not ConsentEvent.objects.exists()


def test_unsubscribing_twice_records_one_withdrawal(client):
    invitation = InvitationFactory.create()

    client.post(unsubscribe_link(invitation))
    client.post(unsubscribe_link(invitation))

    assert ConsentEvent.objects.count() == 1


def test_unsubscribing_cancels_scheduled_mail_and_reminders():
    customer = CustomerFactory.create()
    scheduled = InvitationFactory.create(
        interaction__customer=customer, status=Status.SCHEDULED, sent_at=None
    )
    reminding = InvitationFactory.create(
        interaction__customer=customer, next_reminder_at=NOW + timedelta(days=3)
    )

    cancelled = answers.unsubscribe(customer, now=NOW)

    assert cancelled == 1
    scheduled.refresh_from_db()
    reminding.refresh_from_db()
    assert scheduled.status == Status.CANCELLED
    assert reminding.next_reminder_at is None


def test_a_withdrawal_recorded_by_staff_cancels_pending_mail_too():
    customer = CustomerFactory.create()
    scheduled = InvitationFactory.create(
        interaction__customer=customer, status=Status.SCHEDULED, sent_at=None
    )

    consent.record_consent(
        customer,
        purpose="surveys",
        granted=False,
        source=consent.Source.STAFF,
        now=NOW,
    )

    scheduled.refresh_from_db()
    assert scheduled.status == Status.CANCELLED
    assert scheduled.last_error == "The customer unsubscribed."


def test_a_customer_whose_survey_consent_is_withdrawn_is_not_invited():
    customer = CustomerFactory.create()
    consent.record_consent(
        customer,
        purpose="surveys",
        granted=False,
        source=consent.Source.IMPORT,
        now=NOW,
    )
    survey = SurveyFactory.create()

    invitation = scheduling.plan_invitation(
        survey=survey,
        customer=customer,
        due=NOW + timedelta(hours=1),
        now=NOW,
        history=ContactHistory(),
    )

    assert invitation is not None
    assert invitation.status == Status.SUPPRESSED
    assert invitation.suppressed_reason == Invitation.SuppressedReason.OPTED_OUT


def test_consent_granted_again_makes_the_customer_invitable():
    customer = CustomerFactory.create()
    for granted in (False, True):
        consent.record_consent(
            customer,
            purpose="surveys",
            granted=granted,
            source=consent.Source.STAFF,
            now=NOW,
        )
    customer.refresh_from_db()

    invitation = scheduling.plan_invitation(
        survey=SurveyFactory.create(),
        customer=customer,
        due=NOW + timedelta(hours=1),
        now=NOW,
        history=ContactHistory(),
    )

    assert invitation is not None
    assert (invitation.status, invitation.suppressed_reason) == (Status.SCHEDULED, "")
