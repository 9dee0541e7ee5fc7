"""What every list of the customers API shares: cursor pages, 404s for ids that
are not rows, a constant number of queries, a browsable filter form that does
not list every related row."""

import base64

import pytest
from rest_framework.test import APIClient

from tests.api import bearer
from tests.customers.api_helpers import (
    COMPANIES,
    CUSTOMERS,
    INTERACTIONS,
    NOW,
    TOUCHPOINTS,
)
from tests.factories import (
    CompanyFactory,
    CustomerFactory,
    InteractionFactory,
    TouchpointFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def test_lists_are_cursor_paginated_by_id(support):
    customers = CustomerFactory.create_batch(3)
    client = bearer(support)

    first = client.get(CUSTOMERS, {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert first["previous"] is None
    assert first["next"].startswith("http://testserver/api/v1/customers/?cursor=")
    assert [row["id"] for row in first["results"]] == [c.id for c in customers[:2]]
    assert [row["id"] for row in second["results"]] == [customers[2].id]
    assert second["next"] is None
    assert second["previous"] is not None


@pytest.mark.parametrize("position", ["abc", "1\x00", "-1", "1" * 30])
def test_a_forged_cursor_is_a_404(support, position):
    cursor = base64.b64encode(f"p={position}".encode()).decode()

    response = bearer(support).get(CUSTOMERS, {"cursor": cursor})

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


@pytest.mark.parametrize(
    ("id_", "detail"),
    [
        ("-1", "No Customer matches the given query."),
        (str(10**30), "No Customer matches the given query."),
        ("abc", "Not found."),
        ("1%00", "Not found."),
    ],
)
def test_an_id_that_is_not_a_row_is_a_404(support, id_, detail):
    CustomerFactory.create()

    response = bearer(support).get(f"{CUSTOMERS}{id_}/")

    assert response.status_code == 404
    assert response.json() == {"detail": detail}


@pytest.mark.parametrize(
    ("url", "factory"),
    [
        (CUSTOMERS, CustomerFactory),
        (COMPANIES, CompanyFactory),
        (TOUCHPOINTS, TouchpointFactory),
        (INTERACTIONS, InteractionFactory),
    ],
)
def test_a_list_runs_the_same_queries_for_one_row_as_for_many(
    manager, url, factory, django_assert_num_queries
):
    client = bearer(manager)
    factory()
    # The key with its user, the user's permissions, those of their groups,
    # the page; for customers and interactions, the access log's one entry
    # (lib/access_log.py).
    queries = 5 if url in (CUSTOMERS, INTERACTIONS) else 4
    with django_assert_num_queries(queries):
        one = client.get(url)
    factory.create_batch(20)
    with django_assert_num_queries(queries):
        many = client.get(url)

    assert (len(one.json()["results"]), len(many.json()["results"])) == (1, 21)


def test_a_filtered_list_runs_a_constant_number_of_queries(
    support, django_assert_num_queries
):
    customer = CustomerFactory.create()
    InteractionFactory.create_batch(10, customer=customer)
    client = bearer(support)

    # As above (the access log's entry included), plus the check that the
    # customer exists.
    with django_assert_num_queries(6):
        response = client.get(INTERACTIONS, {"customer": customer.id})

    assert len(response.json()["results"]) == 10


@pytest.mark.parametrize(
    ("url", "factory", "field"),
    [
        (INTERACTIONS, CustomerFactory, "customer"),
        (CUSTOMERS, CompanyFactory, "company"),
    ],
)
def test_the_browsable_filter_form_does_not_list_every_related_row(
    support, url, factory, field
):
    factory.create_batch(3, name="Zed")
    client = APIClient()
    client.force_login(support)

    response = client.get(url, HTTP_ACCEPT="text/html")

    page = response.content.decode()
    assert response.status_code == 200
    assert f'<input type="text" name="{field}"' in page
    assert "Zed" not in page
