"""`Idempotency-Key` on the API's POSTs: replays, conflicts, failures, expiry,
bad keys, other users, concurrent requests, and the header in the schema."""

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import exceptions
from rest_framework.test import APIClient

from customers.models import Interaction
from feedback.models import CaseEvent
from feedback.services import cases
from idempotency import services
from idempotency.api import IdempotentViewMixin, hash_request
from idempotency.models import IdempotencyKey
from surveys.models import Invitation
from tests.api import authenticated
from tests.factories import (
    CaseFactory,
    CustomerFactory,
    IdempotencyKeyFactory,
    SurveyFactory,
    UserFactory,
)
from tokens.models import ApiToken

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
INTERACTIONS = "/api/v1/interactions/"
KEY = "5f0c6a8e-2a57-4d4b-9a0e-3d1f0d3c7b21"
REUSED = {
    "detail": "This Idempotency-Key was already used for a different request; "
    "use a new key for a new request."
}
IN_PROGRESS = {"detail": "A request with this key is still being processed."}
INVALID = {
    "detail": "The Idempotency-Key header must be 1 to 255 printable ASCII characters."
}

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


@pytest.fixture
def customer(db):
    return CustomerFactory.create()


@pytest.fixture
def survey(db):
    """An NPS survey for every interaction: logging one schedules it."""
    return SurveyFactory.create(name="NPS")


def log_call(client: APIClient, customer, key: str | None = KEY, subject="Refund"):
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(
        INTERACTIONS,
        {"customer": customer.id, "channel": "phone", "subject": subject},
        format="json",
        headers=headers,
    )


def note_url(case) -> str:
    return f"/api/v1/cases/{case.id}/note/"


def notes(case) -> list[str]:
    return list(
        CaseEvent.objects.filter(case=case, kind="note").values_list("note", flat=True)
    )


# Replays


def test_a_replayed_create_returns_the_first_answer_and_creates_nothing(
    support, customer, survey
):
    client = authenticated(support)

    first = log_call(client, customer)
    again = log_call(client, customer)

    assert first.status_code == 201
    assert again.status_code == 201
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"] == "application/json"
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    interaction = Interaction.objects.get()
    assert first.json()["id"] == interaction.id
    assert Invitation.objects.filter(interaction=interaction).count() == 1
    assert Invitation.objects.count() == 1
    record = IdempotencyKey.objects.get()
    assert (record.owner, record.key, record.method, record.path, record.status) == (
        support,
        KEY,
        "POST",
        INTERACTIONS,
        "completed",
    )
    assert (record.response_status, record.response_headers) == (
        201,
        {"Content-Type": "application/json"},
    )


def test_a_replayed_action_returns_the_first_answer_and_adds_one_note(manager):
    case = CaseFactory.create(owner=manager)
    client = authenticated(manager)
    body = {"note": "Left a voicemail."}

    first = client.post(
        note_url(case), body, format="json", headers={"Idempotency-Key": KEY}
    )
    again = client.post(
        note_url(case), body, format="json", headers={"Idempotency-Key": KEY}
    )

    assert first.status_code == 200
    assert again.status_code == 200
    assert again.json() == first.json()
    assert first.json()["id"] == case.id
    assert again["Idempotent-Replayed"] == "true"
    assert notes(case) == ["Left a voicemail."]


def test_a_refusal_is_kept_and_replayed_too(support, customer):
    client = authenticated(support)
    body = {"customer": customer.id, "channel": "fax"}

    first = client.post(
        INTERACTIONS, body, format="json", headers={"Idempotency-Key": KEY}
    )
    again = client.post(
        INTERACTIONS, body, format="json", headers={"Idempotency-Key": KEY}
    )

    assert first.status_code == 400
    assert again.status_code == 400
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Interaction.objects.count() == 0


