"""The shared fixtures of tests/conftest.py."""

import pytest

from customers.models import Customer
from tests.factories import CaseFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_factories_are_fixtures(customer_factory, case_factory):
    assert (customer_factory, case_factory) == (CustomerFactory, CaseFactory)
    customer = customer_factory.create(name="Ada")

    assert Customer.objects.get().name == customer.name == "Ada"


@pytest.mark.parametrize(
    ("client_fixture", "status"),
    [
        ("support_api", 200),
        ("manager_api", 200),
        ("outsider_api", 403),
        ("anonymous_api", 401),
    ],
)
def test_an_api_client_per_role(request, client_fixture, status):
    client = request.getfixturevalue(client_fixture)

    assert client.get("/api/v1/customers/").status_code == status
