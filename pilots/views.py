"""The pilots' pages under the dashboard (/dashboard/pilots/), and the parts
pilots add to pages of lower apps through settings.HOOKS: the dashboard's KPI
panel (`dashboard_panel`) and the customer page's pilots (`customer_panel`).

Staff who may view pilots (managers, support) read every page; managers
record the decision once a pilot has ended. Figures come from the services
(pilots.services); this module only gathers them, pilots.display writes
them.
"""

import json
from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from customers.models import Company, Customer, Touchpoint
from feedback.metrics.filters import minimum_sample
from feedback.views.access import page_context
from pilots import display
from pilots.models import (
    Analysis,
    Formula,
    Kpi,
    Pilot,
    PilotAssignment,
    Unit,
)
from pilots.services.kpis import kpi_statuses
from pilots.services.pilots import record_decision
from pilots.services.power import pilot_power
from pilots.services.results import cell_answers, pilot_result, weekly_lines
from pilots.statistics.measures import NotEnoughDataError

View = Callable[..., HttpResponseBase]
GROUPS = ("treated", "control")
PERIODS = ("before", "after")
ANSWERS_PER_PAGE = 50
# A pilot's headline on the list is the result last computed on its page
# (the list would otherwise compute every pilot's result: many queries).
HEADLINE_SECONDS = 24 * 3600


def today() -> date:
    return timezone.localdate(timezone=timezone.get_default_timezone())


