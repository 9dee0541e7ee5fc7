"""/api/v1/invitations/: read-only, with its filters."""

from datetime import timedelta

import pytest

from surveys.models import Invitation
from tests.api import bearer, ids
from tests.factories import (
    CustomerFactory,
    InteractionFactory,
    InvitationFactory,
)
from tests.surveys.api_helpers import INVITATIONS, NOW, NOW_TEXT, UNKNOWN_CHOICE

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def test_an_invitation_is_read_with_every_field(support):
    invitation = InvitationFactory.create(
        occasion="recurring:2025-02-03",
        reminders_sent=1,
        next_reminder_at=NOW + timedelta(days=3),
        expires_at=NOW + timedelta(days=30),
        opened_at=NOW,
        attempts=2,
        last_error="421 try again later",
    )

    response = bearer(support).get(f"{INVITATIONS}{invitation.id}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": invitation.id,
        "survey": invitation.survey_id,
        "customer": invitation.customer_id,
        "interaction": invitation.interaction_id,
        "status": "sent",
        "suppressed_reason": "",
        "occasion": "recurring:2025-02-03",
        "scheduled_for": NOW_TEXT,
        "sent_at": NOW_TEXT,
        "reminders_sent": 1,
        "next_reminder_at": "2025-02-03T08:00:00Z",
        "expires_at": "2025-03-02T08:00:00Z",
        "opened_at": NOW_TEXT,
        "answered_at": None,
        "attempts": 2,
        "last_error": "421 try again later",
        "created_at": NOW_TEXT,
        "updated_at": NOW_TEXT,
    }


def test_a_suppressed_invitation_says_why(support):
    invitation = InvitationFactory.create(
        status="suppressed",
        suppressed_reason="opted_out",
        scheduled_for=None,
        sent_at=None,
        interaction=None,
        customer=CustomerFactory.create(),
    )

    response = bearer(support).get(f"{INVITATIONS}{invitation.id}/")

    body = response.json()
    assert (body["status"], body["suppressed_reason"], body["interaction"]) == (
        "suppressed",
        "opted_out",
        None,
    )


def test_invitations_are_read_only(manager):
    invitation = InvitationFactory.create()
    client = bearer(manager)
    url = f"{INVITATIONS}{invitation.id}/"

    created = client.post(
        INVITATIONS,
        {"survey": invitation.survey_id, "customer": invitation.customer_id},
        format="json",
    )
    changed = client.patch(url, {"status": "cancelled"}, format="json")
    deleted = client.delete(url)

    assert [created.status_code, changed.status_code, deleted.status_code] == [
        405,
        405,
        405,
    ]
    invitation.refresh_from_db()
    assert invitation.status == "sent"
    assert Invitation.objects.count() == 1


def test_invitations_are_filtered_by_customer_survey_and_interaction(support):
    wanted = InvitationFactory.create()
    same_customer = InvitationFactory.create(
        interaction=InteractionFactory.create(customer=wanted.customer)
    )
    same_survey = InvitationFactory.create(survey=wanted.survey)
    client = bearer(support)

    by_customer = client.get(INVITATIONS, {"customer": wanted.customer_id})
    by_survey = client.get(INVITATIONS, {"survey": wanted.survey_id})
    by_interaction = client.get(
        INVITATIONS, {"interaction": str(wanted.interaction_id)}
    )
    by_all = client.get(
        INVITATIONS,
        {
            "customer": str(wanted.customer_id),
            "survey": str(wanted.survey_id),
            "interaction": str(wanted.interaction_id),
        },
    )

    assert ids(by_customer) == [wanted.id, same_customer.id]
    assert ids(by_survey) == [wanted.id, same_survey.id]
    assert ids(by_interaction) == [wanted.id]
    assert ids(by_all) == [wanted.id]


def test_invitations_are_filtered_by_status_and_reason(support):
    sent = InvitationFactory.create()
    opted_out = InvitationFactory.create(
        status="suppressed", suppressed_reason="opted_out", sent_at=None
    )
    throttled = InvitationFactory.create(
        status="suppressed", suppressed_reason="throttled", sent_at=None
    )
    client = bearer(support)

    by_status = client.get(INVITATIONS, {"status": "suppressed"})
    by_reason = client.get(INVITATIONS, {"suppressed_reason": "throttled"})
    by_sent = client.get(INVITATIONS, {"status": "sent"})

    assert ids(by_status) == [opted_out.id, throttled.id]
    assert ids(by_reason) == [throttled.id]
    assert ids(by_sent) == [sent.id]


def test_invitations_are_filtered_by_update_time(support, clock):
    InvitationFactory.create()
    clock.move_to(NOW + timedelta(minutes=5), tick=False)
    recent = InvitationFactory.create()

    response = bearer(support).get(
        INVITATIONS, {"updated_since": "2025-01-31T09:03:00+01:00"}
    )

    assert ids(response) == [recent.id]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"customer": "abc"}, {"customer": [UNKNOWN_CHOICE]}),
        ({"customer": "999999999"}, {"customer": [UNKNOWN_CHOICE]}),
        ({"customer": "1\x00"}, {"customer": ["Null characters are not allowed."]}),
        ({"survey": "99999999999999999999"}, {"survey": [UNKNOWN_CHOICE]}),
        ({"interaction": "-1"}, {"interaction": [UNKNOWN_CHOICE]}),
        (
            {"status": "lost"},
            {
                "status": [
                    "Select a valid choice. lost is not one of the available choices."
                ]
            },
        ),
        (
            {"suppressed_reason": "bored"},
            {
                "suppressed_reason": [
                    "Select a valid choice. bored is not one of the available choices."
                ]
            },
        ),
        ({"updated_since": "later"}, {"updated_since": ["Enter a valid date/time."]}),
        (
            {"updated_since": "9999-12-31T23:59:59-10:00"},
            {"updated_since": ["Enter a date/time between the years 1 and 9999."]},
        ),
    ],
)
def test_an_invalid_invitation_filter_is_a_400(support, query, errors):
    response = bearer(support).get(INVITATIONS, query)

    assert response.status_code == 400
    assert response.json() == errors
