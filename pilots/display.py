"""How the pilots' pages, the dashboard's KPI panel and the digest write a
result and a KPI: the result card's sentence, figures with their units, and
the two charts (server-side SVG, as feedback.charts: no script, no inline
style, a plain picture in a screenshot)."""

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from feedback.charts import FONT, GRID_COLOR, LINE_COLOR, TEXT_COLOR
from pilots.models import Formula, Pilot

CONTROL_COLOR = "#c77700"
GO_LIVE_COLOR = "#6b7480"
ON_TARGET_COLOR = "#2e7d32"
OFF_TARGET_COLOR = "#c62828"

PERCENT_FORMULAS = {
    Formula.CSAT,
    Formula.CES,
    Formula.CASE_RATE,
    Formula.REOPEN_RATE,
    Formula.RESPONSE_RATE,
    Formula.RECOVERY_RATE,
}
HOUR_FORMULAS = {Formula.TIME_TO_FIRST_CONTACT, Formula.TIME_TO_CLOSE}


def phase_label(phase: str) -> str:
    return {"design": _("design"), "running": _("running"), "ended": _("ended")}[phase]


def count(value: int) -> str:
    """1,912: thousands separated the same way in both languages."""
    return f"{value:,}"


def signed(value: float) -> str:
    text = f"{value:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text


def plain(value: float) -> str:
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def difference_unit(formula: str) -> str:
    """The unit of a difference of the formula's values."""
    if formula in HOUR_FORMULAS:
        return _("hours")
    if formula in PERCENT_FORMULAS:
        return _("percentage points")
    return _("points")


def value_text(value: float | None, formula: str) -> str:
    """A KPI's value as read: NPS 23.4, CSAT 81.2%, 5.3 h."""
    if value is None:
        return "—"
    if formula in HOUR_FORMULAS:
        return _("%(value)s h") % {"value": plain(value)}
    if formula in PERCENT_FORMULAS:
        return f"{plain(value)}%"
    return plain(value)


def interval_text(effect: dict[str, Any], *, alpha: float) -> str:
    level = round((1 - alpha) * 100)
    low, high = effect.get("ci_low"), effect.get("ci_high")
    if low is None or high is None:
        return _("(%(level)s%% CI unbounded: too few units)") % {"level": level}
    return _("(%(level)s%% CI %(low)s to %(high)s)") % {
        "level": level,
        "low": signed(low),
        "high": signed(high),
    }


def method_text(effect: dict[str, Any], *, matched: bool) -> str:
    did = effect.get("method") == "difference_in_differences"
    if did and matched:
        return _("difference-in-differences against a matched control")
    if did:
        return _("difference-in-differences against the control group")
    if matched:
        return _("difference against a matched control")
    return _("difference against the control group")


def label_text(label: str) -> str:
    return _("randomised") if label == "randomised" else _("observational")


def result_sentence(
    pilot: Pilot, result: dict[str, Any], *, kpi_name: str | None = None
) -> str:
    """ "NPS +8.4 points (95% CI +1.2 to +15.6), difference-in-differences
    against a matched control, n = 1,912 / 1,874, pre-trend OK,
    observational"."""
    primary = result["primary"]
    formula = pilot.primary_kpi.formula
    parts = [
        _("%(kpi)s %(estimate)s %(unit)s %(interval)s")
        % {
            "kpi": kpi_name or pilot.primary_kpi.name,
            "estimate": signed(primary["estimate"]),
            "unit": difference_unit(formula),
            "interval": interval_text(primary, alpha=pilot.alpha),
        },
        method_text(primary, matched=pilot.control is None and not pilot.is_randomised),
        _("n = %(treated)s / %(control)s")
        % {
            "treated": count(primary["n_treated"]),
            "control": count(primary["n_control"]),
        },
    ]
    pre_trend = (result.get("checks") or {}).get("pre_trend")
    if pre_trend and pre_trend.get("p_value") is not None:
        parts.append(
            _("pre-trend warning") if pre_trend.get("warning") else _("pre-trend OK")
        )
    parts.append(label_text(primary["label"]))
    return _(", ").join(parts)


def guardrail_sentence(guardrail: dict[str, Any], *, alpha: float) -> str:
    return _("%(kpi)s %(estimate)s %(interval)s, Holm-adjusted p = %(p)s") % {
        "kpi": guardrail["kpi"],
        "estimate": signed(guardrail["estimate"]),
        "interval": interval_text(guardrail, alpha=alpha),
        "p": f"{guardrail['p_adjusted']:.3f}",
    }


# Charts ---------------------------------------------------------------------