def pilot_reader_required(view: View) -> View:
    """Anonymous: to the login. Without the permission to view pilots: a
    page that says why (403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not request.user.has_perm("pilots.view_pilot"):
            context = page_context(request, title=_("Pilots"))
            return render(request, "pilots/forbidden.html", context, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def headline_key(pilot: Pilot, day: date) -> str:
    return (
        f"pilots:headline:{pilot.pk}:{day.isoformat()}:{pilot.updated_at.timestamp()}"
    )


def _context(request: HttpRequest, *, title: str) -> dict[str, Any]:
    context = page_context(request, title=title)
    context["dashboard_url"] = reverse("dashboard:index")
    context["pilots_url"] = reverse("pilots:list")
    return context


@pilot_reader_required
def pilot_list(request: HttpRequest) -> HttpResponse:
    """Every pilot, newest go-live first: a fixed number of queries."""
    day = today()
    pilots = list(
        Pilot.objects.select_related("primary_kpi").order_by("-go_live", "-id")
    )
    cached = cache.get_many([headline_key(pilot, day) for pilot in pilots])
    rows = []
    for pilot in pilots:
        phase = pilot.phase_on(day)
        result = cached.get(headline_key(pilot, day))
        rows.append(
            {
                "pilot": pilot,
                "url": reverse("pilots:detail", args=[pilot.pk]),
                "phase": phase,
                "phase_label": display.phase_label(phase),
                "headline": display.result_sentence(pilot, result) if result else "",
                "interim": bool(result and result["primary"]["interim"]),
            }
        )
    context = _context(request, title=_("Pilots"))
    context["rows"] = rows
    return render(request, "pilots/list.html", context)


# The name shown for a unit listed by id (a segment is its own name).
UNIT_NAMES: dict[str, tuple[Any, str]] = {
    Unit.CUSTOMER: (Customer, "name"),
    Unit.COMPANY: (Company, "name"),
    Unit.STAFF: (User, "username"),
    Unit.TOUCHPOINT: (Touchpoint, "name"),
}


def unit_names(unit: str, values: list[Any]) -> list[str]:
    """The units' names, in the order listed (one query); an id that names
    nothing (a unit deleted since) is shown as its id."""
    if unit not in UNIT_NAMES:
        return [str(value) for value in values]
    model, field = UNIT_NAMES[unit]
    ids = [value for value in values if isinstance(value, int)]
    names = dict(model.objects.filter(pk__in=ids).values_list("pk", field))
    return [names.get(value) or f"#{value}" for value in values]


def _design(pilot: Pilot, *, locked: bool) -> list[dict[str, Any]]:
    def group_text(values: Any, *, matched_if_none: bool) -> str:
        if values is None and matched_if_none:
            return _("matched automatically from the baseline")
        if isinstance(values, dict):
            conditions = values.get("filter") or {}
            return _("%(unit)s where %(conditions)s") % {
                "unit": pilot.get_unit_display(),
                "conditions": ", ".join(
                    f"{name} = {value}" for name, value in sorted(conditions.items())
                ),
            }
        values = list(values or [])
        shown = ", ".join(unit_names(pilot.unit, values[:10]))
        more = len(values) - 10
        return (
            _("%(unit)s %(values)s and %(more)s more")
            % {"unit": pilot.get_unit_display(), "values": shown, "more": more}
            if more > 0
            else _("%(unit)s %(values)s")
            % {"unit": pilot.get_unit_display(), "values": shown}
        )

    if pilot.is_randomised:
        treatment = _("assigned by Touchloop: %(share)s%% treated") % {
            "share": display.plain((pilot.treated_share or 0) * 100)
        }
        control = _("assigned by Touchloop: the rest")
    else:
        treatment = group_text(pilot.treatment, matched_if_none=False)
        control = group_text(pilot.control, matched_if_none=True)
    guardrails = ", ".join(kpi.name for kpi in pilot.guardrail_kpis.all())
    rows = [
        ("hypothesis", _("Hypothesis"), pilot.hypothesis),
        ("primary_kpi", _("Primary KPI"), pilot.primary_kpi.name),
        ("guardrail_kpis", _("Guardrail KPIs"), guardrails or "—"),
        ("unit", _("Unit"), pilot.get_unit_display()),
        ("treatment", _("Treatment group"), treatment),
        ("control", _("Control group"), control),
        (
            "baseline_start",
            _("Baseline"),
            _("%(start)s to %(end)s")
            % {
                "start": pilot.baseline_start,
                "end": pilot.go_live - timedelta(days=1),
            }
            if pilot.baseline_start
            else _("none (the groups are compared after go-live only)"),
        ),
        ("go_live", _("Go-live"), pilot.go_live.isoformat()),
        ("planned_end", _("Planned end"), pilot.planned_end.isoformat()),
        (
            "min_effect",
            _("Minimum effect worth detecting"),
            f"{display.plain(pilot.min_effect)} "
            + display.difference_unit(pilot.primary_kpi.formula),
        ),
        ("alpha", _("α"), f"{pilot.alpha:g}"),
        ("power", _("Power"), f"{pilot.power:g}"),
        ("analysis", _("Analysis"), pilot.get_analysis_display()),
        ("decision_rule", _("Decision rule"), pilot.decision_rule or "—"),
    ]
    variant = getattr(pilot, "variant_setting", "")
    if variant:
        show = getattr(pilot, "get_variant_setting_display", None)
        rows.append(
            (
                "variant_setting",
                _("Variant"),
                f"{show() if show else variant}: "
                + json.dumps(getattr(pilot, "variant_value", None), ensure_ascii=False),
            )
        )
    return [
        {
            "field": field,
            "label": label,
            "value": value,
            "locked": locked and field in Pilot.LOCKED_FIELDS,
        }
        for field, label, value in rows
    ]


def _power(pilot: Pilot, *, day: date) -> dict[str, Any]:
    try:
        power = pilot_power(pilot, today=day)
    except (NotEnoughDataError, ValidationError) as error:
        return {"error": _message(error)}
    suggestion = power.get("suggestion")
    if suggestion:
        suggestion = {
            **suggestion,
            "label": Formula(suggestion["formula"]).label,
            "weeks": display.plain(suggestion["weeks_needed"]),
        }
    weeks = power.get("weeks_needed")
    return {
        **power,
        "n_text": display.count(power["n_per_group"]),
        "weeks_text": display.plain(weeks) if weeks is not None else "—",
        "weeks_available_text": display.plain(power["weeks_available"]),
        "suggestion": suggestion,
    }


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def _checks(result: dict[str, Any]) -> dict[str, Any]:
    checks = result["checks"]
    cells = {
        (cell["group"], cell["period"]): cell for cell in result["primary"]["cells"]
    }
    return {
        "pre_trend": checks.get("pre_trend"),
        "regression_to_mean": checks.get("regression_to_mean"),
        "sample_ratio": checks.get("sample_ratio"),
        "balance": [
            {
                **row,
                "treated_text": display.plain(row["treated_mean"]),
                "control_text": display.plain(row["control_mean"]),
                "smd_text": "∞" if row["smd"] is None else f"{row['smd']:.2f}",
            }
            for row in (checks.get("balance") or [])
        ],
        "low_sample": [
            {
                "group": _group_label(item["group"]),
                "period": _period_label(item["period"]),
                "n": cells.get((item["group"], item["period"]), {}).get("n", 0),
            }
            for item in checks.get("low_sample") or []
        ],
    }


def _group_label(group: str) -> str:
    return _("treatment group") if group == "treated" else _("control group")


def _period_label(period: str) -> str:
    return _("before go-live") if period == "before" else _("after go-live")


@pilot_reader_required
def pilot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = get_object_or_404(Pilot.objects.select_related("primary_kpi"), pk=pk)
    day = today()
    phase = pilot.phase_on(day)
    may_decide = request.user.has_perm("pilots.change_pilot")
    decision_error = ""
    if request.method == "POST":
        if not may_decide:
            context = _context(request, title=pilot.name)
            return render(request, "pilots/forbidden.html", context, status=403)
        decision = request.POST.get("decision", "").strip()
        if phase != "ended":
            decision_error = _(
                "The decision is recorded after the planned end (%(day)s)."
            ) % {"day": pilot.planned_end}
        elif not decision:
            decision_error = _("Write the decision.")
        else:
            record_decision(
                pilot,
                decision=decision,
                by=request.user if isinstance(request.user, User) else None,
            )
            return redirect(reverse("pilots:detail", args=[pilot.pk]) + "#decision")
    context = _context(request, title=pilot.name)
    context.update(
        pilot=pilot,
        phase=phase,
        phase_label=display.phase_label(phase),
        design=_design(pilot, locked=pilot.is_locked(day)),
        locked=pilot.is_locked(day),
        may_decide=may_decide,
        decision_error=decision_error,
        events=pilot.events.select_related("actor").order_by("created_at", "id"),
        minimum=minimum_sample(),
        sequential=pilot.analysis == Analysis.SEQUENTIAL,
    )
    if phase == "design":
        context["power"] = _power(pilot, day=day)
    else:
        try:
            result = pilot_result(pilot, today=day)
        except (NotEnoughDataError, ValidationError) as error:
            context["result_error"] = _message(error)
        else:
            cache.set(
                headline_key(pilot, day),
                {"primary": result["primary"], "checks": result["checks"]},
                HEADLINE_SECONDS,
            )
            context.update(_result_context(pilot, result, day=day))
    status = 400 if decision_error else 200
    return render(request, "pilots/detail.html", context, status=status)


def _result_context(
    pilot: Pilot, result: dict[str, Any], *, day: date
) -> dict[str, Any]:
    primary = result["primary"]
    formula = pilot.primary_kpi.formula
    cells = [
        {
            **cell,
            "group_label": _group_label(cell["group"]),
            "period_label": _period_label(cell["period"]),
            "value_text": display.value_text(cell["value"], formula),
            "se_text": "—" if cell["se"] is None else display.plain(cell["se"]),
            "n_text": display.count(cell["n"]),
            "url": reverse(
                "pilots:answers", args=[pilot.pk, cell["group"], cell["period"]]
            ),
        }
        for cell in primary["cells"]
    ]
    try:
        lines = weekly_lines(pilot, today=day)
    except (NotEnoughDataError, ValidationError):
        chart = None
    else:
        chart = display.weekly_chart(
            lines,
            treated_label=_("Treatment group"),
            control_label=_("Control group"),
            title=_("%(kpi)s per week, both groups") % {"kpi": pilot.primary_kpi.name},
        )
    return {
        "result": result,
        "sentence": display.result_sentence(pilot, result),
        "interim": primary["interim"],
        "cells": cells,
        "guardrails": [
            {
                **guardrail,
                "sentence": display.guardrail_sentence(guardrail, alpha=pilot.alpha),
            }
            for guardrail in result["guardrails"]
        ],
        "checks": _checks(result),
        "chart": chart,
    }


@pilot_reader_required
def pilot_answers(
    request: HttpRequest, pk: int, group: str, period: str
) -> HttpResponse:
    """The rows behind one cell of the result (answers for NPS, CSAT, CES)."""
    pilot = get_object_or_404(Pilot.objects.select_related("primary_kpi"), pk=pk)
    if group not in GROUPS or period not in PERIODS:
        raise Http404(_("No such cell."))
    day = today()
    try:
        rows = cell_answers(pilot, group, period, today=day)
    except (NotEnoughDataError, ValidationError) as error:
        context = _context(request, title=pilot.name)
        context["message"] = _message(error)
        return render(request, "pilots/bad_request.html", context, status=400)
    paginator = Paginator(rows.order_by("-pk"), ANSWERS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    title = _("%(pilot)s: %(group)s, %(period)s") % {
        "pilot": pilot.name,
        "group": _group_label(group),
        "period": _period_label(period),
    }
    context = _context(request, title=title)
    context.update(
        pilot=pilot,
        pilot_url=reverse("pilots:detail", args=[pilot.pk]),
        page_obj=page,
        rows=[_answer_row(row) for row in page.object_list],
        count=paginator.count,
    )
    return render(request, "pilots/answers.html", context)


def _answer_row(row: Any) -> dict[str, Any]:
    meta = row._meta
    try:
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk])
    except NoReverseMatch:
        url = ""
    moment = next(
        (
            getattr(row, name)
            for name in ("answered_at", "created_at", "sent_at", "occurred_at")
            if getattr(row, name, None)
        ),
        None,
    )
    return {
        "row": row,
        "url": url,
        "kind": meta.verbose_name,
        "moment": moment,
        "score": getattr(row, "score", None),
        "customer": getattr(row, "customer", None),
    }


# The parts pilots add to lower apps' pages (settings.HOOKS) ------------------


def kpi_rows(*, day: date) -> list[dict[str, Any]]:
    """Every KPI with its status: a fixed number of queries."""
    kpis = list(Kpi.objects.order_by("name", "id"))
    statuses = kpi_statuses(kpis, today=day)
    rows = []
    for kpi in kpis:
        status = statuses[kpi.pk]
        rows.append(
            {
                "kpi": kpi,
                "status": status,
                "value_text": display.value_text(status.value, kpi.formula),
                "margin_text": ""
                if status.margin is None
                else "±" + display.plain(status.margin),
                "target_text": display.value_text(status.target, kpi.formula)
                if status.target is not None
                else "—",
                "direction_text": "≥" if kpi.direction == "higher" else "≤",
                "trend": display.sparkline(
                    [point.value for point in status.trend],
                    on_target=status.on_target,
                ),
            }
        )
    return rows


def dashboard_panel(*, request: HttpRequest, **kwargs: Any) -> SafeString | None:
    """The dashboard's KPI panel: each KPI against its target."""
    if not request.user.has_perm("pilots.view_kpi"):
        return None
    rows = kpi_rows(day=today())
    if not rows:
        return None
    return SafeString(
        render_to_string(
            "pilots/dashboard_panel.html",
            {
                "rows": rows,
                "minimum": minimum_sample(),
                "pilots_url": reverse("pilots:list"),
            },
            request=request,
        )
    )


def customer_panel(*, customer: Any, **kwargs: Any) -> SafeString | None:
    """The pilots a customer is assigned to, on the customer's page."""
    if customer is None or customer.pk is None:
        return None
    assignments = list(
        PilotAssignment.objects.filter(customer=customer)
        .select_related("pilot")
        .order_by("-assigned_at", "-id")
    )
    if not assignments:
        return None
    return SafeString(
        render_to_string(
            "pilots/customer_panel.html",
            {
                "assignments": [
                    {
                        "assignment": assignment,
                        "url": reverse("pilots:detail", args=[assignment.pilot_id]),
                    }
                    for assignment in assignments
                ]
            },
        )
    )
