"""The whole result of a pilot, in the shape of `GET /api/v1/pilots/{id}/
result/`: the primary effect, the guardrails corrected with Holm's method,
and the checks."""

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from pilots.statistics.checks import (
    PreTrend,
    RegressionToMean,
    SampleRatio,
    holm,
    low_sample_cells,
)
from pilots.statistics.effects import Effect
from pilots.statistics.matching import BalanceRow

Direction = Literal["higher", "lower"]


@dataclass(frozen=True)
class GuardrailInput:
    kpi: str
    effect: Effect
    direction: Direction


@dataclass(frozen=True)
class Guardrail:
    """`harmed` when the Holm-adjusted p-value is at most α and the KPI
    moved the wrong way for its direction."""

    kpi: str
    effect: Effect
    p_adjusted: float
    harmed: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "kpi": self.kpi,
            **self.effect.as_dict(),
            "p_adjusted": self.p_adjusted,
            "harmed": self.harmed,
        }


def correct_guardrails(
    guardrails: Sequence[GuardrailInput], *, alpha: float = 0.05
) -> list[Guardrail]:
    adjusted = holm([guardrail.effect.p_value for guardrail in guardrails])
    result = []
    for guardrail, p_adjusted in zip(guardrails, adjusted, strict=True):
        estimate = guardrail.effect.estimate
        wrong_way = estimate < 0 if guardrail.direction == "higher" else estimate > 0
        result.append(
            Guardrail(
                kpi=guardrail.kpi,
                effect=guardrail.effect,
                p_adjusted=p_adjusted,
                harmed=p_adjusted <= alpha and wrong_way,
            )
        )
    return result


@dataclass(frozen=True)
class Checks:
    """None where a check does not apply: no baseline weeks, no unit
    scores, or an assignment Touchloop did not draw (no sample ratio), a
    control not matched (no balance table)."""

    pre_trend: PreTrend | None
    regression_to_mean: RegressionToMean | None
    sample_ratio: SampleRatio | None
    balance: list[BalanceRow] | None
    low_sample: list[dict[str, str]]


@dataclass(frozen=True)
class PilotResult:
    primary: Effect
    guardrails: list[Guardrail]
    checks: Checks

    def as_dict(self) -> dict[str, object]:
        return {
            "primary": self.primary.as_dict(),
            "guardrails": [guardrail.as_dict() for guardrail in self.guardrails],
            "checks": asdict(self.checks),
        }


def assemble_result(
    primary: Effect,
    *,
    guardrails: Sequence[GuardrailInput] = (),
    pre_trend: PreTrend | None = None,
    regression_to_mean: RegressionToMean | None = None,
    sample_ratio: SampleRatio | None = None,
    balance: list[BalanceRow] | None = None,
    minimum_sample: int = 30,
    alpha: float = 0.05,
) -> PilotResult:
    return PilotResult(
        primary=primary,
        guardrails=correct_guardrails(guardrails, alpha=alpha),
        checks=Checks(
            pre_trend=pre_trend,
            regression_to_mean=regression_to_mean,
            sample_ratio=sample_ratio,
            balance=balance,
            low_sample=low_sample_cells(primary.cells, minimum=minimum_sample),
        ),
    )
