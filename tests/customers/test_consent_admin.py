"""The customer page shows the consent history read-only, newest first, and
records a grant or withdrawal given to staff; the consent events' own list
is read-only."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import consent
from customers.models import ConsentEvent
from surveys.models import Invitation
from tests.customers.test_admin import change_form_data
from tests.factories import CustomerFactory, InvitationFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)


def page_url(customer) -> str:
    return reverse("admin:customers_customer_change", args=[customer.pk])


def record(customer, purpose: str, granted: bool, *, at: datetime) -> ConsentEvent:
    return consent.record_consent(
        customer,
        purpose=purpose,
        granted=granted,
        source=consent.Source.API,
        now=at,
        user_agent=f"Agent of {purpose}",
    )


def test_the_customer_page_shows_the_history_newest_first(client, support):
    customer = CustomerFactory.create()
    record(customer, "marketing", True, at=NOW)
    record(customer, "cross_border", True, at=NOW + timedelta(hours=1))
    client.force_login(support)

    page = client.get(page_url(customer))

    assert page.status_code == 200
    text = page.content.decode()
    assert text.index("Agent of cross_border") < text.index("Agent of marketing")
    history = next(
        inline
        for inline in page.context["inline_admin_formsets"]
        if inline.formset.model is ConsentEvent and not inline.has_add_permission
    )
    assert not history.has_change_permission
    assert "Marketing: granted" in text
    assert "Surveys: granted (default)" in text


def test_the_customer_page_takes_the_same_queries_for_a_long_history(client, support):
    short = CustomerFactory.create()
    long = CustomerFactory.create()
    for index in range(12):
        record(long, "marketing", index % 2 == 0, at=NOW + timedelta(minutes=index))
    record(short, "marketing", True, at=NOW)
    client.force_login(support)
    client.get(page_url(short))  # sessions, content types: cached from here

    with CaptureQueriesContext(connection) as for_short:
        assert client.get(page_url(short)).status_code == 200
    with CaptureQueriesContext(connection) as for_long:
        assert client.get(page_url(long)).status_code == 200

    assert len(for_long.captured_queries) == len(for_short.captured_queries)


def test_staff_record_a_withdrawal_from_the_customer_page(client, support):
    customer = CustomerFactory.create()
    pending = InvitationFactory.create(
        interaction__customer=customer,
        status=Invitation.Status.SCHEDULED,
        sent_at=None,
    )
    client.force_login(support)
    data = change_form_data(client.get(page_url(customer)))
    data.update(
        {
            "consent_events-TOTAL_FORMS": 1,
            "consent_events-0-purpose": "surveys",
            "consent_events-0-granted": "0",
        }
    )

    response = client.post(page_url(customer), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    event = ConsentEvent.objects.get()
    assert (event.purpose, event.granted, event.source, event.staff_member) == (
        "surveys",
        False,
        "staff",
        support,
    )
    pending.refresh_from_db()
    assert pending.status == Invitation.Status.CANCELLED


def test_an_untouched_customer_page_records_no_consent(client, support):
    customer = CustomerFactory.create()
    client.force_login(support)
    data = change_form_data(client.get(page_url(customer)))

    response = client.post(page_url(customer), data)

    assert response.status_code == 302
    assert not ConsentEvent.objects.exists()


def test_a_consent_without_a_choice_is_a_form_error(client, support):
    customer = CustomerFactory.create()
    client.force_login(support)
    data = change_form_data(client.get(page_url(customer)))
    data.update(
        {
            "consent_events-TOTAL_FORMS": 1,
            "consent_events-0-purpose": "marketing",
            "consent_events-0-granted": "",
        }
    )

    response = client.post(page_url(customer), data)

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not ConsentEvent.objects.exists()


def test_the_consent_events_list_is_read_only(client, support):
    event = record(CustomerFactory.create(), "marketing", True, at=NOW)
    client.force_login(support)

    listing = client.get(reverse("admin:customers_consentevent_changelist"))
    adding = client.get(reverse("admin:customers_consentevent_add"))
    deleting = client.post(
        reverse("admin:customers_consentevent_delete", args=[event.pk]),
        {"post": "yes"},
    )

    assert listing.status_code == 200
    assert (adding.status_code, deleting.status_code) == (403, 403)
    assert ConsentEvent.objects.filter(pk=event.pk).exists()
