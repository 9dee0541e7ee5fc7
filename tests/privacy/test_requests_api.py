"""`/api/v1/privacy-requests/`: recorded, verified, fulfilled (202, then
done), refused or extended; an access request's ZIP served once by its
link, for 72 hours; a request about someone we do not hold answered "no
data held"."""

import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.celery import app
from customers.models import Customer
from privacy.access_log import accesses_about
from privacy.models import ExportArchive, PrivacyRequest
from privacy.services import requests
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/privacy-requests/"


@pytest.fixture(autouse=True)
def tasks_run_in_the_test():
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = False, False


@pytest.fixture
def customer(db):
    return CustomerFactory.create(
        name="Ada Lovelace", email="ada@example.com", language="en"
    )


def record(api, **body):
    response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def verify(api, request_id):
    response = api.post(
        f"{URL}{request_id}/verify/",
        {"how": "Reply from the address on file"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    return response.json()


def fulfil(api, request_id, capture):
    with capture(execute=True):
        response = api.post(f"{URL}{request_id}/fulfil/")
    assert response.status_code == 202, response.json()
    return api.get(f"{URL}{request_id}/").json()


def test_support_records_a_request_due_in_thirty_days(support_api, customer):
    created = record(support_api, kind="access", customer=customer.pk)

    assert created["status"] == "received"
    assert created["customer"] == customer.pk
    stored = PrivacyRequest.objects.get(pk=created["id"])
    assert stored.due_at - stored.received_at == timedelta(days=30)
    assert created["due_at"] == stored.due_at.isoformat().replace("+00:00", "Z")
    assert created["download_url"] is None


def test_an_access_request_gives_a_zip_that_is_served_once(
    support_api, manager_api, customer, client, django_capture_on_commit_callbacks
):
    created = record(support_api, kind="access", customer=customer.pk)
    assert verify(manager_api, created["id"])["status"] == "verified"

    done = fulfil(manager_api, created["id"], django_capture_on_commit_callbacks)

    assert (done["status"], done["outcome"]) == ("done", "exported")
    assert done["completed_at"] is not None
    # One read of the person in the access log, by the export.
    assert [entry.additional_data["via"] for entry in accesses_about(customer)] == [
        "export"
    ]
    link = done["download_url"]
    assert link
    assert "/privacy/download/" in link
    path = link.split("://", 1)[1].split("/", 1)[1]
    first = client.get(f"/{path}")
    assert first.status_code == 200
    assert first["Content-Type"] == "application/zip"
    body = b"".join(first.streaming_content) if first.streaming else first.content
    assert hashlib.sha256(body).hexdigest() == done["delivered_digest"]
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        subject = json.loads(archive.read("subject.json"))
    assert "ada@example.com" in json.dumps(subject)
    # Once: the link is spent, the archive gone, the API shows no link.
    assert client.get(f"/{path}").status_code == 410
    assert not ExportArchive.objects.exists()
    assert manager_api.get(f"{URL}{created['id']}/").json()["download_url"] is None


def test_the_link_is_stored_hashed_and_expires_after_72_hours(
    support_api,
    manager_api,
    customer,
    client,
    clock,
    django_capture_on_commit_callbacks,
):
    created = record(support_api, kind="portability", customer=customer.pk)
    verify(manager_api, created["id"])
    link = fulfil(manager_api, created["id"], django_capture_on_commit_callbacks)[
        "download_url"
    ]
    token = link.rstrip("/").rsplit("/", 1)[1]
    stored = PrivacyRequest.objects.get(pk=created["id"])
    assert token not in {stored.download_nonce, stored.download_token_hash}
    assert stored.download_token_hash == hashlib.sha256(token.encode()).hexdigest()

    clock.shift(timedelta(hours=72, seconds=1))

    assert client.get(f"/privacy/download/{token}/").status_code == 410
    assert manager_api.get(f"{URL}{created['id']}/").json()["download_url"] is None


def test_an_unknown_link_is_a_page_not_a_crash(client):
    response = client.get("/privacy/download/" + "0" * 64 + "/")

    assert response.status_code == 404
    assert b"does not lead to a download" in response.content


def test_someone_we_do_not_hold_is_recorded_and_answered_no_data_held(
    support_api, manager_api, django_capture_on_commit_callbacks
):
    created = record(support_api, kind="access", email="nobody@example.org")

    assert created["customer"] is None
    stored = PrivacyRequest.objects.get(pk=created["id"])
    assert stored.email_digest
    assert "nobody" not in stored.email_digest
    verify(manager_api, created["id"])
    done = fulfil(manager_api, created["id"], django_capture_on_commit_callbacks)
    assert (done["status"], done["outcome"]) == ("done", "no_data_held")
    assert done["download_url"] is None


def test_an_email_we_hold_is_matched_to_its_customer(support_api, customer):
    created = record(support_api, kind="erasure", email="ADA@example.com")

    assert created["customer"] == customer.pk
    assert created["mode"] == "anonymise"


def test_an_erasure_request_erases(
    support_api, manager_api, customer, django_capture_on_commit_callbacks
):
    created = record(support_api, kind="erasure", customer=customer.pk, mode="delete")
    verify(manager_api, created["id"])

    done = fulfil(manager_api, created["id"], django_capture_on_commit_callbacks)

    assert (done["status"], done["outcome"], done["mode"]) == (
        "done",
        "erased",
        "delete",
    )
    assert done["customer"] is None
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_fulfilling_twice_does_it_once(
    support_api, manager_api, customer, django_capture_on_commit_callbacks
):
    created = record(support_api, kind="access", customer=customer.pk)
    verify(manager_api, created["id"])
    done = fulfil(manager_api, created["id"], django_capture_on_commit_callbacks)

    # A task delivered twice (a worker lost after its work committed).
    assert requests.fulfil(created["id"], now=timezone.now()) == "done"
    again = manager_api.post(f"{URL}{created['id']}/fulfil/")

    assert again.status_code == 400
    assert "closed already" in json.dumps(again.json())
    assert ExportArchive.objects.count() == 1
    stored = PrivacyRequest.objects.get(pk=created["id"])
    assert stored.delivered_digest == done["delivered_digest"]


def test_support_staff_do_not_see_the_link_that_would_spend_the_download(
    support_api, manager_api, customer, django_capture_on_commit_callbacks
):
    created = record(support_api, kind="access", customer=customer.pk)
    verify(manager_api, created["id"])
    done = fulfil(manager_api, created["id"], django_capture_on_commit_callbacks)

    assert done["download_url"]
    assert support_api.get(f"{URL}{created['id']}/").json()["download_url"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "access"}, "customer"),
        ({"kind": "access", "customer": 10**9}, "customer"),
        ({"kind": "erasure", "customer": None, "email": "not an email"}, "email"),
        ({"kind": "deletion", "email": "a@example.com"}, "kind"),
        ({"kind": "erasure", "email": "a@example.com", "mode": "shred"}, "mode"),
        ({"kind": "access", "email": "a@example.com", "note": "x"}, "note"),
    ],
)
def test_bad_bodies_are_refused_with_the_field_named(support_api, body, field):
    response = support_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_a_mode_for_anything_but_erasure_is_refused(support_api, customer):
    response = support_api.post(
        URL,
        {"kind": "access", "customer": customer.pk, "mode": "delete"},
        format="json",
    )

    assert response.status_code == 400
    assert "erasure requests only" in json.dumps(response.json())


