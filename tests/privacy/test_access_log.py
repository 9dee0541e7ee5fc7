"""Who looked at whom (issue 17, item 6): the change history of customers,
answers, cases and interactions keeps no personal data, and every read of
them — admin page, API retrieve and list, export — is in the access log,
one entry per list or export with its filters' names and its count."""

import json
from datetime import UTC, datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Channel, Customer, Interaction
from customers.services import log_interaction
from feedback.models import Case
from surveys.models import SurveyResponse
from surveys.services.answers import record_response
from tests.api import bearer
from tests.factories import (
    CaseFactory,
    CustomerFactory,
    InteractionFactory,
    InvitationFactory,
    SurveyResponseFactory,
)

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]

NAME = "Philippa Thistlewood"
EMAIL = "philippa.thistlewood@access.example"
PHONE = "+44 20 7946 0321"
EXTERNAL_ID = "crm-pt-0815"
COMMENT = "the engraver misspelt my grandmother's name"
PERSONAL = [NAME, EMAIL, PHONE, EXTERNAL_ID, COMMENT]


def entries_for(model, **filters) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), **filters
        ).order_by("pk")
    )


def stored_text(entries: list[LogEntry]) -> str:
    """Everything an entry holds as text (what a dump of it would show)."""
    return json.dumps(
        [
            [
                entry.object_pk,
                entry.object_repr,
                entry.changes,
                entry.changes_text,
                entry.additional_data,
                entry.serialized_data,
                entry.remote_addr,
            ]
            for entry in entries
        ]
    )


def accesses() -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(action=LogEntry.Action.ACCESS)
        .select_related("content_type", "actor")
        .order_by("pk")
    )


# The change history.


def test_a_customer_created_through_the_api_is_logged_masked_and_by_id(support):
    created = bearer(support).post(
        "/api/v1/customers/",
        {"name": NAME, "email": EMAIL, "phone": PHONE, "external_id": EXTERNAL_ID},
        format="json",
    )
    assert created.status_code == 201, created.json()

    [entry] = entries_for(Customer, object_id=created.json()["id"])
    assert entry.action == LogEntry.Action.CREATE
    # An API key's user, though the middleware saw no session.
    assert entry.actor == support
    assert entry.object_repr == f"customer #{created.json()['id']}"
    for field in ("name", "email", "phone", "external_id"):
        assert entry.changes[field] == ["[masked]", "[masked]"], field
    # What is not personal is kept as it changed.
    assert entry.changes["language"] == ["None", "en"]
    assert entry.remote_addr is None
    assert [needle for needle in PERSONAL if needle in stored_text([entry])] == []


def test_a_changed_customer_is_logged_with_the_fields_names_not_values():
    customer = CustomerFactory.create(name=NAME, email=EMAIL)
    customer.name, customer.stage = "Philippa T.", "advocacy"
    customer.save()

    created, changed = entries_for(Customer, object_id=customer.pk)
    assert (created.action, changed.action) == (
        LogEntry.Action.CREATE,
        LogEntry.Action.UPDATE,
    )
    assert changed.changes == {
        "name": ["[masked]", "[masked]"],
        "stage": ["usage", "advocacy"],
    }
    assert "Philippa" not in stored_text([created, changed])


def test_an_answer_and_its_case_keep_the_score_and_mask_the_comment():
    customer = CustomerFactory.create(name=NAME, email=EMAIL)
    invitation = InvitationFactory.create(
        customer=customer, interaction__customer=customer
    )
    response = record_response(invitation, score=2, comment=COMMENT).response
    case = Case.objects.get(response=response)
    case.resolution = f"Called {NAME} back"
    case.save()

    [answered] = entries_for(SurveyResponse, object_id=response.pk)
    assert answered.object_repr == f"surveyresponse #{response.pk}"
    assert answered.changes["score"] == ["None", "2"]
    assert answered.changes["comment"] == ["[masked]", "[masked]"]
    assert answered.actor is None  # the customer, on the survey page
    case_entries = entries_for(Case, object_id=case.pk)
    assert case_entries[-1].changes["resolution"] == ["[masked]", "[masked]"]
    logged = [answered, *case_entries]
    assert [needle for needle in PERSONAL if needle in stored_text(logged)] == []


def test_an_interactions_subject_and_notes_are_masked(support):
    customer = CustomerFactory.create(name=NAME)
    interaction = log_interaction(
        customer=customer,
        channel=Channel.PHONE,
        logged_by=support,
        subject=f"{NAME} about the engraving",
        notes=f"Call {PHONE} after six",
    )

    [entry] = entries_for(Interaction, object_id=interaction.pk)
    assert entry.changes["subject"] == ["[masked]", "[masked]"]
    assert entry.changes["notes"] == ["[masked]", "[masked]"]
    assert entry.changes["channel"] == ["None", "phone"]
    assert [needle for needle in PERSONAL if needle in stored_text([entry])] == []


# Reads: a page, a retrieve.


