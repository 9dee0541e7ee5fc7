"""The whole result maps onto the API's `/result/` object, bad input is
refused with a message that says which and why, and the statistics import
no Django."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pilots.statistics.checks import sample_ratio
from pilots.statistics.effects import estimate_effect
from pilots.statistics.measures import NotEnoughDataError, UnitPeriod, UnitPeriods
from pilots.statistics.result import GuardrailInput, assemble_result
from tests.pilots.answers import interval

ROOT = Path(__file__).resolve().parents[2]


def nps_row(unit, group, period, promoters, passives, detractors):
    return UnitPeriod(
        unit,
        group,
        period,
        promoters + passives + detractors,
        float(promoters - detractors),
        float(promoters + detractors),
    )


PANEL = UnitPeriods.from_rows(
    [
        nps_row("t-before", "treated", "before", 40, 30, 30),
        nps_row("t-after", "treated", "after", 50, 30, 20),
        nps_row("c-before", "control", "before", 45, 35, 20),
        nps_row("c-after", "control", "after", 45, 35, 20),
    ]
)


def test_the_result_has_the_api_shape_in_points():
    primary = estimate_effect(PANEL, measure="nps", label="randomised", interim=True)
    guardrail = estimate_effect(PANEL, measure="nps", label="randomised", interim=True)

    result = assemble_result(
        primary,
        guardrails=[GuardrailInput(kpi="csat", effect=guardrail, direction="lower")],
        sample_ratio=sample_ratio(treated=200, control=200, treated_share=0.5),
    ).as_dict()
    body: Any = result["primary"]
    checks: Any = result["checks"]
    guardrails: Any = result["guardrails"]

    json.dumps(result, allow_nan=False)
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
    } <= set(body)
    # NPS 10 → 30 for the treated group, 25 → 25 for the control group.
    assert body["estimate"] == pytest.approx(20.0)
    assert (body["method"], body["label"], body["interim"]) == (
        "difference_in_differences",
        "randomised",
        True,
    )
    assert (body["n_treated"], body["n_control"]) == (200, 200)
    assert [
        (cell["group"], cell["period"], cell["n"], round(cell["value"], 6))
        for cell in body["cells"]
    ] == [
        ("treated", "before", 100, 10.0),
        ("treated", "after", 100, 30.0),
        ("control", "before", 100, 25.0),
        ("control", "after", 100, 25.0),
    ]
    assert set(body["cells"][0]) == {"group", "period", "n", "value", "se"}
    assert guardrails[0]["kpi"] == "csat"
    assert checks["sample_ratio"]["warning"] is False
    assert checks["low_sample"] == []


def test_a_result_without_a_baseline_is_a_difference_of_the_after_cells():
    panel = UnitPeriods.from_rows(
        [
            nps_row("t", "treated", "after", 50, 30, 20),
            nps_row("c", "control", "after", 45, 35, 20),
        ]
    )

    effect = estimate_effect(panel, measure="nps", label="observational", interim=False)

    assert effect.method == "difference"
    assert effect.estimate == pytest.approx(5.0)
    assert [(c.group, c.period) for c in effect.cells] == [
        ("treated", "after"),
        ("control", "after"),
    ]


def test_a_sequential_result_reads_the_confidence_sequence_and_is_wider():
    fixed = estimate_effect(PANEL, measure="nps", label="randomised", interim=True)
    sequential = estimate_effect(
        PANEL, measure="nps", label="randomised", interim=False, planned_se=10.0
    )

    assert sequential.sequential is True
    assert sequential.estimate == fixed.estimate
    sequential_low, sequential_high = interval(sequential)
    fixed_low, fixed_high = interval(fixed)
    assert sequential_low < fixed_low
    assert sequential_high > fixed_high


def test_a_unit_in_both_groups_is_refused():
    with pytest.raises(ValueError, match="'u1' is in both the treated and the control"):
        UnitPeriods.from_rows(
            [
                nps_row("u1", "treated", "before", 1, 0, 0),
                nps_row("u1", "control", "after", 1, 0, 0),
            ]
        )


def test_an_empty_group_is_refused_with_its_name():
    panel = UnitPeriods.from_rows([nps_row("t", "treated", "after", 5, 0, 0)])

    with pytest.raises(NotEnoughDataError, match="control group has no answers"):
        estimate_effect(panel, measure="nps", label="observational", interim=False)


def test_a_baseline_for_only_one_group_is_refused():
    panel = UnitPeriods.from_rows(
        [
            nps_row("t", "treated", "after", 5, 0, 0),
            nps_row("t", "treated", "before", 5, 0, 0),
            nps_row("c", "control", "after", 5, 0, 0),
        ]
    )

    with pytest.raises(
        NotEnoughDataError, match="control group has no answers in the baseline"
    ):
        estimate_effect(panel, measure="nps", label="observational", interim=False)


def test_the_statistics_import_no_django():
    code = (
        "import sys, pilots.statistics.assignment, pilots.statistics.cells,"
        " pilots.statistics.checks, pilots.statistics.effects,"
        " pilots.statistics.matching, pilots.statistics.power,"
        " pilots.statistics.result, pilots.statistics.sequential;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )

    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    assert output == "[]"


def test_no_rows_at_all_are_refused():
    with pytest.raises(NotEnoughDataError, match="Neither group has any answers"):
        UnitPeriods.from_rows([])
