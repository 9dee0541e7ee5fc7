"""The API's contract across resources: ordering, search, cursor pages,
upserts by external id, a constant number of queries per page, and an OpenAPI
schema that is complete and true (checked by schemathesis in-process)."""

import base64
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import Permission
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from rest_framework.test import APIClient
from rest_framework.utils.encoders import JSONEncoder
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from customers import services
from customers.models import Company, Customer
from tests.api import bearer, ids
from tests.factories import (
    ApiTokenFactory,
    CaseFactory,
    CompanyFactory,
    CustomerFactory,
    InteractionFactory,
    InvitationFactory,
    RootCauseFactory,
    SubscriptionFactory,
    SurveyFactory,
    SurveyResponseFactory,
    TouchpointFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 1, 31, 8, 0, tzinfo=UTC)
CUSTOMERS = "/api/v1/customers/"
COMPANIES = "/api/v1/companies/"


def walk(client: APIClient, url: str, params: dict[str, Any]) -> list[int]:
    """Every id of every page, following `next`."""
    seen: list[int] = []
    response = client.get(url, params)
    while True:
        assert response.status_code == 200
        seen += ids(response)
        following = response.json()["next"]
        if following is None:
            return seen
        response = client.get(following)


LISTS: list[tuple[str, Callable[[], Any]]] = [
    (CUSTOMERS, CustomerFactory.create),
    (COMPANIES, CompanyFactory.create),
    ("/api/v1/touchpoints/", TouchpointFactory.create),
    ("/api/v1/interactions/", InteractionFactory.create),
    ("/api/v1/surveys/", SurveyFactory.create),
    ("/api/v1/invitations/", InvitationFactory.create),
    ("/api/v1/responses/", SurveyResponseFactory.create),
    ("/api/v1/cases/", CaseFactory.create),
    ("/api/v1/root-causes/", RootCauseFactory.create),
]


@pytest.mark.parametrize(("url", "make"), LISTS)
def test_a_list_page_of_50_runs_the_queries_of_a_page_of_5(
    manager, url, make, django_assert_max_num_queries, django_assert_num_queries
):
    rows = [make() for _ in range(7)]
    # Root causes come with a seeded taxonomy: count what is there.
    total = type(rows[0])._default_manager.count()
    client = bearer(manager)
    client.get(url, {"page_size": "5"})  # warms the content types' cache
    with django_assert_max_num_queries(10) as small:
        five = client.get(url, {"page_size": "5", "ordering": "-updated_at"})

    with django_assert_num_queries(len(small.captured_queries)):
        fifty = client.get(url, {"page_size": "50", "ordering": "-updated_at"})

    assert (len(ids(five)), len(ids(fifty))) == (5, total)


def test_the_webhook_list_runs_the_same_queries_for_5_rows_as_for_50(
    manager, django_assert_max_num_queries, django_assert_num_queries
):
    SubscriptionFactory.create_batch(7, owner=manager)
    client = bearer(manager)
    client.get("/api/v1/webhooks/", {"page_size": 5})
    with django_assert_max_num_queries(10) as small:
        client.get("/api/v1/webhooks/", {"page_size": 5})

    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get("/api/v1/webhooks/", {"page_size": 50})

    assert len(ids(response)) == 7


def test_ordering_by_update_time_breaks_ties_by_id_and_pages_never_skip_a_row(
    support, clock
):
    clock.move_to(NOW, tick=False)
    # Five customers updated at the very same instant, two later.
    tied = [CustomerFactory.create().id for _ in range(5)]
    clock.move_to(datetime(2025, 2, 1, tzinfo=UTC), tick=False)
    later = [CustomerFactory.create().id for _ in range(2)]
    client = bearer(support)

    descending = walk(client, CUSTOMERS, {"ordering": "-updated_at", "page_size": 2})
    ascending = walk(client, CUSTOMERS, {"ordering": "updated_at", "page_size": 2})

    assert descending == sorted(later, reverse=True) + sorted(tied, reverse=True)
    assert ascending == sorted(tied) + sorted(later)


def test_an_unknown_ordering_field_is_ignored_and_the_order_stays_by_id(support):
    customers = [CustomerFactory.create(name=name).id for name in ("b", "a", "c")]

    response = bearer(support).get(CUSTOMERS, {"ordering": "name"})

    assert response.status_code == 200
    assert ids(response) == customers


def test_descending_id_is_the_newest_first(support):
    customers = [CustomerFactory.create().id for _ in range(3)]

    response = bearer(support).get(CUSTOMERS, {"ordering": "-id"})

    assert ids(response) == customers[::-1]


def test_a_forged_cursor_for_a_time_ordering_is_a_404(support):
    forged = base64.b64encode(b"p=not-a-time").decode()

    response = bearer(support).get(
        CUSTOMERS, {"ordering": "-updated_at", "cursor": forged}
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}


