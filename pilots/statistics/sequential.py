"""An always-valid confidence sequence for a difference in means.

Robbins' normal mixture (Howard, Ramdas, McAuliffe and Sekhon 2021,
"Time-uniform, nonparametric, nonasymptotic confidence sequences", the
normal mixture boundary; the form Eppo uses): for a running estimate with
standard error s, write the information I = 1/s². Then with probability at
least 1 − α, at every look,

    |estimate − true difference| ≤ √((I + ρ) · log((I + ρ) / (ρ α²))) / I,

because the mixture martingale √(ρ/(I + ρ)) · exp(S² / (2(I + ρ))) of the
scaled sum S = (estimate − truth) · I exceeds 1/α with probability at most α
(Ville's inequality). ρ, the mixture's precision, is fixed before go-live so
that the interval is tightest at the planned end (Howard et al.'s choice
ρ = m / (−2 log α + log(1 − 2 log α)) for the information m at the end).

Functions take numpy arrays so that a simulation can look at thousands of
pilots on every day at once.
"""

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray


def mixture_precision(*, planned_se: float, alpha: float) -> float:
    """ρ that makes the sequence tightest when the standard error has fallen
    to `planned_se` (the value the power calculation expects at the end)."""
    planned_information = 1 / planned_se**2
    log_term = -2 * math.log(alpha)
    return planned_information / (log_term + math.log(1 + log_term))


def half_width(
    se: ArrayLike, *, planned_se: float, alpha: float = 0.05
) -> NDArray[np.float64]:
    """The half-width of the confidence sequence at standard error `se`."""
    information = 1 / np.asarray(se, dtype=np.float64) ** 2
    rho = mixture_precision(planned_se=planned_se, alpha=alpha)
    spread = information + rho
    result: NDArray[np.float64] = (
        np.sqrt(spread * np.log(spread / (rho * alpha**2))) / information
    )
    return result


def confidence_sequence(
    estimate: float, se: float, *, planned_se: float, alpha: float = 0.05
) -> tuple[float, float]:
    margin = float(half_width(se, planned_se=planned_se, alpha=alpha))
    return (estimate - margin, estimate + margin)


def always_valid_p_value(
    estimate: float, se: float, *, planned_se: float, alpha: float = 0.05
) -> float:
    """1 / the mixture martingale at zero difference, capped at 1: it falls
    to α or below exactly when the confidence sequence leaves out 0."""
    information = 1 / se**2
    rho = mixture_precision(planned_se=planned_se, alpha=alpha)
    spread = information + rho
    scaled_sum = estimate * information
    log_martingale = 0.5 * math.log(rho / spread) + scaled_sum**2 / (2 * spread)
    return min(1.0, math.exp(-log_martingale))
