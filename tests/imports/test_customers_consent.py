"""An optional `survey_consent` column grants or withdraws survey consent,
recorded in the consent history with source "import"; `jurisdiction` is
imported as a country code."""

from datetime import UTC, datetime

import pytest

from customers.models import ConsentEvent, Customer
from imports import services
from surveys.models import Invitation
from tests.factories import CustomerFactory, InvitationFactory
from tests.imports.conftest import csv_bytes

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.now(datetime(2027, 3, 2, 10, tzinfo=UTC)),
]


def import_customers(text: str, *, dry_run: bool = False):
    return services.import_customers(csv_bytes(text), dry_run=dry_run, user=None)


def test_a_withdrawal_in_the_file_is_recorded_and_cancels_pending_mail():
    customer = CustomerFactory.create(email="ada@example.com")
    pending = InvitationFactory.create(
        interaction__customer=customer, status=Invitation.Status.SCHEDULED, sent_at=None
    )

    report = import_customers("email,survey_consent\nada@example.com,withdrawn\n")

    assert report.failed == 0
    event = ConsentEvent.objects.get()
    assert (event.customer_id, event.purpose, event.granted, event.source) == (
        customer.pk,
        "surveys",
        False,
        "import",
    )
    pending.refresh_from_db()
    assert pending.status == Invitation.Status.CANCELLED


def test_a_new_customer_may_arrive_with_consent_and_a_jurisdiction():
    import_customers("name,email,survey_consent,jurisdiction\nLi,li@example.cn,no,cn\n")

    customer = Customer.objects.get()
    assert customer.jurisdiction == "CN"
    assert customer.email_opted_out_at is not None
    assert list(customer.consent_events.values_list("granted", flat=True)) == [False]


def test_the_same_file_twice_records_nothing_the_second_time():
    CustomerFactory.create(email="ada@example.com")
    text = "email,survey_consent\nada@example.com,withdrawn\n"

    import_customers(text)
    import_customers(text)

    assert ConsentEvent.objects.count() == 1


def test_consent_that_is_already_the_default_records_nothing():
    CustomerFactory.create(email="ada@example.com")

    import_customers("email,survey_consent\nada@example.com,yes\n")

    assert not ConsentEvent.objects.exists()


def test_a_dry_run_records_no_consent():
    CustomerFactory.create(email="ada@example.com")

    report = import_customers(
        "email,survey_consent\nada@example.com,withdrawn\n", dry_run=True
    )

    assert report.updated == 1
    assert not ConsentEvent.objects.exists()


def test_an_unreadable_consent_or_jurisdiction_fails_its_row():
    report = import_customers(
        "name,email,survey_consent,jurisdiction\n"
        "Ada,ada@example.com,maybe,\n"
        "Bo,bo@example.com,,China\n"
    )

    assert report.failed == 2
    assert [error.column for error in report.errors] == [
        "survey_consent",
        "jurisdiction",
    ]
    assert not Customer.objects.exists()
    assert not ConsentEvent.objects.exists()
