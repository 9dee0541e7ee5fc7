"""Customers Touchloop assigns itself: by hash of the pilot and the
customer, stored once, the same however often it is asked."""

from datetime import timedelta

import pytest

from pilots.models import Kpi, PilotAssignment
from pilots.services.groups import assign_customer, assign_customers
from pilots.services.pilots import create_pilot
from pilots.statistics.assignment import assign
from tests.pilots.seeding import today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def randomised(db):
    kpi = Kpi.objects.create(name="NPS", formula="nps")
    return create_pilot(
        by=None,
        today=today(),
        name="Reminder after two days",
        hypothesis="An earlier reminder lifts the response rate.",
        primary_kpi=kpi,
        unit="customer",
        treatment=[],
        control=None,
        treated_share=0.3,
        go_live=today() + timedelta(days=1),
        planned_end=today() + timedelta(days=60),
        min_effect=5,
    )


def test_a_customer_is_assigned_once_by_hash(randomised, customer_factory):
    customer = customer_factory.create()

    first = assign_customer(randomised, customer.pk)
    second = assign_customer(randomised, customer.pk)

    assert first.pk == second.pk
    assert first.group == assign(randomised.key, customer.pk, treated_share=0.3)
    assert PilotAssignment.objects.filter(customer=customer).count() == 1


def test_assigning_many_keeps_earlier_assignments(randomised, customer_factory):
    people = [customer_factory.create() for _ in range(40)]
    assign_customer(randomised, people[0].pk)

    added = assign_customers(randomised, [person.pk for person in people])

    assert added == 39
    groups = dict(
        PilotAssignment.objects.filter(pilot=randomised).values_list(
            "customer_id", "group"
        )
    )
    assert groups == {
        person.pk: assign(randomised.key, person.pk, treated_share=0.3)
        for person in people
    }
    assert assign_customers(randomised, [person.pk for person in people]) == 0


def test_a_pilot_with_given_groups_assigns_nobody(company_factory, customer_factory):
    kpi = Kpi.objects.create(name="NPS", formula="nps")
    pilot = create_pilot(
        by=None,
        today=today(),
        name="Given groups",
        hypothesis="h",
        primary_kpi=kpi,
        unit="company",
        treatment=[company_factory.create().pk],
        control=[company_factory.create().pk],
        go_live=today() + timedelta(days=1),
        planned_end=today() + timedelta(days=60),
        min_effect=5,
    )

    with pytest.raises(ValueError, match="Only a randomised pilot"):
        assign_customer(pilot, customer_factory.create().pk)
