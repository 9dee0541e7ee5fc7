"""Who may use the customers API and how they sign in: Bearer keys, sessions,
roles."""

import pytest
from rest_framework.test import APIClient

from customers.models import Customer, Touchpoint
from tests.api import bearer
from tests.customers.api_helpers import CUSTOMERS, NOW, TOUCHPOINTS
from tests.factories import (
    CustomerFactory,
    TouchpointFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def test_anonymous_requests_are_refused_with_a_bearer_challenge():
    response = APIClient().get(CUSTOMERS)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided."
    }
    assert response["WWW-Authenticate"] == "Bearer"


def test_an_unknown_bearer_key_is_refused():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer " + "0" * 40)

    response = client.get(CUSTOMERS)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


@pytest.mark.parametrize("key", ["a\x00b", "x" * 41, "ZZ" * 20])
def test_a_malformed_bearer_key_is_refused_without_a_lookup(
    key, django_assert_num_queries
):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    with django_assert_num_queries(0):
        response = client.get(CUSTOMERS)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_the_key_of_an_inactive_user_is_refused(support):
    client = bearer(support)
    support.is_active = False
    support.save()

    response = client.get(CUSTOMERS)

    assert response.status_code == 401
    assert response.json() == {"detail": "User inactive or deleted."}


def test_a_session_signs_in_too(support):
    client = APIClient()
    client.force_login(support)

    response = client.get(CUSTOMERS)

    assert response.status_code == 200


def test_a_session_write_needs_the_csrf_token(support):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(support)

    response = client.post(CUSTOMERS, {"name": "Eve"}, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF Failed: CSRF cookie not set."}
    assert not Customer.objects.exists()


def test_a_user_without_a_role_may_not_read(outsider):
    response = bearer(outsider).get(CUSTOMERS)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "You do not have permission to perform this action."
    }


def test_support_may_not_create_touchpoints(support):
    response = bearer(support).post(
        TOUCHPOINTS, {"name": "Checkout", "stage": "purchase"}, format="json"
    )

    assert response.status_code == 403
    assert not Touchpoint.objects.exists()


def test_support_may_read_touchpoints(support):
    TouchpointFactory.create()

    response = bearer(support).get(TOUCHPOINTS)

    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_nothing_is_deleted_through_the_api(manager):
    customer = CustomerFactory.create()

    response = bearer(manager).delete(f"{CUSTOMERS}{customer.id}/")

    assert response.status_code == 405
    assert Customer.objects.filter(id=customer.id).exists()
