"""/api/v1/invitations/: read-only, with its filters."""

from datetime import timedelta

import pytest
from drf_spectacular.generators import SchemaGenerator

from surveys import tasks
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


# POST /api/v1/invitations/{id}/send-now/


def send_now_url(invitation: Invitation) -> str:
    return f"{INVITATIONS}{invitation.id}/send-now/"


def waiting(**fields) -> Invitation:
    """Scheduled an hour from now, as a survey's delay leaves it."""
    fields = {"status": "scheduled", "sent_at": None, **fields}
    return InvitationFactory.create(scheduled_for=NOW + timedelta(minutes=60), **fields)


def test_a_manager_sends_a_scheduled_invitation_now(
    manager, django_capture_on_commit_callbacks
):
    invitation = waiting()

    with django_capture_on_commit_callbacks() as callbacks:
        response = bearer(manager).post(send_now_url(invitation))

    assert response.status_code == 202
    body = response.json()
    assert {key: body[key] for key in ("id", "status", "scheduled_for", "sent_at")} == {
        "id": invitation.id,
        "status": "scheduled",
        "scheduled_for": NOW_TEXT,
        "sent_at": None,
    }
    assert (body["result"], body["message"]) == ("queued", "Queued to send now.")
    [enqueue] = callbacks
    assert enqueue.func == tasks.send_batch_task.delay
    assert enqueue.args == ([invitation.id],)


def test_sending_now_again_queues_nothing_more(
    manager, django_capture_on_commit_callbacks
):
    invitation = waiting()
    client = bearer(manager)
    with django_capture_on_commit_callbacks():
        client.post(send_now_url(invitation))

    with django_capture_on_commit_callbacks() as callbacks:
        again = client.post(send_now_url(invitation))

    assert again.status_code == 202
    assert (again.json()["result"], again.json()["message"]) == (
        "already_queued",
        "Already queued to send.",
    )
    assert callbacks == []


def test_support_may_not_send_now(support, django_capture_on_commit_callbacks):
    invitation = waiting()

    with django_capture_on_commit_callbacks() as callbacks:
        response = bearer(support).post(send_now_url(invitation))

    assert response.status_code == 403
    assert response.json() == {"detail": "Only managers may send invitations now."}
    assert callbacks == []
    invitation.refresh_from_db()
    assert invitation.scheduled_for == NOW + timedelta(minutes=60)


@pytest.mark.parametrize(
    ("fields", "refusal"),
    [
        (
            {"interaction__customer__email_opted_out_at": NOW},
            {
                "detail": "Not sent — the customer unsubscribed.",
                "result": "refused",
                "reason": "opted_out",
            },
        ),
        (
            {"status": "sent", "sent_at": NOW - timedelta(days=1)},
            {"detail": "Already sent.", "result": "sent"},
        ),
        (
            {"status": "suppressed", "suppressed_reason": "throttled", "sent_at": None},
            {"detail": "Not waiting to be sent (suppressed).", "result": "not_pending"},
        ),
    ],
)
def test_an_invitation_that_cannot_go_now_is_a_409_and_changes_nothing(
    manager, django_capture_on_commit_callbacks, fields, refusal
):
    invitation = waiting(**fields)
    before = Invitation.objects.values().get(id=invitation.id)

    with django_capture_on_commit_callbacks() as callbacks:
        response = bearer(manager).post(send_now_url(invitation))

    assert response.status_code == 409
    assert response.json() == refusal
    assert callbacks == []
    assert Invitation.objects.values().get(id=invitation.id) == before


def test_send_now_is_documented_with_its_answers():
    document = SchemaGenerator().get_schema(public=True)

    operation = document["paths"]["/api/v1/invitations/{id}/send-now/"]["post"]

    assert {"202", "403", "404", "409"} <= set(operation["responses"])
    accepted = operation["responses"]["202"]["content"]["application/json"]
    assert accepted["schema"] == {"$ref": "#/components/schemas/SendNow"}
    refused = operation["responses"]["409"]["content"]["application/json"]
    assert refused["schema"] == {"$ref": "#/components/schemas/SendNowRefusal"}
    assert "requestBody" not in operation
