"""`GET /api/v1/pilots/{id}/power/` before go-live and `…/result/`: the
plan from the groups' own last 90 days, against the issue's formula."""

from datetime import timedelta

import pytest
from scipy.stats import norm

from customers.models import Company
from pilots.models import Kpi, Pilot
from tests.factories import SurveyFactory
from tests.pilots.seeding import bulk_answers, companies, customers_of, noon, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

URL = "/api/v1/pilots/"


def seed(kind, groups, *, per_group, scores):
    survey = SurveyFactory.create(kind=kind)
    rows = []
    for members in groups:
        people = [person for company in members for person in customers_of(company, 2)]
        for index in range(per_group):
            rows.append(
                {
                    "customer": people[index % len(people)],
                    "score": scores[index % len(scores)],
                    "answered_at": noon(today() - timedelta(1 + index % 80)),
                }
            )
    bulk_answers(survey, rows)


@pytest.fixture
def pilot(db):
    treated, control = companies(3), companies(3)
    # 45% promoters, 20% detractors: NPS 25, the issue's worked example.
    seed(
        "nps",
        [treated, control],
        per_group=1000,
        scores=[10] * 9 + [7] * 7 + [2] * 4,
    )
    kpi = Kpi.objects.create(name="NPS", formula="nps")
    return Pilot.objects.create(
        name="Callback within an hour",
        hypothesis="h",
        primary_kpi=kpi,
        unit="company",
        treatment=[company.pk for company in treated],
        control=[company.pk for company in control],
        baseline_start=today() - timedelta(days=60),
        go_live=today() + timedelta(days=7),
        planned_end=today() + timedelta(days=7 + 26 * 7),
        min_effect=10,
    )


def test_the_power_follows_the_issues_formula(manager_api, pilot):
    response = manager_api.get(f"{URL}{pilot.pk}/power/")

    assert response.status_code == 200, response.json()
    plan = response.json()
    variance = (0.45 + 0.20 - 0.25**2) * 100**2
    z = norm.ppf(0.975) + norm.ppf(0.8)
    per_group = round(z**2 * 2 * variance / 10**2)
    assert per_group == 922
    assert plan["n_per_group"] == 2 * per_group  # difference-in-differences
    assert plan["variance"] == pytest.approx(variance)
    assert plan["n_treated"] == plan["n_control"] == 1000
    rate = 1000 / (90 / 7)
    assert plan["answers_per_week"]["treated"] == pytest.approx(rate)
    assert plan["weeks_needed"] == pytest.approx(2 * per_group / rate)
    assert plan["weeks_available"] == pytest.approx((26 * 7 + 1) / 7)
    assert plan["ends_too_soon"] is False
    assert plan["suggestion"] is None


def test_a_planned_end_too_soon_suggests_a_kpi_with_more_power(manager_api, pilot):
    Pilot.objects.filter(pk=pilot.pk).update(
        planned_end=pilot.go_live + timedelta(days=30)
    )
    treated = list(Company.objects.filter(pk__in=pilot.treatment))
    control = list(Company.objects.filter(pk__in=pilot.control))
    seed("csat", [treated, control], per_group=6000, scores=[5, 4, 3, 2, 1])

    plan = manager_api.get(f"{URL}{pilot.pk}/power/").json()

    assert plan["ends_too_soon"] is True
    assert plan["suggestion"]["formula"] == "csat"
    assert plan["suggestion"]["weeks_needed"] <= plan["weeks_available"]


def test_power_without_data_says_which_group(manager_api, pilot):
    empty = companies(1)[0]
    Pilot.objects.filter(pk=pilot.pk).update(control=[empty.pk])

    response = manager_api.get(f"{URL}{pilot.pk}/power/")

    assert response.status_code == 409
    assert "The control group has no data" in response.json()["detail"]


def test_no_result_before_go_live(manager_api, support_api, pilot):
    response = manager_api.get(f"{URL}{pilot.pk}/result/")

    assert response.status_code == 409
    assert "goes live on" in response.json()["detail"]
    assert support_api.get(f"{URL}{pilot.pk}/result/").status_code == 409


def test_the_result_endpoint_answers_after_go_live(manager_api, pilot):
    Pilot.objects.filter(pk=pilot.pk).update(
        baseline_start=today() - timedelta(days=80),
        go_live=today() - timedelta(days=40),
    )

    response = manager_api.get(f"{URL}{pilot.pk}/result/")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["primary"]["method"] == "difference_in_differences"
    assert body["primary"]["label"] == "observational"
    assert body["primary"]["interim"] is True
    assert body["primary"]["estimate"] == pytest.approx(0, abs=1e-9)