def test_customers_are_searched_by_name_email_and_exact_external_id(support):
    ada = CustomerFactory.create(name="Ada Lovelace", email="ada@example.com")
    grace = CustomerFactory.create(name="Grace Hopper", email="g@navy.example")
    crm = CustomerFactory.create(name="Other", external_id="CRM-7")
    CustomerFactory.create(name="Other", external_id="CRM-77")
    client = bearer(support)

    assert ids(client.get(CUSTOMERS, {"search": "lovel"})) == [ada.id]
    assert ids(client.get(CUSTOMERS, {"search": "navy.ex"})) == [grace.id]
    assert ids(client.get(CUSTOMERS, {"search": "CRM-7"})) == [crm.id]
    assert ids(client.get(CUSTOMERS, {"search": "ada example"})) == [ada.id]


def test_cases_are_searched_by_their_customers_email(support):
    case = CaseFactory.create(customer=CustomerFactory.create(email="mo@shop.example"))
    CaseFactory.create()

    response = bearer(support).get("/api/v1/cases/", {"search": "mo@shop"})

    assert ids(response) == [case.id]


def test_a_search_with_a_nul_is_a_400_naming_the_parameter(support):
    response = bearer(support).get(CUSTOMERS, {"search": "a\x00b"})

    assert response.status_code == 400
    assert response.json() == {"search": ["Null characters are not allowed."]}


def test_cases_can_be_synced_incrementally(support, clock):
    clock.move_to(NOW, tick=False)
    CaseFactory.create()
    clock.move_to(datetime(2025, 2, 1, tzinfo=UTC), tick=False)
    recent = CaseFactory.create()

    response = bearer(support).get(
        "/api/v1/cases/", {"updated_since": "2025-02-01T00:00:00Z"}
    )

    assert ids(response) == [recent.id]


def upsert_url(kind: str, external_id: str) -> str:
    return f"/api/v1/{kind}/external/{external_id}/"


def test_a_put_to_a_new_external_id_creates_the_customer(manager):
    response = bearer(manager).put(
        upsert_url("customers", "shop-1"),
        {"name": "Ada", "email": "ada@example.com"},
        format="json",
    )

    assert response.status_code == 201
    customer = Customer.objects.get()
    assert (customer.external_id, customer.name, customer.email) == (
        "shop-1",
        "Ada",
        "ada@example.com",
    )
    assert response.json()["id"] == customer.id


