import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from customers.models import Company, Customer
from surveys.models import Survey
from tests.api import session
from tests.factories import (
    ApiTokenFactory,
    CompanyFactory,
    CustomerFactory,
    SurveyFactory,
    UserFactory,
)
from tokens import services
from tokens.models import ApiToken

NOW = datetime(2027, 5, 4, 9, 30, tzinfo=UTC)
NOW_TEXT = "2027-05-04T09:30:00Z"
TOKENS = "/api/v1/tokens/"
CUSTOMERS = "/api/v1/customers/"
READ_ONLY = {"detail": "This token may only read."}

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def with_key(key: str) -> APIClient:
    """A client that sends this raw key, whatever it is, as its Bearer token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


# Signing in


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"revoked_at": NOW}, "This token has been revoked."),
        ({"expires_at": NOW - timedelta(seconds=1)}, "This token has expired."),
    ],
)
def test_a_revoked_or_expired_key_is_a_401_that_says_why(manager, changes, message):
    token = ApiTokenFactory.create(user=manager, **changes)

    response = with_key(token.key).get(CUSTOMERS)

    assert response.status_code == 401
    assert response.json() == {"detail": message}
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "bearer " + "0" * 40, "Bearer tl_" + "é" * 40],
)
def test_a_broken_header_is_a_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get(CUSTOMERS)

    assert response.status_code == 401


def test_another_scheme_is_left_to_the_other_authentications():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic c2FtOnNlY3JldA==")

    response = client.get(CUSTOMERS)

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided."
    }


def test_a_request_records_the_last_use(support):
    token = ApiTokenFactory.create(user=support, last_used_at=None)

    with_key(token.key).get(CUSTOMERS)

    token.refresh_from_db()
    assert token.last_used_at == NOW


# The read scope


def test_a_read_token_reads(manager):
    CustomerFactory.create(name="Ada")
    token = ApiTokenFactory.create(user=manager, scope="read")

    response = with_key(token.key).get(CUSTOMERS)

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Ada"]


def test_a_read_token_may_not_post_patch_put_or_delete(manager):
    company = CompanyFactory.create(name="Acme")
    customer = CustomerFactory.create(name="Ada", company=company)
    survey = SurveyFactory.create(name="NPS")
    client = with_key(ApiTokenFactory.create(user=manager, scope="read").key)

    responses = [
        client.post("/api/v1/companies/", {"name": "Globex"}, format="json"),
        client.patch(f"{CUSTOMERS}{customer.id}/", {"name": "Eve"}, format="json"),
        client.put(
            f"/api/v1/companies/{company.id}/", {"name": "Initech"}, format="json"
        ),
        client.delete(f"/api/v1/surveys/{survey.id}/"),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    assert [r.json() for r in responses] == [READ_ONLY] * 4
    assert list(Company.objects.values_list("name", flat=True)) == ["Acme"]
    assert list(Customer.objects.values_list("name", flat=True)) == ["Ada"]
    assert list(Survey.objects.values_list("name", flat=True)) == ["NPS"]


def test_a_write_token_writes_where_the_users_groups_allow(manager):
    client = with_key(ApiTokenFactory.create(user=manager, scope="write").key)

    response = client.post("/api/v1/companies/", {"name": "Globex"}, format="json")

    assert response.status_code == 201
    assert list(Company.objects.values_list("name", flat=True)) == ["Globex"]


def test_a_write_token_of_a_user_without_a_role_writes_nothing(outsider):
    client = with_key(ApiTokenFactory.create(user=outsider, scope="write").key)

    response = client.post("/api/v1/companies/", {"name": "Globex"}, format="json")

    assert response.status_code == 403
    assert not Company.objects.exists()


# The tokens endpoint


def test_a_signed_in_person_creates_a_token_and_sees_its_key_once(support):
    client = session(support)

    response = client.post(
        TOKENS,
        {"name": "Helpdesk", "scope": "read", "expires_at": "2027-06-01T00:00:00Z"},
        format="json",
    )

    assert response.status_code == 201
    token = ApiToken.objects.get()
    body = response.json()
    key = body.pop("key")
    assert token.key_hash == services.hash_key(key)
    assert body == {
        "id": token.id,
        "name": "Helpdesk",
        "prefix": key[:8],
        "scope": "read",
        "user": support.id,
        "created_at": NOW_TEXT,
        "expires_at": "2027-06-01T00:00:00Z",
        "requests_per_minute": None,
        "last_used_at": None,
        "revoked_at": None,
    }
    listed = client.get(TOKENS).json()["results"]
    shown = client.get(f"{TOKENS}{token.id}/").json()
    assert listed == [body]
    assert shown == body
    assert key not in json.dumps([listed, shown])
    assert with_key(key).get(CUSTOMERS).status_code == 200


def test_a_new_token_is_a_write_token_by_default(support):
    response = session(support).post(TOKENS, {"name": "Shop"}, format="json")

    assert response.status_code == 201
    assert (response.json()["scope"], response.json()["expires_at"]) == (
        "write",
        None,
    )


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"name": ["This field is required."]}),
        ({"name": ""}, {"name": ["This field may not be blank."]}),
        (
            {"name": "x", "scope": "admin"},
            {"scope": ['"admin" is not a valid choice.']},
        ),
        (
            {"name": "x", "expires_at": NOW_TEXT},
            {"expires_at": ["The expiry must be in the future."]},
        ),
        (
            {"name": "x", "key_hash": "0" * 64},
            {"key_hash": ["Unknown field."]},
        ),
    ],
)
def test_an_invalid_token_is_refused(support, body, errors):
    response = session(support).post(TOKENS, body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert not ApiToken.objects.exists()


def test_a_token_may_not_create_tokens(support):
    token = ApiTokenFactory.create(user=support)

    response = with_key(token.key).post(TOKENS, {"name": "Another"}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Tokens are created by a signed-in person, not by another token."
    }
    assert list(ApiToken.objects.all()) == [token]


def test_each_user_lists_their_own_tokens_and_a_superuser_everyones(support):
    own = ApiTokenFactory.create(user=support)
    other = ApiTokenFactory.create()
    boss = UserFactory.create(username="root", is_superuser=True, is_staff=True)

    mine = session(support).get(TOKENS).json()["results"]
    everyone = session(boss).get(TOKENS).json()["results"]

    assert [row["id"] for row in mine] == [own.id]
    assert [row["id"] for row in everyone] == [own.id, other.id]
    assert session(support).get(f"{TOKENS}{other.id}/").status_code == 404


def test_a_token_lists_the_tokens_of_its_user(support):
    token = ApiTokenFactory.create(user=support, scope="read")

    response = with_key(token.key).get(TOKENS)

    assert [row["id"] for row in response.json()["results"]] == [token.id]


@pytest.mark.parametrize("how", ["revoke", "delete"])
def test_a_token_is_revoked_through_the_api_and_signs_in_no_more(support, how):
    token = ApiTokenFactory.create(user=support)
    client = session(support)

    if how == "revoke":
        response = client.post(f"{TOKENS}{token.id}/revoke/")
        assert response.status_code == 200
        assert response.json()["revoked_at"] == NOW_TEXT
    else:
        response = client.delete(f"{TOKENS}{token.id}/")
        assert response.status_code == 204

    token.refresh_from_db()
    assert token.revoked_at == NOW
    assert with_key(token.key).get(CUSTOMERS).status_code == 401


def test_a_write_token_revokes_itself(support):
    token = ApiTokenFactory.create(user=support)

    response = with_key(token.key).post(f"{TOKENS}{token.id}/revoke/")

    assert response.status_code == 200
    assert with_key(token.key).get(CUSTOMERS).json() == {
        "detail": "This token has been revoked."
    }


def test_nobody_revokes_the_token_of_another_user(support):
    other = ApiTokenFactory.create()

    responses = [
        session(support).post(f"{TOKENS}{other.id}/revoke/"),
        session(support).delete(f"{TOKENS}{other.id}/"),
    ]

    assert [r.status_code for r in responses] == [404, 404]
    other.refresh_from_db()
    assert other.revoked_at is None


def test_a_read_token_revokes_nothing(support):
    token = ApiTokenFactory.create(user=support, scope="read")

    response = with_key(token.key).delete(f"{TOKENS}{token.id}/")

    assert response.status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_anonymous_requests_see_no_tokens():
    ApiTokenFactory.create()

    responses = [APIClient().get(TOKENS), APIClient().post(TOKENS, {"name": "x"})]

    assert [r.status_code for r in responses] == [401, 401]
    assert ApiToken.objects.count() == 1


# Rates


@override_settings(API_TOKEN_RATE="3/min")
def test_a_token_past_its_rate_gets_a_429_with_retry_after(fresh_rates, support, clock):
    token = ApiTokenFactory.create(user=support)
    client = with_key(token.key)

    statuses = [client.get(CUSTOMERS).status_code for _ in range(4)]
    refused = client.get(CUSTOMERS)

    assert statuses == [200, 200, 200, 429]
    assert refused["Retry-After"] == "60"
    assert refused.json() == {
        "detail": "Request was throttled. Expected available in 60 seconds."
    }
    clock.move_to(NOW + timedelta(seconds=61), tick=False)
    assert client.get(CUSTOMERS).status_code == 200


@override_settings(API_TOKEN_RATE="2/min")
def test_retry_after_is_the_wait_until_the_oldest_request_leaves_the_minute(
    fresh_rates, support, clock
):
    client = with_key(ApiTokenFactory.create(user=support).key)
    client.get(CUSTOMERS)
    clock.move_to(NOW + timedelta(seconds=45), tick=False)
    client.get(CUSTOMERS)

    refused = client.get(CUSTOMERS)
    clock.move_to(NOW + timedelta(seconds=60), tick=False)
    freed = client.get(CUSTOMERS)

    assert refused.status_code == 429
    assert refused["Retry-After"] == "15"
    assert refused.json() == {
        "detail": "Request was throttled. Expected available in 15 seconds."
    }
    assert freed.status_code == 200
    # A minute's boundary passed, but the request of 0:45 still counts.
    assert client.get(CUSTOMERS)["Retry-After"] == "45"


@override_settings(API_TOKEN_RATE="1/min", REDIS_URL="redis://127.0.0.1:1/0")
def test_when_the_counters_redis_is_down_the_api_still_answers(
    fresh_rates, support, caplog
):
    client = with_key(ApiTokenFactory.create(user=support).key)

    statuses = [client.get(CUSTOMERS).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert "Request rate not counted, request let through" in caplog.text


@override_settings(API_TOKEN_RATE="2/min")
def test_each_token_has_a_rate_of_its_own(fresh_rates, support):
    first = with_key(ApiTokenFactory.create(user=support).key)
    second = with_key(ApiTokenFactory.create(user=support).key)

    statuses = [client.get(CUSTOMERS).status_code for client in [first] * 3]
    others = [client.get(CUSTOMERS).status_code for client in [second] * 2]

    assert (statuses, others) == ([200, 200, 429], [200, 200])


@override_settings(API_TOKEN_RATE="5/min")
def test_a_token_with_a_rate_of_its_own_is_held_to_it(fresh_rates, support):
    strict = with_key(ApiTokenFactory.create(user=support, requests_per_minute=2).key)
    default = with_key(ApiTokenFactory.create(user=support).key)

    statuses = [strict.get(CUSTOMERS).status_code for _ in range(3)]
    others = [default.get(CUSTOMERS).status_code for _ in range(5)]

    assert (statuses, others) == ([200, 200, 429], [200] * 5)


def test_a_token_is_made_with_its_own_rate(fresh_rates, support):
    client = APIClient()
    client.force_login(support)

    response = client.post(
        TOKENS, {"name": "shop", "requests_per_minute": 30}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["requests_per_minute"] == 30
    assert ApiToken.objects.get(name="shop").requests_per_minute == 30


@override_settings(API_TOKEN_RATE="2/min")
def test_a_throttled_write_changes_nothing(fresh_rates, manager):
    client = with_key(ApiTokenFactory.create(user=manager).key)
    client.get(CUSTOMERS)
    client.get(CUSTOMERS)

    response = client.post("/api/v1/companies/", {"name": "Globex"}, format="json")

    assert response.status_code == 429
    assert not Company.objects.exists()


@override_settings(API_USER_RATE="2/min", API_TOKEN_RATE="2/min")
def test_a_session_counts_apart_from_the_users_tokens(fresh_rates, support):
    client = session(support)
    token = with_key(ApiTokenFactory.create(user=support).key)

    statuses = [client.get(CUSTOMERS).status_code for _ in range(3)]
    by_token = [token.get(CUSTOMERS).status_code for _ in range(2)]

    assert (statuses, by_token) == ([200, 200, 429], [200, 200])


@override_settings(API_USER_RATE="2/hour", API_TOKEN_RATE=None)
def test_a_session_past_its_rate_is_told_when_a_slot_frees(fresh_rates, support, clock):
    client = session(support)
    client.get(CUSTOMERS)
    clock.move_to(NOW + timedelta(minutes=10), tick=False)
    client.get(CUSTOMERS)

    refused = client.get(CUSTOMERS)

    assert refused.status_code == 429
    assert refused["Retry-After"] == str(50 * 60)


@override_settings(API_TOKEN_RATE=None)
def test_a_rate_turned_off_throttles_nothing(fresh_rates, support):
    client = with_key(ApiTokenFactory.create(user=support).key)

    statuses = {client.get(CUSTOMERS).status_code for _ in range(20)}

    assert statuses == {200}


# The schema


def test_the_schema_documents_bearer_tokens_and_the_tokens_endpoint():
    response = APIClient().get("/api/v1/schema/", {"format": "json"})

    schema = json.loads(response.content)
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    assert {"bearerAuth": []} in schema["paths"][CUSTOMERS]["get"]["security"]
    assert set(schema["paths"][TOKENS]) == {"get", "post"}
    assert set(schema["paths"]["/api/v1/tokens/{id}/"]) == {"get", "delete"}
    assert set(schema["paths"]["/api/v1/tokens/{id}/revoke/"]) == {"post"}
