"""The weekly digest's sections from pilots (settings.HOOKS["digest_sections"]):
the KPIs off target at the week's end, and the pilots running (with their
result once ended, or at any time for a sequential analysis).

The digest computes its contents once per week and renders them in each
manager's language: the texts here are lazy, written when the mail is
rendered, from figures computed once.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilots import display
from pilots.models import Analysis, Kpi, Pilot
from pilots.services.kpis import KpiStatus, off_target_kpis
from pilots.services.results import pilot_result
from pilots.statistics.measures import NotEnoughDataError


@dataclass(frozen=True)
class Line:
    text: Any
    link: str = ""


@dataclass(frozen=True)
class Section:
    """A titled list of lines; `empty` is shown when there is none."""

    title: Any
    lines: list[Line] = field(default_factory=list)
    empty: Any = ""


def _lazy(write: Callable[[], str]) -> Any:
    """A text written when it is rendered (in the language active then)."""
    return lazy(write, str)()


def kpi_line(kpi: Kpi, status: KpiStatus) -> str:
    text = _(
        "%(kpi)s: %(value)s %(margin)s, target %(direction)s %(target)s (n = %(n)s)"
    ) % {
        "kpi": kpi.name,
        "value": display.value_text(status.value, kpi.formula),
        "margin": "" if status.margin is None else "±" + display.plain(status.margin),
        "direction": "≥" if kpi.direction == "higher" else "≤",
        "target": display.value_text(status.target, kpi.formula),
        "n": status.n,
    }
    if status.low_sample:
        text += " — " + _("low sample, read with care")
    return text


def pilot_line(pilot: Pilot, phase: str, result: dict[str, Any] | None) -> str:
    text = _("%(pilot)s (%(status)s)") % {
        "pilot": pilot.name,
        "status": display.phase_label(phase),
    }
    if result is not None:
        sentence = display.result_sentence(pilot, result)
        if result["primary"]["interim"]:
            sentence = _("interim — do not decide") + ": " + sentence
        text += ": " + sentence
    return text


def digest_section(
    *, week_start: date, week_end: date, now: datetime | None = None, **kwargs: Any
) -> list[Section] | None:
    """Two sections: the KPIs off target, the pilots running or ended this
    week. None when there is neither a KPI with a target nor a pilot."""
    kpis = off_target_kpis(today=week_end)
    with_target = Kpi.objects.filter(target__isnull=False).exists()
    pilots = list(
        Pilot.objects.select_related("primary_kpi")
        .filter(go_live__lte=week_end, planned_end__gte=week_start - timedelta(1))
        .order_by("planned_end", "id")
    )
    if not with_target and not pilots:
        return None
    sections = [
        Section(
            title=gettext_lazy("KPIs off target"),
            lines=[
                Line(
                    text=_lazy(partial(kpi_line, kpi, status)),
                    link=settings.SITE_URL + reverse("dashboard:index") + "#kpis",
                )
                for kpi, status in kpis
            ],
            empty=gettext_lazy("Every KPI with a target meets it."),
        )
    ]
    if pilots:
        lines = []
        for pilot in pilots:
            phase = pilot.phase_on(week_end)
            result = None
            if phase == "ended" or pilot.analysis == Analysis.SEQUENTIAL:
                try:
                    result = pilot_result(pilot, today=week_end)
                except (NotEnoughDataError, ValidationError):
                    result = None
            lines.append(
                Line(
                    text=_lazy(partial(pilot_line, pilot, phase, result)),
                    link=settings.SITE_URL + reverse("pilots:detail", args=[pilot.pk]),
                )
            )
        sections.append(Section(title=gettext_lazy("Pilots"), lines=lines))
    return sections