def test_a_put_to_a_known_external_id_updates_the_customer(manager):
    customer = CustomerFactory.create(external_id="shop-1", name="Old", segment="x")

    response = bearer(manager).put(
        upsert_url("customers", "shop-1"), {"name": "New"}, format="json"
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    # As a PUT by id: the fields sent are written, the others kept.
    assert (customer.name, customer.segment) == ("New", "x")
    assert Customer.objects.count() == 1


def test_a_company_is_upserted_by_its_external_id(manager):
    client = bearer(manager)

    created = client.put(upsert_url("companies", "c-9"), {"name": "Acme"}, "json")
    updated = client.put(upsert_url("companies", "c-9"), {"name": "Acme Ltd"}, "json")

    assert (created.status_code, updated.status_code) == (201, 200)
    assert list(Company.objects.values_list("external_id", "name")) == [
        ("c-9", "Acme Ltd")
    ]


def test_an_upsert_body_naming_another_external_id_is_refused(manager):
    response = bearer(manager).put(
        upsert_url("customers", "shop-1"),
        {"name": "Ada", "external_id": "shop-2"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "external_id": ["Differs from the external id in the URL."]
    }
    assert not Customer.objects.exists()


def test_an_upsert_is_validated_like_a_post(manager):
    CustomerFactory.create(email="taken@example.com")

    response = bearer(manager).put(
        upsert_url("customers", "shop-1"),
        {"name": "Ada", "email": "TAKEN@example.com"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"email": ["A customer with this email already exists."]}
    assert not Customer.objects.filter(external_id="shop-1").exists()


@pytest.mark.parametrize(
    ("external_id", "error"),
    [
        ("a%00b", "Null characters are not allowed."),
        ("x" * 101, "Ensure this field has no more than 100 characters."),
    ],
)
def test_an_invalid_external_id_in_the_url_is_a_400(manager, external_id, error):
    response = bearer(manager).put(
        upsert_url("customers", external_id), {"name": "Ada"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"external_id": [error]}
    assert not Customer.objects.exists()


def test_creating_by_upsert_takes_the_right_to_add(db):
    user = UserFactory.create(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_customer", "change_customer"])
    )
    existing = CustomerFactory.create(external_id="known", name="Old")
    client = bearer(user)

    refused = client.put(upsert_url("customers", "new"), {"name": "Ada"}, "json")
    allowed = client.put(upsert_url("customers", "known"), {"name": "New"}, "json")

    assert (refused.status_code, allowed.status_code) == (403, 200)
    assert list(Customer.objects.values_list("id", "name")) == [(existing.id, "New")]


def test_an_upsert_that_loses_the_race_to_create_updates_instead(manager, monkeypatch):
    real_create = services.create_customer

    def create_after_a_rival(**fields: Any) -> Customer:
        # Another request creates the same external id between our look-up
        # and our insert; the unique constraint refuses ours.
        CustomerFactory.create(external_id=fields["external_id"], name="Rival")
        return real_create(**fields)

    monkeypatch.setattr(services, "create_customer", create_after_a_rival)

    response = bearer(manager).put(
        upsert_url("customers", "shop-1"), {"name": "Ours"}, format="json"
    )

    assert response.status_code == 200
    assert list(Customer.objects.values_list("external_id", "name")) == [
        ("shop-1", "Ours")
    ]


def test_options_on_an_upsert_url_describe_the_put(manager):
    CustomerFactory.create(external_id="shop-1")

    response = bearer(manager).options(upsert_url("customers", "shop-1"))

    assert response.status_code == 200
    assert "name" in response.json()["actions"]["PUT"]


@pytest.fixture(scope="module")
def schema_document(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        document: dict[str, Any] = SchemaGenerator().get_schema(public=True)
    # Through JSON: lazy strings and tuples become plain JSON values.
    loaded: dict[str, Any] = json.loads(json.dumps(document, cls=JSONEncoder))
    return loaded


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_operation_documents_its_error_answers(schema_document):
    for path, method, operation in operations(schema_document):
        codes = set(operation["responses"])
        assert {"401", "403", "406", "429"} <= codes, (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= codes, (method, path)
        if "{id}" in path:
            assert "404" in codes, (method, path)
        retry_after = operation["responses"]["429"]["headers"]["Retry-After"]
        assert retry_after["schema"] == {"type": "integer"}
    post = schema_document["paths"][CUSTOMERS]["post"]
    assert post["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationError"
    }
    assert post["responses"]["409"]["description"].startswith("The Idempotency-Key")
    send = schema_document["paths"]["/api/v1/surveys/{id}/send/"]["post"]
    assert "202" in send["responses"]


def test_every_operation_takes_a_bearer_token(schema_document):
    schemes = schema_document["components"]["securitySchemes"]

    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    for path, method, operation in operations(schema_document):
        assert {"bearerAuth": []} in operation["security"], (method, path)


def test_every_list_documents_its_filters_search_and_ordering(schema_document):
    parameters = {
        parameter["name"]: parameter
        for parameter in schema_document["paths"][CUSTOMERS]["get"]["parameters"]
    }

    assert set(parameters) == {
        "company",
        "cursor",
        "email",
        "external_id",
        "ordering",
        "page_size",
        "search",
        "updated_since",
    }
    assert parameters["ordering"]["schema"]["enum"] == [
        "id",
        "-id",
        "updated_at",
        "-updated_at",
    ]
    assert parameters["search"]["description"] == (
        "Words to search in: name, email, external_id."
    )
    for url, _make in LISTS:
        names = {
            parameter["name"]
            for parameter in schema_document["paths"][url]["get"]["parameters"]
        }
        assert {"cursor", "page_size", "ordering", "search"} <= names, url
        if url != "/api/v1/root-causes/":
            assert "updated_since" in names, url


def test_the_upserts_are_documented(schema_document):
    for kind in ("customers", "companies"):
        put = schema_document["paths"][f"/api/v1/{kind}/external/{{external_id}}/"][
            "put"
        ]
        assert {"200", "201", "400", "403"} <= set(put["responses"])


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    # As Django's test client does: a request must not close the connection
    # that holds the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize(
    ("path", "method"),
    [
        (CUSTOMERS, "GET"),
        ("/api/v1/customers/external/{external_id}/", "PUT"),
        ("/api/v1/cases/", "GET"),
        ("/api/v1/invitations/", "GET"),
        ("/api/v1/responses/", "GET"),
    ],
)
def test_schemathesis_finds_no_server_error_and_no_answer_off_the_schema(
    manager, schema_document, wsgi_app, path, method
):
    CaseFactory.create()
    InvitationFactory.create()
    SurveyResponseFactory.create()
    key = ApiTokenFactory.create(user=manager).key
    schema = schemathesis.openapi.from_dict(schema_document)
    operation = schema[path][method]

    @settings(
        max_examples=15,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        response = case.call(app=wsgi_app, headers={"Authorization": f"Bearer {key}"})
        case.validate_response(
            response, checks=[not_a_server_error, response_schema_conformance]
        )

    check()
