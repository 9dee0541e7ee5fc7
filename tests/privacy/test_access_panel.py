"""Who accessed this customer: the panel on the customer's admin page, for
managers only, and what an erasure does with the access log."""

from datetime import UTC, datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from privacy.access_log import accesses_about, entries_about
from privacy.services.erasure import erase_customer
from tests.api import bearer
from tests.factories import (
    CaseFactory,
    CustomerFactory,
    SurveyResponseFactory,
    UserFactory,
)

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]

PANEL = "Who accessed this customer"


def page(customer: Customer) -> str:
    return f"/admin/customers/customer/{customer.pk}/change/"


@pytest.fixture
def person():
    """A customer with an answer and a case (on another answer)."""
    customer = CustomerFactory.create(name="Ottilie Brackenbury")
    SurveyResponseFactory.create(
        invitation__customer=customer, invitation__interaction__customer=customer
    )
    CaseFactory.create(
        response__invitation__customer=customer,
        response__invitation__interaction__customer=customer,
    )
    return customer


def read_everything_of(person: Customer, user) -> None:
    """The customer, their answer and their case, read through the API."""
    client = bearer(user)
    assert client.get(f"/api/v1/customers/{person.pk}/").status_code == 200
    for answer in person.responses.all():
        assert client.get(f"/api/v1/responses/{answer.pk}/").status_code == 200
    for case in person.cases.all():
        assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200


def test_entries_about_a_customer_hold_the_reads_of_their_answers_and_cases(
    person, support
):
    other = CustomerFactory.create()
    read_everything_of(person, support)
    read_everything_of(other, support)

    reads = accesses_about(person)

    about = {(entry.content_type.model, entry.object_id) for entry in reads}
    assert about == {
        ("customer", person.pk),
        *(("surveyresponse", pk) for pk in person.responses.values_list("pk", flat=1)),
        ("case", person.cases.get().pk),
    }
    assert {entry.actor for entry in reads} == {support}
    # The changes of their rows are about them too.
    assert entries_about(person).exclude(action=LogEntry.Action.ACCESS).exists()


def test_a_manager_sees_who_accessed_the_customer(client, person, manager, support):
    support.first_name, support.last_name = "Sam", "Support"
    support.save()
    read_everything_of(person, support)
    client.force_login(manager)

    response = client.get(page(person))

    html = response.content.decode()
    assert PANEL in html
    assert html.count("Sam Support") == 4  # the customer, two answers, a case
    assert "API" in html
    assert f"case #{person.cases.get().pk}" in html


def test_other_staff_do_not_see_the_panel(client, person, support):
    read_everything_of(
        person, UserFactory.create(username="nosy-nora", groups=["Support"])
    )
    client.force_login(support)

    response = client.get(page(person))

    assert response.status_code == 200
    html = response.content.decode()
    assert PANEL not in html
    assert "nosy-nora" not in html


def test_the_panel_runs_a_constant_number_of_queries(client, person, manager, support):
    client.force_login(manager)
    client.get(page(person))
    with CaptureQueriesContext(connection) as few:
        client.get(page(person))
    for user in UserFactory.create_batch(3, groups=["Support"]):
        read_everything_of(person, user)
    with CaptureQueriesContext(connection) as many:
        response = client.get(page(person))

    assert response.content.decode().count("<tr><td>") == 2 + 3 * 4 + 1
    assert len(many.captured_queries) == len(few.captured_queries)


# Erasure.


def customer_entries(pk: int) -> int:
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Customer), object_id=pk
    ).count()


def test_anonymising_gives_the_access_log_to_the_anonymous_customer(person, support):
    read_everything_of(person, support)
    reads = accesses_about(person).count()
    old = person.pk

    erasure = erase_customer(person)

    assert customer_entries(old) == 0
    assert erasure.tombstone_id is not None
    tombstone = Customer.objects.get(pk=erasure.tombstone_id)
    assert accesses_about(tombstone).count() == reads == 4
    assert erasure.counts["audit_entries_repointed"] == 2  # created, read
    assert {
        entry.object_repr
        for entry in entries_about(tombstone).filter(
            content_type=ContentType.objects.get_for_model(Customer),
            object_id=tombstone.pk,
        )
    } == {f"customer #{tombstone.pk}"}
    # The erasure's own writes are not in the change history.
    assert not LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Customer),
        action=LogEntry.Action.DELETE,
    ).exists()


def test_deleting_takes_the_entries_about_the_person_with_their_rows(person, support):
    read_everything_of(person, support)
    bystander = CustomerFactory.create()
    read_everything_of(bystander, support)
    theirs = set(entries_about(person).values_list("pk", flat=True))
    kept = set(entries_about(bystander).values_list("pk", flat=True))
    old = person.pk

    erasure = erase_customer(person, mode="delete")

    assert customer_entries(old) == 0
    assert erasure.counts["audit_entries_deleted"] == len(theirs) > 4
    assert not LogEntry.objects.filter(pk__in=theirs).exists()
    assert set(entries_about(bystander).values_list("pk", flat=True)) == kept
