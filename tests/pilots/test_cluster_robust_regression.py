"""The cluster-robust difference-in-differences fitted on per-unit-period
sums gives exactly what the regression y ~ treated × after on one row per
answer gives, clustered by unit: against statsmodels' per-answer fit and a
hand-written sandwich estimator."""

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import t as student_t

from pilots.statistics.effects import clustered_difference_in_differences
from tests.pilots.answers import panel_of, repeated_units


def per_answer_design(answers):
    treated = np.array([a.group == "treated" for a in answers], dtype=float)
    after = np.array([a.period == "after" for a in answers], dtype=float)
    design = np.column_stack([np.ones_like(treated), treated, after, treated * after])
    scores = np.array([a.score for a in answers], dtype=float)
    units = np.array([a.unit for a in answers])
    return design, scores, units


def hand_sandwich(design, scores, units):
    """(X'X)⁻¹ (Σ_g X_g'e_g e_g'X_g) (X'X)⁻¹ · G/(G−1) · (N−1)/(N−K)."""
    bread = np.linalg.inv(design.T @ design)
    beta = bread @ design.T @ scores
    residuals = scores - design @ beta
    meat = np.zeros((4, 4))
    clusters = sorted(set(units.tolist()))
    for unit in clusters:
        rows = units == unit
        score = design[rows].T @ residuals[rows]
        meat += np.outer(score, score)
    n, k, g = len(scores), design.shape[1], len(clusters)
    covariance = bread @ meat @ bread * g / (g - 1) * (n - 1) / (n - k)
    return beta[3], np.sqrt(max(covariance[3, 3], 0.0)), g


@settings(deadline=None, max_examples=40)
@given(
    repeated_units(
        unit_counts=st.integers(20, 40), scores=st.sampled_from([1.0, 0.0, -1.0])
    )
)
def test_the_fit_on_unit_sums_equals_the_per_answer_fit_clustered_by_unit(answers):
    design, scores, units = per_answer_design(answers)
    per_answer = sm.OLS(scores, design).fit(
        cov_type="cluster", cov_kwds={"groups": units}
    )

    result = clustered_difference_in_differences(panel_of(answers), measure="nps")

    assert result.estimate == pytest.approx(100 * per_answer.params[3], abs=1e-8)
    per_answer_se = np.sqrt(max(per_answer.cov_params()[3, 3], 0.0))
    assert result.se == pytest.approx(100 * per_answer_se, rel=1e-8, abs=1e-6)
    assert result.inference == "cluster_robust"


@settings(deadline=None, max_examples=40)
@given(
    repeated_units(
        unit_counts=st.integers(20, 30),
        scores=st.floats(0, 100).map(lambda x: round(x, 1)),
    )
)
def test_the_fit_on_unit_sums_equals_a_hand_written_sandwich(answers):
    design, scores, units = per_answer_design(answers)
    estimate, se, clusters = hand_sandwich(design, scores, units)

    result = clustered_difference_in_differences(panel_of(answers), measure="mean")

    critical = student_t.ppf(0.975, clusters - 1)
    assert result.estimate == pytest.approx(estimate, abs=1e-7)
    assert result.se == pytest.approx(se, rel=1e-7, abs=1e-6)
    assert result.ci_low == pytest.approx(estimate - critical * se, abs=1e-6)
    assert result.ci_high == pytest.approx(estimate + critical * se, abs=1e-6)
