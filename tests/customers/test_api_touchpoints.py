"""/api/v1/touchpoints/ (managers write, support reads)."""

import pytest

from customers.models import Touchpoint
from tests.api import bearer
from tests.customers.api_helpers import NOW, NOW_TEXT, TOUCHPOINTS
from tests.factories import (
    TouchpointFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def test_a_manager_creates_a_touchpoint(manager):
    response = bearer(manager).post(
        TOUCHPOINTS, {"name": "Checkout", "stage": "purchase"}, format="json"
    )

    assert response.status_code == 201
    touchpoint = Touchpoint.objects.get()
    assert response.json() == {
        "id": touchpoint.id,
        "name": "Checkout",
        "stage": "purchase",
        "default_channel": "email",
        "is_active": True,
        "created_at": NOW_TEXT,
        "updated_at": NOW_TEXT,
    }


def test_a_manager_deactivates_a_touchpoint(manager):
    touchpoint = TouchpointFactory.create()

    response = bearer(manager).patch(
        f"{TOUCHPOINTS}{touchpoint.id}/", {"is_active": False}, format="json"
    )

    assert response.status_code == 200
    touchpoint.refresh_from_db()
    assert touchpoint.is_active is False


def test_touchpoint_names_are_unique(manager):
    TouchpointFactory.create(name="Checkout")

    response = bearer(manager).post(
        TOUCHPOINTS, {"name": "Checkout", "stage": "purchase"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"name": ["A touchpoint with this name already exists."]}
    assert Touchpoint.objects.count() == 1


def test_touchpoints_are_filtered_by_stage_and_activity(support):
    checkout = TouchpointFactory.create(stage="purchase")
    TouchpointFactory.create(stage="purchase", is_active=False)
    TouchpointFactory.create(stage="usage")
    client = bearer(support)

    response = client.get(TOUCHPOINTS, {"stage": "purchase", "is_active": "true"})

    assert [row["id"] for row in response.json()["results"]] == [checkout.id]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            {"is_active": "maybe"},
            {"is_active": ['Enter "true" or "false".']},
        ),
        (
            {"stage": "bliss"},
            {
                "stage": [
                    "Select a valid choice. bliss is not one of the available choices."
                ]
            },
        ),
    ],
)
def test_an_invalid_touchpoint_filter_is_a_400(support, query, errors):
    response = bearer(support).get(TOUCHPOINTS, query)

    assert response.status_code == 400
    assert response.json() == errors