def test_without_the_header_every_post_runs(support, customer, survey):
    client = authenticated(support)

    first = log_call(client, customer, key=None)
    again = log_call(client, customer, key=None)

    assert (first.status_code, again.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in again
    assert Interaction.objects.count() == 2
    assert IdempotencyKey.objects.count() == 0


# Conflicts


def test_the_same_key_with_another_body_is_a_conflict_and_changes_nothing(
    support, customer, survey
):
    client = authenticated(support)
    first = log_call(client, customer, subject="Refund")

    response = log_call(client, customer, subject="Another refund")

    assert first.status_code == 201
    assert response.status_code == 409
    assert response.json() == REUSED
    assert list(Interaction.objects.values_list("subject", flat=True)) == ["Refund"]
    assert Invitation.objects.count() == 1
    assert IdempotencyKey.objects.get().response_status == 201


def test_the_same_key_on_another_path_or_query_is_a_conflict(manager):
    case = CaseFactory.create(owner=manager)
    other = CaseFactory.create(owner=manager)
    client = authenticated(manager)
    body = {"note": "Called."}
    headers = {"Idempotency-Key": KEY}
    assert (
        client.post(note_url(case), body, format="json", headers=headers).status_code
        == 200
    )

    elsewhere = client.post(note_url(other), body, format="json", headers=headers)
    with_query = client.post(
        note_url(case) + "?x=1", body, format="json", headers=headers
    )

    assert (elsewhere.status_code, with_query.status_code) == (409, 409)
    assert elsewhere.json() == with_query.json() == REUSED
    assert notes(case) == ["Called."]
    assert notes(other) == []


def test_a_key_still_in_progress_is_a_conflict(support, customer, survey):
    client = authenticated(support)
    first = log_call(client, customer)
    IdempotencyKey.objects.update(status="in_progress")

    response = log_call(client, customer)

    assert first.status_code == 201
    assert response.status_code == 409
    assert response.json() == IN_PROGRESS
    assert Interaction.objects.count() == 1


def test_a_claim_left_by_a_dead_worker_is_taken_back_after_the_lease(support, customer):
    IdempotencyKeyFactory.create(
        owner=support,
        key=KEY,
        status="in_progress",
        response_status=None,
        created_at=NOW - services.CLAIM_LEASE,
    )

    response = log_call(authenticated(support), customer)

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Interaction.objects.get().id == response.json()["id"]
    record = IdempotencyKey.objects.get()
    assert (record.status, record.response_status, record.created_at) == (
        "completed",
        201,
        NOW,
    )


# Failures are not kept


@pytest.mark.parametrize(
    "error", [RuntimeError("the database went away"), exceptions.APIException()]
)
def test_a_failed_request_keeps_no_answer_and_its_retry_runs(
    manager, monkeypatch, error
):
    case = CaseFactory.create(owner=manager)
    client = authenticated(manager, raise_request_exception=False)
    body = {"note": "Called back."}
    headers = {"Idempotency-Key": KEY}

    def broken(*args, **kwargs):
        raise error

    with monkeypatch.context() as patch:
        patch.setattr(cases, "add_note", broken)
        failed = client.post(note_url(case), body, format="json", headers=headers)
    assert failed.status_code == 500
    assert IdempotencyKey.objects.count() == 0

    retried = client.post(note_url(case), body, format="json", headers=headers)

    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried
    assert notes(case) == ["Called back."]
    assert IdempotencyKey.objects.get().response_status == 200


# Expiry


def test_a_key_is_replayed_for_a_day(support, customer, survey, clock):
    client = authenticated(support)
    first = log_call(client, customer)
    clock.move_to(NOW + timedelta(hours=24) - timedelta(seconds=1), tick=False)

    again = log_call(client, customer)

    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert Interaction.objects.count() == 1


def test_a_key_older_than_a_day_is_new_again(support, customer, survey, clock):
    client = authenticated(support)
    first = log_call(client, customer)
    later = NOW + timedelta(hours=24)
    clock.move_to(later, tick=False)

    again = log_call(client, customer, subject="Another refund")

    assert (first.status_code, again.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in again
    assert again.json()["id"] != first.json()["id"]
    assert Interaction.objects.count() == 2
    record = IdempotencyKey.objects.get()
    assert (record.created_at, json.loads(bytes(record.response_body))) == (
        later,
        again.json(),
    )


# Bad keys, other methods, other users


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "日本", "tab\there", "del\x7f"])
def test_a_bad_key_is_refused_and_nothing_is_created(support, customer, key):
    response = log_call(authenticated(support), customer, key=key)

    assert response.status_code == 400
    assert response.json() == INVALID
    assert Interaction.objects.count() == 0
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.parametrize("key", ["x" * 255, "a", "order 42/!~"])
def test_any_printable_ascii_key_up_to_255_characters_is_taken(support, customer, key):
    response = log_call(authenticated(support), customer, key=key)

    assert response.status_code == 201
    assert IdempotencyKey.objects.get().key == key


def test_get_and_patch_ignore_the_header(support, customer):
    client = authenticated(support)
    created = log_call(client, customer, key=None).json()
    headers = {"Idempotency-Key": "clé"}

    listed = client.get(INTERACTIONS, headers=headers)
    changed = client.patch(
        f"{INTERACTIONS}{created['id']}/",
        {"subject": "Refund, again"},
        format="json",
        headers=headers,
    )

    assert (listed.status_code, changed.status_code) == (200, 200)
    assert "Idempotent-Replayed" not in listed
    assert Interaction.objects.get().subject == "Refund, again"
    assert IdempotencyKey.objects.count() == 0


