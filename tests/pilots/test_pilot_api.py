"""`/api/v1/pilots/`: a pilot designed before go-live, refused when its
design cannot be measured, with a message saying which field and why."""

from datetime import timedelta

import pytest

from pilots.models import Kpi, Pilot, PilotEvent
from tests.pilots.seeding import today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

URL = "/api/v1/pilots/"


@pytest.fixture
def kpi(db):
    return Kpi.objects.create(name="NPS", formula="nps")


@pytest.fixture
def groups(company_factory):
    return [company_factory.create() for _ in range(4)]


def design(kpi, groups, **changes):
    day = today()
    return {
        "name": "Callback within an hour",
        "hypothesis": "Calling back within an hour lifts NPS by 10 points.",
        "primary_kpi": kpi.pk,
        "guardrail_kpis": [],
        "unit": "company",
        "treatment": [groups[0].pk, groups[1].pk],
        "control": [groups[2].pk, groups[3].pk],
        "baseline_start": str(day - timedelta(days=30)),
        "go_live": str(day + timedelta(days=1)),
        "planned_end": str(day + timedelta(days=60)),
        "min_effect": 10,
        "alpha": 0.05,
        "power": 0.8,
        "analysis": "fixed",
        **changes,
    }


def test_a_manager_creates_a_pilot(manager_api, manager, kpi, groups):
    guardrail = Kpi.objects.create(name="Case rate", formula="case_rate")

    response = manager_api.post(
        URL, design(kpi, groups, guardrail_kpis=[guardrail.pk]), format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["guardrail_kpis"] == [guardrail.pk]
    assert body["treatment"] == [groups[0].pk, groups[1].pk]
    assert body["is_locked"] is False
    assert body["phase"] == "design"
    assert body["created_by"] == manager.pk
    pilot = Pilot.objects.get()
    assert list(pilot.events.values_list("action", flat=True)) == ["created"]


def test_a_null_control_asks_for_a_matched_one(manager_api, kpi, groups):
    response = manager_api.post(URL, design(kpi, groups, control=None), format="json")

    assert response.status_code == 201
    assert response.json()["control"] is None


def day_from_today(days):
    return str(today() + timedelta(days=days))


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ("overlap", "control", "in both the treatment and the control group"),
        ({"treatment": []}, "treatment", "The treatment group is empty"),
        ({"control": []}, "control", "The control group is empty"),
        ({"treatment": [999999]}, "treatment", "No company matches 999999"),
        (
            {"baseline_start": "go_live"},
            "go_live",
            "must come after the baseline",
        ),
        ({"planned_end": -1, "go_live": -10}, "planned_end", "is in the past"),
        ({"planned_end": 1}, "planned_end", "must come after go-live"),
        ({"unit": "planet"}, "unit", "not a valid choice"),
        ({"analysis": "bayesian"}, "analysis", "not a valid choice"),
        ({"alpha": 1.5}, "alpha", "strictly between 0 and 1"),
        ({"power": 0}, "power", "strictly between 0 and 1"),
        ({"min_effect": 0}, "min_effect", "greater than or equal to"),
        ({"primary_kpi": 999999}, "primary_kpi", "does not exist"),
        ({"treated_share": 0.5}, "control", "leave control null"),
    ],
)
def test_bad_designs_are_refused_with_a_reason(
    manager_api, kpi, groups, changes, field, words
):
    if changes == "overlap":
        changes = {"control": [groups[1].pk, groups[2].pk]}
    elif "baseline_start" in changes:
        changes = {"baseline_start": day_from_today(1)}
    elif "planned_end" in changes:
        changes = {name: day_from_today(days) for name, days in changes.items()} | (
            {"baseline_start": day_from_today(-30)} if "go_live" in changes else {}
        )

    response = manager_api.post(URL, design(kpi, groups, **changes), format="json")

    assert response.status_code == 400
    assert words in str(response.json()[field]), response.json()
    assert not Pilot.objects.exists()
    assert not PilotEvent.objects.exists()


def test_the_primary_kpi_is_no_guardrail(manager_api, kpi, groups):
    response = manager_api.post(
        URL, design(kpi, groups, guardrail_kpis=[kpi.pk]), format="json"
    )

    assert response.status_code == 400
    assert "cannot also be a guardrail" in str(response.json()["guardrail_kpis"])


def test_support_staff_read_pilots_but_do_not_write_them(
    support_api, manager_api, kpi, groups
):
    created = manager_api.post(URL, design(kpi, groups), format="json").json()

    assert support_api.get(URL).status_code == 200
    assert support_api.get(f"{URL}{created['id']}/").status_code == 200
    assert support_api.post(URL, design(kpi, groups), format="json").status_code == 403
    patched = support_api.patch(f"{URL}{created['id']}/", {"name": "x"}, format="json")
    assert patched.status_code == 403
    assert Pilot.objects.get().name == "Callback within an hour"


def test_pilots_have_no_delete(manager_api, kpi, groups):
    created = manager_api.post(URL, design(kpi, groups), format="json").json()

    response = manager_api.delete(f"{URL}{created['id']}/")

    assert response.status_code in (403, 405)
    assert Pilot.objects.filter(pk=created["id"]).exists()


def test_a_page_of_pilots_costs_the_same_queries_for_2_as_for_20(
    manager_api,
    kpi,
    groups,
    django_assert_max_num_queries,
    django_assert_num_queries,
):
    guardrail = Kpi.objects.create(name="Case rate", formula="case_rate")
    payload = design(kpi, groups, guardrail_kpis=[guardrail.pk])
    for _ in range(2):
        assert manager_api.post(URL, payload, format="json").status_code == 201
    manager_api.get(URL)  # warms the content types' cache
    with django_assert_max_num_queries(30) as few:
        manager_api.get(URL)
    # Read now: the next request empties the connection's query log.
    queries = len(few.captured_queries)
    for _ in range(18):
        manager_api.post(URL, payload, format="json")

    with django_assert_num_queries(queries):
        response = manager_api.get(URL)

    assert len(response.json()["results"]) == 20