def _c(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _range(values: Sequence[float]) -> tuple[float, float, list[float]]:
    """A rounded axis around the values, with 4–6 ticks."""
    low, high = min(values), max(values)
    if high - low < 1e-9:
        low, high = low - 5, high + 5
    span = high - low
    step = 10 ** math.floor(math.log10(span / 4))
    for factor in (1, 2, 5, 10):
        if span / (step * factor) <= 6:
            step *= factor
            break
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    ticks = []
    tick = low
    while tick <= high + step / 2:
        ticks.append(round(tick, 6))
        tick += step
    return low, high, ticks


def weekly_chart(
    lines: dict[str, Any], *, treated_label: str, control_label: str, title: str
) -> SafeString | None:
    """Both groups' weekly values on one chart, the go-live week marked."""
    weeks: list[dict[str, Any]] = lines["weeks"]
    values = [
        week[group]["value"]
        for week in weeks
        for group in ("treated", "control")
        if week[group]["value"] is not None
    ]
    if not values:
        return None
    width, height = 1100, 280
    left, right, top, bottom = 48, 12, 28, 28
    plot_width, plot_height = width - left - right, height - top - bottom
    low, high, ticks = _range(values)
    step = plot_width / max(len(weeks), 1)

    def x(index: float) -> float:
        return left + (index + 0.5) * step

    def y(value: float) -> float:
        return top + (high - value) / (high - low) * plot_height

    parts: list[str] = [
        format_html(
            '<svg class="chart pilot-chart" viewBox="0 0 {} {}" width="100%" '
            'role="img" xmlns="http://www.w3.org/2000/svg"><title>{}</title>',
            width,
            height,
            title,
        )
    ]
    font = mark_safe(FONT)  # noqa: S308 (a constant)
    for tick in ticks:
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/>'
                '<text x="{}" y="{}" text-anchor="end" fill="{}" {}>{}</text>',
                left,
                width - right,
                _c(y(tick)),
                _c(y(tick)),
                GRID_COLOR,
                left - 6,
                _c(y(tick) + 4),
                TEXT_COLOR,
                font,
                plain(tick).removesuffix(".0"),
            )
        )
    go_live: date = lines["go_live"]
    live_index = next(
        (index for index, week in enumerate(weeks) if week["week"] >= go_live), None
    )
    if live_index is not None:
        gx = x(live_index - 0.5)
        parts.append(
            format_html(
                '<line class="go-live" x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" '
                'stroke-dasharray="5 4" stroke-width="1.5"/>'
                '<text x="{}" y="{}" fill="{}" {}>{}</text>',
                _c(gx),
                _c(gx),
                top - 4,
                height - bottom,
                GO_LIVE_COLOR,
                _c(gx + 4),
                top - 8,
                GO_LIVE_COLOR,
                font,
                _("go-live %(day)s") % {"day": go_live.isoformat()},
            )
        )
    for group, color, label in (
        ("treated", LINE_COLOR, treated_label),
        ("control", CONTROL_COLOR, control_label),
    ):
        points = [
            (index, week[group]["value"], week[group]["n"])
            for index, week in enumerate(weeks)
            if week[group]["value"] is not None
        ]
        if len(points) > 1:
            parts.append(
                format_html(
                    '<polyline class="line-{}" points="{}" fill="none" stroke="{}" '
                    'stroke-width="2"/>',
                    group,
                    " ".join(f"{_c(x(i))},{_c(y(v))}" for i, v, _n in points),
                    color,
                )
            )
        for index, value, n in points:
            parts.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="3.5" fill="#fff" stroke="{}" '
                    'stroke-width="2"><title>{} {}: {} (n = {})</title></circle>',
                    _c(x(index)),
                    _c(y(value)),
                    color,
                    label,
                    weeks[index]["week"].isoformat(),
                    plain(value),
                    n,
                )
            )
    every = max(1, math.ceil(len(weeks) / 12))
    for index, week in enumerate(weeks):
        if index % every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" fill="{}" {}>{}</text>',
                    _c(x(index)),
                    height - 8,
                    TEXT_COLOR,
                    font,
                    week["week"].strftime("%m-%d"),
                )
            )
    for offset, (color, label) in enumerate(
        ((LINE_COLOR, treated_label), (CONTROL_COLOR, control_label))
    ):
        lx = left + 8 + offset * 200
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="12" y2="12" stroke="{}" stroke-width="3"/>'
                '<text x="{}" y="16" fill="{}" {}>{}</text>',
                lx,
                lx + 18,
                color,
                lx + 24,
                TEXT_COLOR,
                font,
                label,
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every part is escaped above)


def sparkline(values: Sequence[float | None], *, on_target: bool | None) -> SafeString:
    """A KPI's small weekly trend: a line, no axis."""
    width, height, pad = 120, 28, 3
    known = [value for value in values if value is not None]
    color = (
        TEXT_COLOR
        if on_target is None
        else ON_TARGET_COLOR
        if on_target
        else OFF_TARGET_COLOR
    )
    if len(known) < 2:
        return format_html(
            '<svg class="sparkline" viewBox="0 0 {} {}" width="{}" height="{}" '
            'xmlns="http://www.w3.org/2000/svg"></svg>',
            width,
            height,
            width,
            height,
        )
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    inner = height - 2 * pad
    points = " ".join(
        f"{_c(pad + index * step)},{_c(pad + (high - value) / span * inner)}"
        for index, value in enumerate(values)
        if value is not None
    )
    return format_html(
        '<svg class="sparkline" viewBox="0 0 {} {}" width="{}" height="{}" '
        'xmlns="http://www.w3.org/2000/svg"><polyline points="{}" fill="none" '
        'stroke="{}" stroke-width="1.5"/></svg>',
        width,
        height,
        width,
        height,
        points,
        color,
    )
