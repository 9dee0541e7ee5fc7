import base64
import json
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from customers.models import Channel, Company, Customer, Interaction, Touchpoint
from customers.serializers import CustomerSerializer
from tests.factories import (
    ApiTokenFactory,
    CompanyFactory,
    CustomerFactory,
    InteractionFactory,
    TouchpointFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 1, 31, 8, 0, tzinfo=UTC)
NOW_TEXT = "2025-01-31T08:00:00Z"
CUSTOMERS = "/api/v1/customers/"
COMPANIES = "/api/v1/companies/"
TOUCHPOINTS = "/api/v1/touchpoints/"
INTERACTIONS = "/api/v1/interactions/"


@pytest.fixture(autouse=True)
def frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


def bearer(user) -> APIClient:
    """A client that signs in the way external tools do: with a Bearer key."""
    client = APIClient()
    key = ApiTokenFactory.create(user=user).key
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def post_raw(client: APIClient, url: str, body: bytes | str, content_type=None):
    """POST a body as it is: broken JSON, bytes that are not UTF-8."""
    return client.generic(
        "POST",
        url,
        body,  # type: ignore[arg-type]  # the stubs say str; Django sends bytes too
        content_type=content_type or "application/json",
    )


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


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"name": {"first": "Eve"}}, {"name": ["Not a valid string."]}),
        ({"name": ["Eve"]}, {"name": ["Not a valid string."]}),
        ({"name": None}, {"name": ["This field may not be null."]}),
        (
            {"name": "Eve", "company": "abc"},
            {"company": ["A valid integer is required."]},
        ),
        (
            {"name": "Eve", "company": 1.5},
            {"company": ["A valid integer is required."]},
        ),
        (
            {"name": "Eve", "company": True},
            {"company": ["A valid integer is required."]},
        ),
        (
            {"name": "Eve", "company": 10**30},
            {"company": [f'Invalid pk "{10**30}" - object does not exist.']},
        ),
        (
            {"name": "Eve", "tags": "vip"},
            {"tags": ['Expected a list of items but got type "str".']},
        ),
        (
            {"name": "Eve", "tags": [{"a": 1}]},
            {"tags": {"0": ["Not a valid string."]}},
        ),
        (
            {"name": "Eve", "tags": ["x" * 51]},
            {"tags": {"0": ["Ensure this field has no more than 50 characters."]}},
        ),
        (
            {"name": "Eve", "tags": [str(n) for n in range(51)]},
            {"tags": ["Ensure this field has no more than 50 elements."]},
        ),
        (
            {"name": "Eve", "created_at": None, "language": None},
            {"language": ["This field may not be null."]},
        ),
    ],
)
def test_wrong_types_are_refused(support, body, errors):
    response = bearer(support).post(CUSTOMERS, body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([{"name": "Eve"}], "Invalid data. Expected a dictionary, but got list."),
        ("Eve", "Invalid data. Expected a dictionary, but got str."),
        (None, "No data provided"),
    ],
)
def test_a_body_that_is_not_an_object_is_refused(support, body, message):
    response = post_raw(bearer(support), CUSTOMERS, json.dumps(body))

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [message]}
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"name": "Eve\x00"}, {"name": ["Null characters are not allowed."]}),
        (
            {"name": "Eve", "email": "eve\x00@example.com"},
            {
                "email": [
                    "Null characters are not allowed.",
                    "Enter a valid email address.",
                ]
            },
        ),
        (
            {"name": "Eve", "tags": ["v\x00ip"]},
            {"tags": {"0": ["Null characters are not allowed."]}},
        ),
        (
            {"name": "Eve", "stage": "\x00"},
            {"stage": ['"\x00" is not a valid choice.']},
        ),
        (
            {"name": "Eve", "timezone": "UTC\x00"},
            {
                "timezone": [
                    "UTC\x00 is not a known time zone (use a name like Asia/Shanghai).",
                    "Null characters are not allowed.",
                ]
            },
        ),
    ],
)
def test_nul_characters_are_refused(support, body, errors):
    response = bearer(support).post(CUSTOMERS, body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert not Customer.objects.exists()


def test_a_nul_character_in_a_field_name_is_refused(support):
    response = bearer(support).post(
        CUSTOMERS, {"name": "Eve", "na\x00me": "x"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"na\x00me": ["Unknown field."]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"name": ', "JSON parse error - Expecting value: line 1 column 10 (char 9)"),
        (
            "{'name': 'Eve'}",
            "JSON parse error - Expecting property name enclosed in "
            "double quotes: line 1 column 2 (char 1)",
        ),
        (
            '{"name": NaN}',
            "JSON parse error - Out of range float values are not JSON compliant: "
            "'NaN'",
        ),
        (
            '{"name": "\\ud800"}',
            "JSON parse error - lone surrogate escapes are not allowed.",
        ),
        (
            '{"stage": "\\ud800"}',
            "JSON parse error - lone surrogate escapes are not allowed.",
        ),
        (
            '{"\\udfff": 1}',
            "JSON parse error - lone surrogate escapes are not allowed.",
        ),
        ("[" * 100_000 + "]" * 100_000, "JSON parse error - nested too deeply."),
        (
            b'{"name": "\xff"}',
            "JSON parse error - 'utf-8' codec can't decode byte "
            "0xff in position 10: invalid start byte",
        ),
    ],
)
def test_malformed_json_is_refused(support, body, message):
    response = post_raw(bearer(support), CUSTOMERS, body)

    assert response.status_code == 400
    assert response.json() == {"detail": message}
    assert not Customer.objects.exists()


def test_an_emoji_written_as_a_surrogate_pair_is_accepted(support):
    response = post_raw(bearer(support), CUSTOMERS, '{"name": "Eve \\ud83d\\ude00"}')

    assert response.status_code == 201
    assert Customer.objects.get().name == "Eve 😀"


def test_a_number_too_large_for_a_float_is_not_an_id(support):
    response = post_raw(bearer(support), CUSTOMERS, '{"name": "Eve", "company": 1e400}')

    assert response.status_code == 400
    assert response.json() == {"company": ["A valid integer is required."]}


def test_a_compression_codec_is_not_a_charset(support):
    """`charset=zlib` must not inflate a small body into gigabytes."""
    body = zlib.compress(json.dumps({"name": "x" * 5_000_000}).encode())

    response = post_raw(
        bearer(support), CUSTOMERS, body, "application/json; charset=zlib"
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": 'Unsupported charset "zlib" in request Content-Type header.'
    }
    assert not Customer.objects.exists()


def test_a_body_above_the_upload_limit_is_refused(support, settings):
    body = json.dumps({"name": "Eve", "notes": "x" * 2_621_440})
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = post_raw(bearer(support), CUSTOMERS, body)

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large."}
    assert not Customer.objects.exists()


def test_a_form_encoded_body_is_refused(support):
    response = bearer(support).post(CUSTOMERS, {"name": "Eve"})

    assert response.status_code == 415
    assert not Customer.objects.exists()


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


def test_customers_are_filtered_by_update_time(support, time_machine):
    CustomerFactory.create()
    time_machine.move_to(NOW + timedelta(hours=1), tick=False)
    recent = CustomerFactory.create()

    response = bearer(support).get(
        CUSTOMERS, {"updated_since": "2025-01-31T10:30:00+02:00"}
    )

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [recent.id]


def test_a_time_without_an_offset_is_utc_whatever_the_sites_zone(
    support, time_machine, settings
):
    settings.TIME_ZONE = "Asia/Shanghai"
    CustomerFactory.create()
    time_machine.move_to(NOW + timedelta(hours=1), tick=False)
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


def test_a_company_is_read_with_every_field(support):
    owner = UserFactory.create(is_staff=True)
    company = CompanyFactory.create(
        name="Acme",
        domain="acme.example",
        segment="enterprise",
        owner=owner,
        external_id="acct-1",
    )

    response = bearer(support).get(f"{COMPANIES}{company.id}/")

    assert response.json() == {
        "id": company.id,
        "name": "Acme",
        "domain": "acme.example",
        "segment": "enterprise",
        "owner": owner.id,
        "external_id": "acct-1",
        "created_at": NOW_TEXT,
        "updated_at": NOW_TEXT,
    }


def test_support_creates_and_renames_a_company(support):
    client = bearer(support)

    created = client.post(COMPANIES, {"name": "Acme", "segment": "smb"}, format="json")
    renamed = client.patch(
        f"{COMPANIES}{created.json()['id']}/", {"name": "Acme Ltd"}, format="json"
    )

    assert (created.status_code, renamed.status_code) == (201, 200)
    company = Company.objects.get()
    assert (company.name, company.segment) == ("Acme Ltd", "smb")


def test_a_duplicate_company_external_id_is_refused(support):
    CompanyFactory.create(external_id="acct-1")

    response = bearer(support).post(
        COMPANIES, {"name": "Acme", "external_id": "acct-1"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "external_id": ["A company with this external id already exists."]
    }
    assert Company.objects.count() == 1


def test_companies_are_filtered_by_external_id_and_update_time(support, time_machine):
    CompanyFactory.create(external_id="acct-1")
    time_machine.move_to(NOW + timedelta(days=1), tick=False)
    recent = CompanyFactory.create(external_id="acct-2")
    client = bearer(support)

    by_external_id = client.get(COMPANIES, {"external_id": "acct-2"}).json()
    by_time = client.get(COMPANIES, {"updated_since": "2025-02-01"}).json()

    assert [row["id"] for row in by_external_id["results"]] == [recent.id]
    assert [row["id"] for row in by_time["results"]] == [recent.id]


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


def test_resolving_an_open_interaction_records_when(support, time_machine):
    interaction = InteractionFactory.create(status="open", resolved_at=None)
    time_machine.move_to(NOW + timedelta(hours=3), tick=False)

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


def test_interactions_are_filtered_by_update_time(support, time_machine):
    InteractionFactory.create()
    time_machine.move_to(NOW + timedelta(minutes=1), tick=False)
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
    # The key with its user, the user's permissions, those of their groups, the page.
    with django_assert_num_queries(4):
        one = client.get(url)
    factory.create_batch(20)
    with django_assert_num_queries(4):
        many = client.get(url)

    assert (len(one.json()["results"]), len(many.json()["results"])) == (1, 21)


def test_a_filtered_list_runs_a_constant_number_of_queries(
    support, django_assert_num_queries
):
    customer = CustomerFactory.create()
    InteractionFactory.create_batch(10, customer=customer)
    client = bearer(support)

    # As above, plus the check that the customer exists.
    with django_assert_num_queries(5):
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


def test_the_schema_lists_the_endpoints_and_bearer_authentication():
    response = APIClient().get("/api/v1/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert "/api/v1/customers/" in schema["paths"]
    assert "/api/v1/interactions/{id}/" in schema["paths"]
    assert {"type": "http", "scheme": "bearer"} in schema["components"][
        "securitySchemes"
    ].values()
    parameters = {
        parameter["name"]
        for parameter in schema["paths"]["/api/v1/customers/"]["get"]["parameters"]
    }
    assert parameters == {
        "company",
        "cursor",
        "email",
        "external_id",
        "ordering",
        "page_size",
        "search",
        "updated_since",
    }


def test_the_schema_is_valid_and_free_of_warnings(tmp_path):
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yml"),
    )


def test_the_browsable_docs_are_served(client):
    response = client.get("/api/v1/docs/")

    assert response.status_code == 200
