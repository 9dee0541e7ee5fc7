"""A matched control when the manager names none: for each treated unit
the nearest untreated units by baseline score, answer volume, segment and
channel mix, and a balance table of standardised mean differences.

Distances are Euclidean on covariates standardised over all units (a
segment is one 0/1 column per segment, a channel one share column per
channel), so no covariate outweighs another by its units. Matching is with
replacement: a close untreated unit may serve several treated ones, and
the control group is the set of units matched at least once.
"""

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

BALANCE_LIMIT = 0.1


@dataclass(frozen=True)
class UnitProfile:
    """A unit's baseline: score (in points), answers, segment and the share
    of its answers per channel."""

    unit: Hashable
    baseline_score: float
    answer_volume: float
    segment: str
    channel_mix: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class BalanceRow:
    """`smd` is None when neither group varies yet their means differ: an
    infinite imbalance, always warned about."""

    covariate: str
    treated_mean: float
    control_mean: float
    smd: float | None
    warning: bool


@dataclass(frozen=True)
class Matching:
    matches: dict[Hashable, list[Hashable]]
    control: list[Hashable]
    balance: list[BalanceRow]

    @property
    def warning(self) -> bool:
        return any(row.warning for row in self.balance)


def covariate_names(profiles: Sequence[UnitProfile]) -> list[str]:
    segments = sorted({profile.segment for profile in profiles})
    channels = sorted({channel for p in profiles for channel in p.channel_mix})
    return [
        "baseline_score",
        "answer_volume",
        *(f"segment:{segment}" for segment in segments),
        *(f"channel:{channel}" for channel in channels),
    ]


def _row(profile: UnitProfile, names: Sequence[str]) -> list[float]:
    values: list[float] = []
    for name in names:
        kind, _, value = name.partition(":")
        if name == "baseline_score":
            values.append(profile.baseline_score)
        elif name == "answer_volume":
            values.append(profile.answer_volume)
        elif kind == "segment":
            values.append(1.0 if profile.segment == value else 0.0)
        else:
            values.append(float(profile.channel_mix.get(value, 0.0)))
    return values


def covariate_matrix(
    profiles: Sequence[UnitProfile], names: Sequence[str]
) -> NDArray[np.float64]:
    return np.array([_row(profile, names) for profile in profiles], dtype=np.float64)


def standardised_mean_difference(
    treated: Sequence[float], control: Sequence[float]
) -> float | None:
    """(mean_T − mean_C) / √((s_T² + s_C²) / 2), sample variances (a group
    of one has none)."""
    treated_array = np.asarray(treated, dtype=np.float64)
    control_array = np.asarray(control, dtype=np.float64)
    difference = float(treated_array.mean() - control_array.mean())
    pooled = (_sample_variance(treated_array) + _sample_variance(control_array)) / 2
    if pooled == 0:
        return 0.0 if difference == 0 else None
    return difference / float(np.sqrt(pooled))


def _sample_variance(values: NDArray[np.float64]) -> float:
    return float(values.var(ddof=1)) if values.size > 1 else 0.0


def balance_table(
    treated: Sequence[UnitProfile],
    control: Sequence[UnitProfile],
    *,
    limit: float = BALANCE_LIMIT,
) -> list[BalanceRow]:
    names = covariate_names([*treated, *control])
    treated_matrix = covariate_matrix(treated, names)
    control_matrix = covariate_matrix(control, names)
    rows = []
    for column, name in enumerate(names):
        smd = standardised_mean_difference(
            treated_matrix[:, column].tolist(), control_matrix[:, column].tolist()
        )
        rows.append(
            BalanceRow(
                covariate=name,
                treated_mean=float(treated_matrix[:, column].mean()),
                control_mean=float(control_matrix[:, column].mean()),
                smd=smd,
                warning=smd is None or abs(smd) > limit,
            )
        )
    return rows


def match_controls(
    treated: Sequence[UnitProfile],
    candidates: Sequence[UnitProfile],
    *,
    per_unit: int = 1,
    limit: float = BALANCE_LIMIT,
) -> Matching:
    """The `per_unit` nearest candidates of each treated unit (ties go to
    the earlier candidate) and the balance of the matched control."""
    if not treated or not candidates:
        raise ValueError("Matching needs treated units and untreated candidates.")
    overlap = {p.unit for p in treated} & {p.unit for p in candidates}
    if overlap:
        raise ValueError(
            f"Units {sorted(map(str, overlap))} are both treated and candidates "
            "for the control group; the groups must not overlap."
        )
    names = covariate_names([*treated, *candidates])
    treated_matrix = covariate_matrix(treated, names)
    candidate_matrix = covariate_matrix(candidates, names)
    everyone = np.vstack([treated_matrix, candidate_matrix])
    spread = everyone.std(axis=0)
    # A covariate that never varies cannot tell units apart.
    spread[spread == 0] = 1.0
    scaled_treated = (treated_matrix - everyone.mean(axis=0)) / spread
    scaled_candidates = (candidate_matrix - everyone.mean(axis=0)) / spread
    distances = np.sqrt(
        ((scaled_treated[:, None, :] - scaled_candidates[None, :, :]) ** 2).sum(axis=2)
    )
    nearest = np.argsort(distances, axis=1, kind="stable")[:, :per_unit]
    matches = {
        profile.unit: [candidates[index].unit for index in nearest[row]]
        for row, profile in enumerate(treated)
    }
    chosen = sorted({int(index) for index in nearest.ravel()})
    control = [candidates[index] for index in chosen]
    return Matching(
        matches=matches,
        control=[profile.unit for profile in control],
        balance=balance_table(treated, control, limit=limit),
    )