@pytest.mark.parametrize(
    ("page", "make"),
    [
        ("customers_customer", lambda: CustomerFactory.create(name=NAME)),
        ("surveys_surveyresponse", lambda: SurveyResponseFactory.create()),
        ("feedback_case", lambda: CaseFactory.create()),
        ("customers_interaction", lambda: InteractionFactory.create()),
    ],
)
def test_opening_a_change_page_is_one_access_entry(client, manager, page, make):
    row = make()
    client.force_login(manager)

    response = client.get(f"/admin/{page.replace('_', '/', 1)}/{row.pk}/change/")

    assert response.status_code == 200
    [entry] = accesses()
    assert (entry.content_type.model_class(), entry.object_id) == (type(row), row.pk)
    assert entry.actor == manager
    assert entry.additional_data == {"via": "admin"}
    assert entry.object_repr == f"{type(row)._meta.model_name} #{row.pk}"


def test_a_page_not_shown_is_no_access(client, manager):
    client.force_login(manager)

    missing = client.get("/admin/customers/customer/999999/change/")

    assert missing.status_code == 302  # the admin's "does not exist" redirect
    assert accesses() == []


@pytest.mark.parametrize(
    ("endpoint", "make"),
    [
        ("customers", lambda: CustomerFactory.create(name=NAME)),
        ("responses", lambda: SurveyResponseFactory.create()),
        ("cases", lambda: CaseFactory.create()),
    ],
)
def test_an_api_retrieve_is_one_access_entry(manager, endpoint, make):
    row = make()

    response = bearer(manager).get(f"/api/v1/{endpoint}/{row.pk}/")

    assert response.status_code == 200
    [entry] = accesses()
    assert (entry.content_type.model_class(), entry.object_id) == (type(row), row.pk)
    assert entry.actor == manager
    assert entry.additional_data == {"via": "api"}


def test_a_retrieve_refused_is_no_access(outsider):
    customer = CustomerFactory.create()

    response = bearer(outsider).get(f"/api/v1/customers/{customer.pk}/")

    assert response.status_code == 403
    assert accesses() == []


# Reads: lists and exports, one entry each.


def test_an_api_list_is_one_entry_with_its_filters_names_and_count(support):
    CustomerFactory.create(name=NAME, email=EMAIL)
    CustomerFactory.create_batch(3)

    response = bearer(support).get(
        "/api/v1/customers/", {"search": EMAIL, "page_size": "10"}
    )

    assert response.status_code == 200
    assert len(response.json()["results"]) == 1
    [entry] = accesses()
    assert entry.content_type.model_class() is Customer
    assert (entry.object_pk, entry.object_id) == ("", None)
    assert entry.actor == support
    assert entry.additional_data == {
        "via": "api",
        "list": True,
        "filters": ["search"],
        "count": 1,
    }
    # The search's value (an address) is not kept.
    assert EMAIL not in stored_text([entry])


def test_a_list_page_counts_the_rows_it_shows(support):
    CustomerFactory.create_batch(5)

    bearer(support).get("/api/v1/customers/", {"page_size": 2})

    [entry] = accesses()
    assert entry.additional_data["count"] == 2
    assert entry.additional_data["filters"] == []


def test_a_list_with_access_logging_runs_a_constant_number_of_queries(
    support, django_assert_num_queries
):
    client = bearer(support)
    CustomerFactory.create()
    client.get("/api/v1/customers/")  # the content types, cached
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/customers/")
    CustomerFactory.create_batch(9)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get("/api/v1/customers/")

    assert len(response.json()["results"]) == 10
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count() == 3
    assert [e.additional_data["count"] for e in accesses()] == [1, 1, 10]


@pytest.mark.parametrize(
    ("export", "model", "make"),
    [
        ("customers", Customer, lambda: CustomerFactory.create_batch(3)),
        ("responses", SurveyResponse, lambda: SurveyResponseFactory.create_batch(3)),
        ("cases", Case, lambda: CaseFactory.create_batch(3)),
    ],
)
def test_an_api_export_is_one_entry_with_its_count(manager, export, model, make):
    make()

    response = bearer(manager).get(f"/api/v1/exports/{export}/", {"bom": "true"})

    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert len(body.splitlines()) == 4
    [entry] = accesses()
    assert entry.content_type.model_class() is model
    assert entry.actor == manager
    assert entry.additional_data == {
        "via": "export",
        "list": True,
        "filters": [],
        "count": 3,
    }


def test_an_export_keeps_the_names_of_its_filters_not_their_values(manager):
    CustomerFactory.create(email=EMAIL)
    CustomerFactory.create()

    bearer(manager).get("/api/v1/exports/customers/", {"email": EMAIL})

    [entry] = accesses()
    assert entry.additional_data["filters"] == ["email"]
    assert entry.additional_data["count"] == 1
    assert EMAIL not in stored_text([entry])


def test_the_dashboard_answers_csv_is_one_entry_with_its_count(client, manager):
    day = datetime(2026, 11, 16, 12, tzinfo=UTC)
    SurveyResponseFactory.create_batch(2, answered_at=day)
    client.force_login(manager)

    response = client.get(
        "/dashboard/answers.csv", {"from": "2026-11-01", "to": "2026-11-30"}
    )

    assert response.status_code == 200
    [entry] = accesses()
    assert entry.content_type.model_class() is SurveyResponse
    assert entry.additional_data == {
        "via": "export",
        "list": True,
        "filters": ["from", "to"],
        "count": 2,
    }
