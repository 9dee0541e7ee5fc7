"""/api/v1/interactions/: logging, resolving and reopening interactions, and
the filters of the list."""

from datetime import UTC, datetime, timedelta

import pytest

from customers.models import Channel, Interaction
from tests.api import bearer
from tests.customers.api_helpers import INTERACTIONS, NOW, NOW_TEXT
from tests.factories import (
    CustomerFactory,
    InteractionFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def test_an_interaction_is_read_with_every_field(support):
    interaction = InteractionFactory.create(
        subject="Delivery late",
        notes="Promised a call back.",
        occurred_at=NOW - timedelta(hours=2),
        logged_by=support,
        status="open",
        resolved_at=None,
    )

    response = bearer(support).get(f"{INTERACTIONS}{interaction.id}/")

    assert response.json() == {
        "id": interaction.id,
        "customer": interaction.customer_id,
        "touchpoint": interaction.touchpoint_id,
        "channel": "phone",
        "direction": "inbound",
        "subject": "Delivery late",
        "notes": "Promised a call back.",
        "occurred_at": "2025-01-31T06:00:00Z",
        "logged_by": support.id,
        "status": "open",
        "survey_mode": "auto",
        "resolved_at": None,
        "created_at": NOW_TEXT,
        "updated_at": NOW_TEXT,
    }


def test_api_times_are_utc_in_and_out_whatever_the_sites_zone(support, settings):
    settings.TIME_ZONE = "America/New_York"
    customer = CustomerFactory.create()

    response = bearer(support).post(
        INTERACTIONS,
        {"customer": customer.id, "channel": "chat", "occurred_at": "2025-01-31T07:30"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["occurred_at"] == "2025-01-31T07:30:00Z"
    assert Interaction.objects.get().occurred_at == datetime(
        2025, 1, 31, 7, 30, tzinfo=UTC
    )


def test_support_logs_an_interaction_in_their_own_name(support):
    customer = CustomerFactory.create()
    other = UserFactory.create(is_staff=True)

    response = bearer(support).post(
        INTERACTIONS,
        {
            "customer": customer.id,
            "channel": "chat",
            "subject": "Refund",
            "occurred_at": "2025-01-31T07:30:00Z",
            "logged_by": other.id,
            "resolved_at": "2020-01-01T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 201
    interaction = Interaction.objects.get()
    assert response.json() == {
        "id": interaction.id,
        "customer": customer.id,
        "touchpoint": None,
        "channel": "chat",
        "direction": "inbound",
        "subject": "Refund",
        "notes": "",
        "occurred_at": "2025-01-31T07:30:00Z",
        "logged_by": support.id,
        "status": "resolved",
        "survey_mode": "auto",
        "resolved_at": "2025-01-31T07:30:00Z",
        "created_at": NOW_TEXT,
        "updated_at": NOW_TEXT,
    }


def test_resolving_an_open_interaction_records_when(support, clock):
    interaction = InteractionFactory.create(status="open", resolved_at=None)
    clock.move_to(NOW + timedelta(hours=3), tick=False)

    response = bearer(support).patch(
        f"{INTERACTIONS}{interaction.id}/",
        {"status": "resolved", "survey_mode": "skip"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["resolved_at"] == "2025-01-31T11:00:00Z"
    interaction.refresh_from_db()
    assert interaction.resolved_at == NOW + timedelta(hours=3)
    assert interaction.logged_by is None


def test_reopening_an_interaction_clears_its_resolution(support):
    interaction = InteractionFactory.create()

    response = bearer(support).patch(
        f"{INTERACTIONS}{interaction.id}/", {"status": "open"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["resolved_at"] is None


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"channel": "fax"}, {"channel": ['"fax" is not a valid choice.']}),
        ({"status": "closed"}, {"status": ['"closed" is not a valid choice.']}),
        (
            {"customer": 999999999},
            {"customer": ['Invalid pk "999999999" - object does not exist.']},
        ),
        ({"customer": "abc"}, {"customer": ["A valid integer is required."]}),
        ({"customer": None}, {"customer": ["This field may not be null."]}),
        (
            {"occurred_at": "yesterday"},
            {
                "occurred_at": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ]
            },
        ),
        (
            {"occurred_at": "9999-12-31T23:59:59-10:00"},
            {"occurred_at": ["Datetime value out of range."]},
        ),
        (
            {"subject": "x" * 201},
            {"subject": ["Ensure this field has no more than 200 characters."]},
        ),
        ({"notes": "a\x00"}, {"notes": ["Null characters are not allowed."]}),
    ],
)
def test_an_invalid_interaction_is_refused(support, changes, errors):
    customer = CustomerFactory.create()

    response = bearer(support).post(
        INTERACTIONS,
        {"customer": customer.id, "channel": "phone", **changes},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == errors
    assert not Interaction.objects.exists()


def test_interactions_are_filtered_by_customer_channel_and_status(support):
    customer = CustomerFactory.create()
    wanted = InteractionFactory.create(
        customer=customer, channel=Channel.CHAT, status="open", resolved_at=None
    )
    InteractionFactory.create(customer=customer, channel=Channel.CHAT)
    InteractionFactory.create(
        customer=customer, channel=Channel.PHONE, status="open", resolved_at=None
    )
    InteractionFactory.create(channel=Channel.CHAT, status="open", resolved_at=None)

    response = bearer(support).get(
        INTERACTIONS,
        {"customer": str(customer.id), "channel": "chat", "status": "open"},
    )

    assert [row["id"] for row in response.json()["results"]] == [wanted.id]


def test_interactions_are_filtered_by_update_time(support, clock):
    InteractionFactory.create()
    clock.move_to(NOW + timedelta(minutes=1), tick=False)
    recent = InteractionFactory.create()

    response = bearer(support).get(
        INTERACTIONS, {"updated_since": "2025-01-31T08:00:30Z"}
    )

    assert [row["id"] for row in response.json()["results"]] == [recent.id]


@pytest.mark.parametrize(
    "query",
    [
        {"customer": "abc"},
        {"customer": "99999999999999999999"},
        {"customer": "-1"},
        {"customer": "1\x00"},
        {"channel": "fax"},
        {"status": "closed"},
        {"updated_since": "garbage"},
    ],
)
def test_an_invalid_interaction_filter_is_a_400(support, query):
    response = bearer(support).get(INTERACTIONS, query)

    assert response.status_code == 400
    assert list(response.json()) == list(query)