def test_fulfilling_before_verifying_is_refused(support_api, manager_api, customer):
    created = record(support_api, kind="access", customer=customer.pk)

    response = manager_api.post(f"{URL}{created['id']}/fulfil/")

    assert response.status_code == 400
    assert "Verify the requester" in json.dumps(response.json())


def test_support_staff_may_record_but_not_verify(support_api, customer):
    created = record(support_api, kind="access", customer=customer.pk)

    response = support_api.post(
        f"{URL}{created['id']}/verify/", {"how": "call"}, format="json"
    )

    assert response.status_code == 403
    assert PrivacyRequest.objects.get(pk=created["id"]).status == "received"


def test_a_refusal_needs_a_reason(support_api, manager_api, customer):
    created = record(support_api, kind="objection", customer=customer.pk)
    url = f"{URL}{created['id']}/refuse/"

    assert manager_api.post(url, {"reason": " "}, format="json").status_code == 400
    refused = manager_api.post(
        url, {"reason": "Manifestly unfounded."}, format="json"
    ).json()

    assert (refused["status"], refused["refusal_reason"]) == (
        "refused",
        "Manifestly unfounded.",
    )
    assert manager_api.post(url, {"reason": "Again"}, format="json").status_code == 400


def test_the_deadline_is_extended_once(support_api, manager_api, customer):
    created = record(support_api, kind="access", customer=customer.pk)
    url = f"{URL}{created['id']}/extend/"

    extended = manager_api.post(
        url, {"reason": "Complex request", "days": 60}, format="json"
    )
    assert extended.status_code == 200
    stored = PrivacyRequest.objects.get(pk=created["id"])
    assert stored.extended_due_at == stored.due_at + timedelta(days=60)

    assert (
        manager_api.post(url, {"reason": "More", "days": 5}, format="json").status_code
        == 400
    )
    assert (
        manager_api.post(url, {"reason": "x", "days": 61}, format="json").status_code
        == 400
    )


def test_the_list_runs_a_fixed_number_of_queries(support_api, customer):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert support_api.get(URL).status_code == 200
        return len(captured)

    record(support_api, kind="access", customer=customer.pk)
    few = queries()
    for _ in range(5):
        record(support_api, kind="objection", customer=CustomerFactory.create().pk)
    assert queries() == few
