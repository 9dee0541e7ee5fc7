"""/api/v1/customers/{id}/consent/: the customer's consent per purpose and
its history, and recording a grant or a withdrawal."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import ConsentEvent
from surveys.models import Invitation
from tests.api import bearer
from tests.customers.api_helpers import CUSTOMERS, NOW, NOW_TEXT
from tests.factories import CustomerFactory, InvitationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def consent_url(customer) -> str:
    return f"{CUSTOMERS}{customer.pk}/consent/"


def test_a_grant_is_recorded_with_source_api_and_truncated_evidence(manager, settings):
    settings.PRIVACY_POLICY_VERSION = "v3"
    customer = CustomerFactory.create()

    response = bearer(manager).post(
        consent_url(customer),
        {
            "purpose": "marketing",
            "granted": True,
            "ip_address": "203.0.113.77",
            "user_agent": "Mozilla/5.0",
        },
        format="json",
    )

    assert response.status_code == 201
    event = ConsentEvent.objects.get()
    assert response.json() == {
        "id": event.pk,
        "customer": customer.pk,
        "purpose": "marketing",
        "granted": True,
        "source": "api",
        "policy_version": "v3",
        "ip_network": "203.0.113.0/24",
        "user_agent": "Mozilla/5.0",
        "staff_member": manager.pk,
        "created_at": NOW_TEXT,
    }


def test_the_state_and_the_history_are_read_newest_first(support, manager):
    customer = CustomerFactory.create(jurisdiction="CN")
    client = bearer(manager)
    for granted in (True, False):
        client.post(
            consent_url(customer),
            {"purpose": "marketing", "granted": granted},
            format="json",
        )

    response = bearer(support).get(consent_url(customer))

    assert response.status_code == 200
    body = response.json()
    assert body["state"] == [
        {"purpose": "surveys", "granted": True, "is_default": True, "since": None},
        {
            "purpose": "marketing",
            "granted": False,
            "is_default": False,
            "since": NOW_TEXT,
        },
        {"purpose": "profiling", "granted": False, "is_default": True, "since": None},
        {
            "purpose": "cross_border",
            "granted": False,
            "is_default": True,
            "since": None,
        },
    ]
    assert [event["granted"] for event in body["events"]] == [False, True]


def test_withdrawing_survey_consent_through_the_api_cancels_pending_mail(manager):
    invitation = InvitationFactory.create(
        status=Invitation.Status.SCHEDULED, sent_at=None
    )

    response = bearer(manager).post(
        consent_url(invitation.customer),
        {"purpose": "surveys", "granted": False},
        format="json",
    )

    assert response.status_code == 201
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.CANCELLED
    invitation.customer.refresh_from_db()
    assert invitation.customer.email_opted_out_at == NOW


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"granted": True}, "purpose"),
        ({"purpose": "newsletters", "granted": True}, "purpose"),
        ({"purpose": "marketing"}, "granted"),
        ({"purpose": "marketing", "granted": "perhaps"}, "granted"),
        (
            {"purpose": "marketing", "granted": True, "ip_address": "1.2.3"},
            "ip_address",
        ),
        (
            {"purpose": "marketing", "granted": True, "policy_version": "a\nb"},
            "policy_version",
        ),
        ({"purpose": "marketing", "granted": True, "source": "staff"}, "source"),
    ],
)
def test_bad_input_gets_a_400_naming_the_field(manager, body, field):
    customer = CustomerFactory.create()

    response = bearer(manager).post(consent_url(customer), body, format="json")

    assert response.status_code == 400
    assert field in str(response.json())
    assert not ConsentEvent.objects.exists()


def test_support_reads_consent_and_records_it_an_outsider_does_neither(
    support, outsider
):
    customer = CustomerFactory.create()
    body = {"purpose": "marketing", "granted": True}

    assert bearer(support).get(consent_url(customer)).status_code == 200
    assert bearer(outsider).get(consent_url(customer)).status_code == 403
    refused = bearer(outsider).post(consent_url(customer), body, format="json")
    recorded = bearer(support).post(consent_url(customer), body, format="json")

    assert (refused.status_code, recorded.status_code) == (403, 201)
    assert ConsentEvent.objects.count() == 1


def test_an_unknown_customer_is_a_404(manager):
    response = bearer(manager).get(f"{CUSTOMERS}999999/consent/")

    assert response.status_code == 404


def test_reading_consent_takes_the_same_queries_for_a_long_history(manager):
    short = CustomerFactory.create()
    long = CustomerFactory.create()
    client = bearer(manager)
    for granted in (True, False, True, False, True):
        client.post(
            consent_url(long),
            {"purpose": "marketing", "granted": granted},
            format="json",
        )

    with CaptureQueriesContext(connection) as for_short:
        assert client.get(consent_url(short)).status_code == 200
    with CaptureQueriesContext(connection) as for_long:
        assert len(client.get(consent_url(long)).json()["events"]) == 5

    assert len(for_long.captured_queries) == len(for_short.captured_queries)


def test_a_jurisdiction_that_is_no_country_code_is_a_400(manager):
    customer = CustomerFactory.create()

    response = bearer(manager).patch(
        f"{CUSTOMERS}{customer.pk}/", {"jurisdiction": "China"}, format="json"
    )
    accepted = bearer(manager).patch(
        f"{CUSTOMERS}{customer.pk}/", {"jurisdiction": "CN"}, format="json"
    )

    assert response.status_code == 400
    assert "jurisdiction" in response.json()
    assert (accepted.status_code, accepted.json()["jurisdiction"]) == (200, "CN")


def test_consent_for_an_erased_customer_is_a_400(manager):
    customer = CustomerFactory.create(name="", email="", erased_at=NOW)

    response = bearer(manager).post(
        consent_url(customer), {"purpose": "marketing", "granted": True}, format="json"
    )

    assert response.status_code == 400
    assert "erased" in str(response.json())
    assert not ConsentEvent.objects.exists()
