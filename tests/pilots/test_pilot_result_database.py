"""The pilot's result through the database: answers written, summed by
SQL per unit and period, estimated and assembled in the API's shape."""

from datetime import timedelta

import pytest

from pilots.models import Formula, Kpi, Pilot, Unit
from pilots.services.pilots import create_pilot
from pilots.services.results import cell_answers, pilot_result, weekly_lines
from tests.factories import SurveyFactory, UserFactory
from tests.pilots.seeding import (
    bulk_answers,
    companies,
    customers_of,
    noon,
    scores_for,
    today,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

# (promoters, passives, detractors) per 100 answers: the treated group goes
# from NPS 15 to 20 (a drift of −5 and the pilot's +10), the control group
# from 25 to 20 (the drift alone).
BANDS = {
    ("treated", "before"): (40, 35, 25),
    ("treated", "after"): (43, 34, 23),
    ("control", "before"): (45, 35, 20),
    ("control", "after"): (42, 36, 22),
}
WEEKS = 8


def seed_planted_effect(*, per_company: int = 20):
    """20 treated and 20 control companies, each with 100 answers before
    and after go-live, from the same customers; each company has a level of
    its own (±2 promoters) and a change of its own after go-live (±2,
    averaging 0 over every 5 companies), so that the groups move by exactly
    the planted amounts while the units disagree, as real ones do (the same
    change everywhere would give a clustered interval of no width)."""
    day = today()
    go_live = day - timedelta(weeks=WEEKS)
    baseline_start = go_live - timedelta(weeks=WEEKS)
    survey = SurveyFactory.create(kind="nps")
    treated, control = companies(per_company), companies(per_company)
    rows = []
    for group, members in (("treated", treated), ("control", control)):
        for index, company in enumerate(members):
            people = customers_of(company, 5)
            shift = index % 5 - 2
            for period, start in (("before", baseline_start), ("after", go_live)):
                promoters, passives, detractors = BANDS[(group, period)]
                own = shift + (0 if period == "before" else (index * 3) % 5 - 2)
                scores = scores_for(promoters + own, passives, detractors - own)
                for number, score in enumerate(scores):
                    rows.append(
                        {
                            "customer": people[number % 5],
                            "score": score,
                            "answered_at": noon(
                                start + timedelta(number % (WEEKS * 7 - 1))
                            ),
                        }
                    )
    bulk_answers(survey, rows)
    kpi = Kpi.objects.create(name="NPS", formula=Formula.NPS)
    return kpi, treated, control, baseline_start, go_live


def planned_pilot(kpi, treated, control, baseline_start, go_live, **fields):
    return create_pilot(
        by=UserFactory.create(),
        today=baseline_start,
        name="Callback within an hour",
        hypothesis="Calling back within an hour lifts NPS by 10 points.",
        primary_kpi=kpi,
        unit=Unit.COMPANY,
        treatment=[company.pk for company in treated],
        control=None if control is None else [company.pk for company in control],
        baseline_start=baseline_start,
        go_live=go_live,
        planned_end=fields.pop("planned_end", today() + timedelta(days=30)),
        min_effect=10,
        **fields,
    )


def test_the_did_finds_the_planted_10_points_where_before_after_says_5():
    kpi, treated, control, baseline_start, go_live = seed_planted_effect()
    pilot = planned_pilot(kpi, treated, control, baseline_start, go_live)

    result = pilot_result(pilot, today=today())

    primary = result["primary"]
    assert primary["method"] == "difference_in_differences"
    assert primary["label"] == "observational"
    assert primary["inference"] == "cluster_robust"
    assert primary["estimate"] == pytest.approx(10)
    assert primary["ci_low"] < 10 < primary["ci_high"]
    cells = {(cell["group"], cell["period"]): cell for cell in primary["cells"]}
    before_after = (
        cells["treated", "after"]["value"] - cells["treated", "before"]["value"]
    )
    assert before_after == pytest.approx(5)
    assert cells["control", "after"]["value"] - cells["control", "before"][
        "value"
    ] == pytest.approx(-5)
    assert {cell["n"] for cell in primary["cells"]} == {2000}
    assert primary["n_treated"] == primary["n_control"] == 4000


def test_the_result_has_the_issues_shape():
    kpi, treated, control, baseline_start, go_live = seed_planted_effect(per_company=10)
    guardrail = Kpi.objects.create(
        name="CSAT", formula=Formula.CSAT, direction="higher"
    )
    pilot = planned_pilot(kpi, treated, control, baseline_start, go_live)
    pilot.guardrail_kpis.set([guardrail])

    result = pilot_result(pilot, today=today())

    assert set(result) == {"primary", "guardrails", "checks"}
    assert {
        "estimate",
        "ci_low",
        "ci_high",
        "method",
        "label",
        "n_treated",
        "n_control",
        "interim",
        "cells",
    } <= set(result["primary"])
    assert result["primary"]["interim"] is True
    assert [(c["group"], c["period"]) for c in result["primary"]["cells"]] == [
        ("treated", "before"),
        ("treated", "after"),
        ("control", "before"),
        ("control", "after"),
    ]
    assert set(result["primary"]["cells"][0]) == {"group", "period", "n", "value", "se"}
    # The CSAT guardrail has no answers: it is left out, not invented.
    assert result["guardrails"] == []
    checks = result["checks"]
    assert set(checks) == {
        "pre_trend",
        "regression_to_mean",
        "sample_ratio",
        "balance",
        "low_sample",
    }
    assert checks["sample_ratio"] is None
    assert checks["balance"] is None
    assert checks["low_sample"] == []
    # Eight baseline weeks, the same gap every week: no trend.
    assert checks["pre_trend"]["warning"] is False
    assert checks["pre_trend"]["weeks_used"] >= 8
    # The treated companies were below the median before go-live.
    assert checks["regression_to_mean"]["warning"] is True


def test_a_fixed_analysis_is_final_after_the_planned_end():
    kpi, treated, control, baseline_start, go_live = seed_planted_effect(per_company=10)
    pilot = planned_pilot(
        kpi,
        treated,
        control,
        baseline_start,
        go_live,
        planned_end=today() - timedelta(1),
    )

    result = pilot_result(pilot, today=today())

    assert result["primary"]["interim"] is False
    # The day after the planned end counts no more: the same answers.
    assert result["primary"]["n_treated"] == 2000


def test_a_sequential_analysis_is_never_interim_and_wider():
    kpi, treated, control, baseline_start, go_live = seed_planted_effect(per_company=10)
    fixed = planned_pilot(kpi, treated, control, baseline_start, go_live)
    sequential = planned_pilot(
        kpi, treated, control, baseline_start, go_live, analysis="sequential"
    )

    fixed_primary = pilot_result(fixed, today=today())["primary"]
    primary = pilot_result(sequential, today=today())["primary"]

    assert primary["interim"] is False
    assert primary["sequential"] is True
    assert primary["estimate"] == pytest.approx(fixed_primary["estimate"])
    assert primary["ci_high"] - primary["ci_low"] > (
        fixed_primary["ci_high"] - fixed_primary["ci_low"]
    )


def test_a_matched_control_comes_with_a_balance_table_and_stays_observational():
    kpi, treated, _control, baseline_start, go_live = seed_planted_effect(
        per_company=10
    )
    pilot = planned_pilot(kpi, treated, None, baseline_start, go_live)

    result = pilot_result(pilot, today=today())

    assert result["primary"]["label"] == "observational"
    balance = {row["covariate"]: row for row in result["checks"]["balance"]}
    assert {"baseline_score", "answer_volume"} <= set(balance)
    # Every untreated company is a control candidate: the matched ones.
    assert result["primary"]["n_control"] > 0


def test_no_result_before_go_live():
    kpi, treated, control, baseline_start, go_live = seed_planted_effect(per_company=2)
    pilot = planned_pilot(kpi, treated, control, baseline_start, go_live)

    with pytest.raises(ValueError, match="goes live on"):
        pilot_result(pilot, today=go_live - timedelta(1))


def test_weekly_lines_and_cell_answers_follow_the_groups():
    kpi, treated, control, baseline_start, go_live = seed_planted_effect(per_company=2)
    pilot = planned_pilot(kpi, treated, control, baseline_start, go_live)

    lines = weekly_lines(pilot, today=today())
    answers = cell_answers(pilot, "treated", "after", today=today())

    assert lines["go_live"] == go_live
    assert sum(week["treated"]["n"] for week in lines["weeks"]) == 400
    assert sum(week["control"]["n"] for week in lines["weeks"]) == 400
    assert answers.count() == 200
    assert set(answers.values_list("company_id", flat=True)) == {
        company.pk for company in treated
    }


def test_only_a_pilot_touchloop_assigned_is_randomised(customer_factory):
    day = today()
    go_live = day - timedelta(days=14)
    survey = SurveyFactory.create(kind="nps")
    people = [customer_factory.create() for _ in range(60)]
    kpi = Kpi.objects.create(name="NPS", formula=Formula.NPS)
    pilot = create_pilot(
        by=None,
        today=go_live - timedelta(1),
        name="Shorter survey mail",
        hypothesis="A shorter mail gets more promoters.",
        primary_kpi=kpi,
        unit=Unit.CUSTOMER,
        treatment=[person.pk for person in people],
        control=None,
        treated_share=0.5,
        go_live=go_live,
        planned_end=day + timedelta(days=14),
        min_effect=10,
    )
    bulk_answers(
        survey,
        [
            {
                "customer": person,
                "score": 10 - index % 11,
                "answered_at": noon(go_live + timedelta(index % 10)),
            }
            for index, person in enumerate(people)
        ],
    )

    result = pilot_result(pilot, today=day)

    assert isinstance(pilot, Pilot)
    assert pilot.assignments.count() == 60
    assert result["primary"]["label"] == "randomised"
    assert result["primary"]["method"] == "difference"
    ratio = result["checks"]["sample_ratio"]
    assert ratio["treated"] + ratio["control"] == 60
    assert ratio["expected_treated_share"] == 0.5
