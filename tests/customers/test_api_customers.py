"""/api/v1/customers/: reading, creating and updating customers, the
validation of their fields, and the filters of the list."""

from datetime import timedelta

import pytest

from customers.models import Customer
from customers.serializers import CustomerSerializer
from tests.api import bearer
from tests.customers.api_helpers import CUSTOMERS, NOW, NOW_TEXT
from tests.factories import (
    CompanyFactory,
    CustomerFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def test_a_customer_is_read_with_every_field(support):
    owner = UserFactory.create(is_staff=True)
    customer = CustomerFactory.create(
        name="Ann Lee",
        email="ann@example.com",
        phone="+86 21 5555 0100",
        segment="enterprise",
        stage="purchase",
        language="zh-hans",
        timezone="Asia/Shanghai",
        owner=owner,
        external_id="crm-7",
        tags=["vip", "beta"],
    )

    response = bearer(support).get(f"{CUSTOMERS}{customer.id}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": customer.id,
        "name": "Ann Lee",
        "email": "ann@example.com",
        "phone": "+86 21 5555 0100",
        "company": customer.company_id,
        "segment": "enterprise",
        "stage": "purchase",
        "language": "zh-hans",
        "timezone": "Asia/Shanghai",
        "owner": owner.id,
        "external_id": "crm-7",
        "tags": ["vip", "beta"],
        "jurisdiction": "",
        "email_opted_out_at": None,
        "erased_at": None,
        "created_at": NOW_TEXT,
        "updated_at": NOW_TEXT,
    }


def test_support_creates_a_customer(support, settings):
    company = CompanyFactory.create()

    response = bearer(support).post(
        CUSTOMERS,
        {"name": "Bo Chen", "email": "bo@example.com", "company": company.id},
        format="json",
    )

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert response.json() == {
        "id": customer.id,
        "name": "Bo Chen",
        "email": "bo@example.com",
        "phone": "",
        "company": company.id,
        "segment": "",
        "stage": "",
        "language": "en",
        "timezone": settings.TIME_ZONE,  # the site's zone by default
        "owner": None,
        "external_id": "",
        "tags": [],
        "jurisdiction": "",
        "email_opted_out_at": None,
        "erased_at": None,
        "created_at": NOW_TEXT,
        "updated_at": NOW_TEXT,
    }


def test_support_updates_a_customer_field_by_field(support):
    customer = CustomerFactory.create(name="Bo", stage="usage")

    response = bearer(support).patch(
        f"{CUSTOMERS}{customer.id}/",
        {"stage": "advocacy", "tags": ["referrer"]},
        format="json",
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.name, customer.stage, customer.tags) == (
        "Bo",
        "advocacy",
        ["referrer"],
    )


def test_read_only_fields_sent_by_the_client_are_ignored(support):
    response = bearer(support).post(
        CUSTOMERS,
        {
            "id": 123456,
            "name": "Cy",
            "erased_at": "2020-01-01T00:00:00Z",
            "email_opted_out_at": "2020-01-01T00:00:00Z",
            "created_at": "2020-01-01T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert customer.id != 123456
    assert (customer.erased_at, customer.email_opted_out_at) == (None, None)
    assert customer.created_at == NOW


def test_an_unknown_field_is_refused(support):
    response = bearer(support).post(
        CUSTOMERS, {"name": "Cy", "nickname": "C", "emial": "c@x.com"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "emial": ["Unknown field."],
        "nickname": ["Unknown field."],
    }
    assert not Customer.objects.exists()


def test_an_unknown_field_is_refused_on_update_too(support):
    customer = CustomerFactory.create(name="Cy")

    response = bearer(support).patch(
        f"{CUSTOMERS}{customer.id}/", {"name": "Cyd", "nickname": "C"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"nickname": ["Unknown field."]}
    customer.refresh_from_db()
    assert customer.name == "Cy"


def test_a_duplicate_email_is_refused_whatever_its_case(support):
    CustomerFactory.create(email="Ann@Example.com")

    response = bearer(support).post(
        CUSTOMERS, {"name": "Ann", "email": "ann@example.COM"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"email": ["A customer with this email already exists."]}
    assert Customer.objects.count() == 1


def test_a_duplicate_the_serializer_misses_is_still_a_400(support, monkeypatch):
    """As when two requests race: the service's own validation answers."""
    CustomerFactory.create(email="ann@example.com")
    monkeypatch.setattr(
        CustomerSerializer, "validate_email", lambda serializer, value: value
    )

    response = bearer(support).post(
        CUSTOMERS, {"name": "Ann", "email": "ANN@example.com"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["A customer with this email already exists."]
    }
    assert Customer.objects.count() == 1


def test_a_customer_keeps_its_own_email_on_update(support):
    customer = CustomerFactory.create(email="ann@example.com")

    response = bearer(support).put(
        f"{CUSTOMERS}{customer.id}/",
        {"name": "Ann", "email": "ANN@example.com"},
        format="json",
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.email == "ANN@example.com"


def test_many_customers_may_have_no_email_or_external_id(support):
    CustomerFactory.create(email="", external_id="")

    response = bearer(support).post(
        CUSTOMERS, {"name": "Dee", "email": "", "external_id": ""}, format="json"
    )

    assert response.status_code == 201


def test_a_duplicate_external_id_is_refused(support):
    CustomerFactory.create(external_id="crm-1")

    response = bearer(support).post(
        CUSTOMERS, {"name": "Dee", "external_id": "crm-1"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "external_id": ["A customer with this external id already exists."]
    }
    assert Customer.objects.count() == 1


def test_field_messages_name_every_invalid_field(support):
    response = bearer(support).post(
        CUSTOMERS,
        {
            "name": "x" * 201,
            "email": "not an address",
            "stage": "bliss",
            "language": "fr",
            "timezone": "Mars/Olympus",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "name": ["Ensure this field has no more than 200 characters."],
        "email": ["Enter a valid email address."],
        "stage": ['"bliss" is not a valid choice.'],
        "language": ['"fr" is not a valid choice.'],
        "timezone": [
            "Mars/Olympus is not a known time zone (use a name like Asia/Shanghai)."
        ],
    }
    assert not Customer.objects.exists()


def test_a_required_name_is_required(support):
    response = bearer(support).post(CUSTOMERS, {"email": "e@x.com"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."]}


def test_an_unknown_company_is_refused(support):
    response = bearer(support).post(
        CUSTOMERS, {"name": "Eve", "company": 999999999}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "company": ['Invalid pk "999999999" - object does not exist.']
    }
    assert not Customer.objects.exists()


def test_the_owner_must_be_a_staff_member(support):
    customer_account = UserFactory.create(is_staff=False)

    response = bearer(support).post(
        CUSTOMERS, {"name": "Eve", "owner": customer_account.id}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "owner": [f'Invalid pk "{customer_account.id}" - object does not exist.']
    }


def test_customers_are_filtered_by_email_ignoring_case(support):
    ann = CustomerFactory.create(email="Ann@Example.com")
    CustomerFactory.create(email="bob@example.com")
    CustomerFactory.create(email="")

    response = bearer(support).get(CUSTOMERS, {"email": "ANN@example.COM"})

    assert [row["id"] for row in response.json()["results"]] == [ann.id]


def test_customers_are_filtered_by_external_id_and_company(support):
    company = CompanyFactory.create()
    wanted = CustomerFactory.create(external_id="crm-1", company=company)
    CustomerFactory.create(external_id="crm-2", company=company)
    CustomerFactory.create(external_id="crm-1-other")

    by_external_id = bearer(support).get(CUSTOMERS, {"external_id": "crm-1"})
    by_company = bearer(support).get(CUSTOMERS, {"company": company.id})

    assert [row["id"] for row in by_external_id.json()["results"]] == [wanted.id]
    assert len(by_company.json()["results"]) == 2


def test_customers_are_filtered_by_update_time(support, clock):
    CustomerFactory.create()
    clock.move_to(NOW + timedelta(hours=1), tick=False)
    recent = CustomerFactory.create()

    response = bearer(support).get(
        CUSTOMERS, {"updated_since": "2025-01-31T10:30:00+02:00"}
    )

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [recent.id]


def test_a_time_without_an_offset_is_utc_whatever_the_sites_zone(
    support, clock, settings
):
    settings.TIME_ZONE = "Asia/Shanghai"
    CustomerFactory.create()
    clock.move_to(NOW + timedelta(hours=1), tick=False)
    recent = CustomerFactory.create()

    response = bearer(support).get(CUSTOMERS, {"updated_since": "2025-01-31T08:30:00"})

    assert [row["id"] for row in response.json()["results"]] == [recent.id]
    assert response.json()["results"][0]["updated_at"] == "2025-01-31T09:00:00Z"


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            {"updated_since": "yesterday"},
            {"updated_since": ["Enter a valid date/time."]},
        ),
        (
            {"updated_since": "2025-13-01T00:00:00Z"},
            {"updated_since": ["Enter a valid date/time."]},
        ),
        (
            {"updated_since": "9999-12-31T23:59:59-10:00"},
            {"updated_since": ["Enter a date/time between the years 1 and 9999."]},
        ),
        (
            {"updated_since": "0001-01-01T00:00:00+01:00"},
            {"updated_since": ["Enter a date/time between the years 1 and 9999."]},
        ),
        ({"email": "a\x00b"}, {"email": ["Null characters are not allowed."]}),
        (
            {"external_id": "\x00"},
            {"external_id": ["Null characters are not allowed."]},
        ),
        (
            {"updated_since": "2025-01-01\x00"},
            {"updated_since": ["Enter a valid date/time."]},
        ),
        (
            {"company": "abc"},
            {
                "company": [
                    "Select a valid choice. That choice is not one of the available "
                    "choices."
                ]
            },
        ),
        (
            {"company": "99999999999999999999"},
            {
                "company": [
                    "Select a valid choice. That choice is not one of the available "
                    "choices."
                ]
            },
        ),
    ],
)
def test_an_invalid_customer_filter_is_a_400(support, query, errors):
    response = bearer(support).get(CUSTOMERS, query)

    assert response.status_code == 400
    assert response.json() == errors
