"""`/api/v1/kpis/`: managers define KPIs, support staff read them; bad
definitions are refused with a message saying which field and why."""

from datetime import timedelta

import pytest

from pilots.models import Kpi, Pilot, PilotEvent
from tests.pilots.seeding import today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

URL = "/api/v1/kpis/"


@pytest.fixture
def answered(survey_response_factory):
    return survey_response_factory.create(channel="phone", segment="smb")


def test_a_manager_creates_a_kpi_and_reads_its_value(manager_api, manager, answered):
    response = manager_api.post(
        URL,
        {
            "name": "Phone NPS",
            "formula": "nps",
            "filters": {"channel": "phone", "survey": answered.survey_id},
            "target": 30,
            "direction": "higher",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["filters"] == {"channel": "phone", "survey": answered.survey_id}
    assert body["owner"] == manager.pk
    assert body["review_cadence"] == "monthly"
    assert body["n"] == 1
    assert body["value"] == 100.0
    assert body["on_target"] is True
    assert body["low_sample"] is True
    assert len(body["trend"]) == 13
    assert Kpi.objects.get().name == "Phone NPS"


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"formula": "happiness"}, "formula", "not a valid choice"),
        ({"formula": "nps", "direction": "up"}, "direction", "not a valid choice"),
        ({"formula": "nps", "filters": {"colour": "red"}}, "filters", "Unknown field"),
        (
            {"formula": "nps", "filters": {"stage": "x"}},
            "filters",
            "not a valid choice",
        ),
        (
            {"formula": "case_rate", "filters": {"survey": 1}},
            "filters",
            "cannot be filtered by survey",
        ),
        (
            {"formula": "nps", "filters": {"segment": "enterprise"}},
            "filters",
            "match no answers at all",
        ),
        (
            {"formula": "nps", "filters": {"touchpoint": 999999}},
            "filters",
            "No touchpoint has id 999999",
        ),
        ({"formula": "nps", "target": "NaN"}, "target", "valid number"),
    ],
)
def test_bad_kpis_are_refused_with_a_reason(
    manager_api, answered, payload, field, words
):
    response = manager_api.post(URL, {"name": "KPI", **payload}, format="json")

    assert response.status_code == 400
    assert words in str(response.json()[field])
    assert not Kpi.objects.exists()


def test_a_survey_of_another_kind_is_refused(manager_api, answered):
    response = manager_api.post(
        URL,
        {"name": "CSAT", "formula": "csat", "filters": {"survey": answered.survey_id}},
        format="json",
    )

    assert response.status_code == 400
    assert "asks nps, not csat" in str(response.json()["filters"])


def test_support_staff_read_kpis_but_do_not_write_them(support_api, answered):
    kpi = Kpi.objects.create(name="NPS", formula="nps")

    assert support_api.get(URL).status_code == 200
    assert support_api.get(f"{URL}{kpi.pk}/").status_code == 200
    refused = support_api.post(URL, {"name": "x", "formula": "nps"}, format="json")
    assert refused.status_code == 403
    assert support_api.delete(f"{URL}{kpi.pk}/").status_code == 403
    assert Kpi.objects.count() == 1


@pytest.mark.parametrize(
    ("client", "code"), [("outsider_api", 403), ("anonymous_api", 401)]
)
def test_others_may_not_even_read_them(request, client, code):
    assert request.getfixturevalue(client).get(URL).status_code == code


def test_a_kpi_a_pilot_measures_cannot_be_deleted(manager_api, answered):
    kpi = Kpi.objects.create(name="NPS", formula="nps")
    Pilot.objects.create(
        name="P",
        hypothesis="h",
        primary_kpi=kpi,
        unit="segment",
        treatment=["smb"],
        control=["mid"],
        go_live=today(),
        planned_end=today() + timedelta(1),
        min_effect=5,
    )

    response = manager_api.delete(f"{URL}{kpi.pk}/")

    assert response.status_code == 400
    assert "cannot be deleted" in str(response.json())
    assert Kpi.objects.filter(pk=kpi.pk).exists()


FORMULAS = [
    "nps",
    "csat",
    "ces",
    "case_rate",
    "time_to_first_contact",
    "time_to_close",
    "reopen_rate",
    "response_rate",
    "recovery_rate",
]


def test_a_page_of_kpis_costs_the_same_queries_for_9_as_for_45(
    manager_api,
    answered,
    case_factory,
    django_assert_max_num_queries,
    django_assert_num_queries,
):
    case_factory.create()
    for formula in FORMULAS:
        Kpi.objects.create(name=formula, formula=formula, filters={"segment": "smb"})
    manager_api.get(URL)  # warms the content types' cache
    with django_assert_max_num_queries(40) as few:
        assert manager_api.get(URL).status_code == 200
    # Read now: the next request empties the connection's query log.
    queries = len(few.captured_queries)
    for round_ in range(4):
        for formula in FORMULAS:
            Kpi.objects.create(name=f"{formula} {round_}", formula=formula)

    with django_assert_num_queries(queries):
        response = manager_api.get(URL)

    assert len(response.json()["results"]) == 45


def test_renaming_a_kpi_does_not_check_its_filters_again(manager_api):
    kpi = Kpi.objects.create(
        name="Enterprise", formula="nps", filters={"segment": "enterprise"}
    )

    response = manager_api.patch(
        f"{URL}{kpi.pk}/", {"name": "Enterprise NPS"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert Kpi.objects.get().name == "Enterprise NPS"


def test_what_a_live_pilot_measures_cannot_change(manager_api, manager, answered):
    kpi = Kpi.objects.create(name="NPS", formula="nps")
    pilot = Pilot.objects.create(
        name="P",
        hypothesis="h",
        primary_kpi=kpi,
        unit="segment",
        treatment=["smb"],
        control=["mid"],
        go_live=today(),
        planned_end=today() + timedelta(1),
        min_effect=5,
    )

    response = manager_api.patch(
        f"{URL}{kpi.pk}/", {"filters": {"channel": "phone"}}, format="json"
    )

    assert response.status_code == 400
    assert "formula and filters are locked" in str(response.json()["filters"])
    assert Kpi.objects.get().filters == {}
    refused = PilotEvent.objects.get(pilot=pilot, action="refused_edit")
    assert (refused.actor, refused.fields) == (manager, [f"kpi:{kpi.pk}:filters"])
