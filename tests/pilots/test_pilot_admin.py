"""The KPI and pilot admin pages: lists at a constant cost, the audit trail
read-only under the pilot, a KPI added through the service's checks."""

from datetime import timedelta

import pytest

from pilots.models import Kpi, Pilot, PilotEvent
from tests.factories import UserFactory
from tests.pilots.seeding import today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory.create(is_staff=True, is_superuser=True))
    return client


def make_pilot(kpi, company_factory, number):
    return Pilot.objects.create(
        name=f"Pilot {number}",
        hypothesis="h",
        primary_kpi=kpi,
        unit="company",
        treatment=[company_factory.create().pk],
        control=[company_factory.create().pk],
        go_live=today(),
        planned_end=today() + timedelta(days=30),
        min_effect=5,
    )


def test_the_pilot_list_costs_the_same_for_2_as_for_12_pilots(
    admin_client,
    company_factory,
    django_assert_max_num_queries,
    django_assert_num_queries,
):
    kpi = Kpi.objects.create(name="NPS", formula="nps")
    for number in range(2):
        make_pilot(kpi, company_factory, number)
    admin_client.get("/admin/pilots/pilot/")
    with django_assert_max_num_queries(30) as few:
        assert admin_client.get("/admin/pilots/pilot/").status_code == 200
    queries = len(few.captured_queries)
    for number in range(10):
        make_pilot(kpi, company_factory, number + 2)

    with django_assert_num_queries(queries):
        assert admin_client.get("/admin/pilots/pilot/").status_code == 200


def test_the_audit_trail_shows_under_the_pilot(admin_client, company_factory):
    pilot = make_pilot(
        Kpi.objects.create(name="NPS", formula="nps"), company_factory, 1
    )
    PilotEvent.objects.create(
        pilot=pilot, action="refused_edit", fields=["hypothesis"], message="No."
    )

    page = admin_client.get(f"/admin/pilots/pilot/{pilot.pk}/change/")

    assert page.status_code == 200
    assert "Edit refused" in page.content.decode()


def test_a_kpi_with_filters_matching_nothing_is_refused_in_the_admin(admin_client):
    response = admin_client.post(
        "/admin/pilots/kpi/add/",
        {
            "name": "Enterprise NPS",
            "formula": "nps",
            "filters": '{"segment": "enterprise"}',
            "direction": "higher",
            "review_cadence": "monthly",
        },
    )

    assert response.status_code == 200
    assert "match no answers at all" in response.content.decode()
    assert not Kpi.objects.exists()


def test_a_kpi_is_added_in_the_admin(admin_client):
    response = admin_client.post(
        "/admin/pilots/kpi/add/",
        {
            "name": "NPS",
            "formula": "nps",
            "filters": "{}",
            "target": "30",
            "direction": "higher",
            "review_cadence": "weekly",
        },
    )

    assert response.status_code == 302
    kpi = Kpi.objects.get()
    assert (kpi.name, kpi.target, kpi.review_cadence) == ("NPS", 30, "weekly")
    assert kpi.owner is not None