def test_a_refused_sign_in_keeps_no_key(customer):
    response = log_call(APIClient(), customer)

    assert response.status_code == 401
    assert IdempotencyKey.objects.count() == 0


def test_keys_are_per_user(support, manager, customer, survey):
    mine = log_call(authenticated(support), customer)
    theirs = log_call(authenticated(manager), customer)

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in theirs
    assert mine.json()["id"] != theirs.json()["id"]
    assert sorted(IdempotencyKey.objects.values_list("owner", flat=True)) == sorted(
        [support.id, manager.id]
    )


# The request's fingerprint


def upload(
    factory: RequestFactory, query: str = "", content: bytes = b"a,b\n" * 1_000_000
):
    return factory.post(
        "/api/v1/imports/" + query,
        {"file": SimpleUploadedFile("big.csv", content), "kind": "customers"},
        headers={"Idempotency-Key": KEY},
    )


def test_a_large_upload_is_hashed_and_still_read_by_the_view(settings, rf):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000_000
    request = upload(rf)

    fingerprint = hash_request(request)

    assert request.POST["kind"] == "customers"
    assert request.FILES["file"].read() == b"a,b\n" * 1_000_000
    assert fingerprint == hash_request(upload(rf))
    assert fingerprint != hash_request(upload(rf, "?dry_run=1"))
    assert fingerprint != hash_request(upload(rf, content=b"a,c\n" * 1_000_000))


# Concurrent requests


# serialized_rollback: the flush after the test must not take the roles and
# root causes that migrations made from the tests that run later.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_requests_with_one_key_create_one_interaction():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    user = UserFactory.create(username="sam-support", groups=["Support"])
    customer = CustomerFactory.create()
    SurveyFactory.create(name="NPS")
    start = threading.Barrier(6)
    responses = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            client = authenticated(user)
            start.wait()
            responses.append(log_call(client, customer))
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    interaction = Interaction.objects.get()
    assert Invitation.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1
    created = [r for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code == 409]
    assert len(created) + len(refused) == 6
    assert len([r for r in created if "Idempotent-Replayed" not in r]) == 1
    assert {r.json()["id"] for r in created} == {interaction.id}
    assert all(r.json() == IN_PROGRESS for r in refused)


# Where the header works and where it is documented


def api_post_views(resolver: URLResolver | None = None, prefix: str = ""):
    """(route, view class) of every URL under /api/ that accepts a POST."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from api_post_views(pattern, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/"):
            view = getattr(pattern.callback, "cls", None)
            actions = getattr(pattern.callback, "actions", None) or {}
            if "post" in actions or (not actions and hasattr(view, "post")):
                yield route, view


def test_every_post_of_the_api_honours_the_header():
    views = dict(api_post_views())

    assert "api/v1/^interactions/$" in views
    assert "api/v1/^cases/(?P<pk>[^/.]+)/note/$" in views
    assert {
        route
        for route, view in views.items()
        if not (isinstance(view, type) and issubclass(view, IdempotentViewMixin))
    } == set()


def test_the_schema_documents_the_header_on_every_post(manager):
    schema = authenticated(manager).get("/api/v1/schema/?format=json").json()

    posts = {
        path: operations["post"]
        for path, operations in schema["paths"].items()
        if "post" in operations
    }
    gets = [
        operations["get"]
        for operations in schema["paths"].values()
        if "get" in operations
    ]
    assert "/api/v1/interactions/" in posts
    assert "/api/v1/cases/{id}/note/" in posts
    for operation in posts.values():
        names = [
            (parameter["in"], parameter["name"])
            for parameter in operation["parameters"]
        ]
        assert ("header", "Idempotency-Key") in names
        assert "409" in operation["responses"]
    for operation in gets:
        get_names = [p["name"] for p in operation.get("parameters", [])]
        assert "Idempotency-Key" not in get_names
    created = posts["/api/v1/interactions/"]["responses"]["201"]
    assert created["headers"]["Idempotent-Replayed"]["schema"] == {
        "type": "string",
        "enum": ["true"],
    }


def test_a_new_api_key_is_never_kept_for_a_replay(manager):
    client = authenticated(manager)

    response = client.post(
        "/api/v1/tokens/",
        {"name": "sync", "scope": "read"},
        format="json",
        headers={"Idempotency-Key": "token-1"},
    )

    assert response.status_code == 400
    assert "shown once" in response.json()["detail"]
    assert IdempotencyKey.objects.count() == 0
    assert ApiToken.objects.count() == 0
