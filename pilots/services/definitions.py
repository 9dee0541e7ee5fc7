"""Writing KPIs, from the API and the admin alike: a formula from the fixed
list, filters that apply to it and match something, a direction."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from customers.models import Channel, Stage, Touchpoint
from pilots.models import Cadence, Direction, Formula, Kpi, Pilot, PilotEvent
from pilots.services.kpis import matches_anything
from pilots.services.sources import FILTER_NAMES, source_of
from surveys.models import Survey

ID_FILTERS = ("survey", "touchpoint", "staff")
SURVEY_FORMULAS = (Formula.NPS, Formula.CSAT, Formula.CES)
MAX_ID = 2**63 - 1


def clean_filters(formula: str, filters: Any) -> dict[str, Any]:
    """The filters as stored: known names, values of the right kind naming
    rows that exist, each one applying to the formula; refused otherwise,
    with a message per filter."""
    if filters in (None, ""):
        return {}
    if not isinstance(filters, dict):
        raise ValidationError({"filters": _("Filters must be an object.")})
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    source = source_of(formula)
    for name, value in filters.items():
        if name not in FILTER_NAMES:
            errors[str(name)] = _("Unknown filter; use %(names)s.") % {
                "names": ", ".join(FILTER_NAMES)
            }
            continue
        if value in (None, ""):
            continue
        if name not in source.filters:
            errors[name] = _("The %(formula)s KPI cannot be filtered by %(name)s.") % {
                "formula": formula,
                "name": name,
            }
            continue
        message = _filter_error(name, value, formula)
        if message:
            errors[name] = message
        else:
            cleaned[name] = value
    if errors:
        raise ValidationError(
            {"filters": [f"{name}: {text}" for name, text in errors.items()]}
        )
    return cleaned


def _filter_error(name: str, value: Any, formula: str) -> str | None:
    if name in ID_FILTERS:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 0 < value <= MAX_ID
        ):
            return _("Give an id (a positive integer).")
        model: Any = {"survey": Survey, "touchpoint": Touchpoint}.get(
            name, get_user_model()
        )
        row = model._default_manager.filter(pk=value).first()
        if row is None:
            return _("No %(name)s has id %(id)s.") % {"name": name, "id": value}
        if name == "survey" and formula in SURVEY_FORMULAS and row.kind != formula:
            return _("Survey %(id)s asks %(kind)s, not %(formula)s.") % {
                "id": value,
                "kind": row.kind,
                "formula": formula,
            }
        return None
    choices = {"stage": Stage.values, "channel": Channel.values}.get(name)
    if not isinstance(value, str) or len(value) > 50:
        return _("Give a text of at most 50 characters.")
    if choices is not None and value not in choices:
        return _("Choose one of %(choices)s.") % {"choices": ", ".join(choices)}
    return None


def validate_kpi(
    fields: dict[str, Any], *, check_matches: bool = True
) -> dict[str, Any]:
    """The KPI's fields, cleaned; a ValidationError names each bad one.
    `check_matches` refuses filters that match no row at all (on creation,
    and when the formula or the filters change)."""
    errors: dict[str, str] = {}
    formula = fields.get("formula")
    if formula not in Formula.values:
        raise ValidationError(
            {
                "formula": _("Choose one of %(choices)s.")
                % {"choices": ", ".join(Formula.values)}
            }
        )
    if fields.get("direction", Direction.HIGHER) not in Direction.values:
        errors["direction"] = _("Choose higher or lower.")
    if fields.get("review_cadence", Cadence.MONTHLY) not in Cadence.values:
        errors["review_cadence"] = _("Choose weekly, monthly or quarterly.")
    if errors:
        raise ValidationError(errors)
    filters = clean_filters(formula, fields.get("filters"))
    if check_matches and filters and not matches_anything(filters, source_of(formula)):
        raise ValidationError(
            {
                "filters": _(
                    "These filters match no %(rows)s at all, so the KPI would "
                    "never have a value: check the survey, stage, touchpoint, "
                    "channel, segment and staff member."
                )
                % {"rows": _rows_name(formula)}
            }
        )
    return {**fields, "filters": filters}


def _rows_name(formula: str) -> str:
    if formula in (Formula.NPS, Formula.CSAT, Formula.CES):
        return _("answers")
    if formula == Formula.CASE_RATE:
        return _("interactions")
    if formula == Formula.RESPONSE_RATE:
        return _("invitations sent")
    return _("cases")


def create_kpi(**fields: Any) -> Kpi:
    kpi = Kpi(**validate_kpi(fields))
    kpi.full_clean(exclude=["filters"])
    kpi.save()
    return kpi


def update_kpi(kpi: Kpi, *, by: Any = None, today: Any = None, **changes: Any) -> Kpi:
    """Apply the changes. What a KPI measures (formula, filters) cannot
    change under a pilot that went live: the attempt is refused and
    recorded on each such pilot."""
    merged = {
        "formula": kpi.formula,
        "filters": kpi.filters,
        "direction": kpi.direction,
        "review_cadence": kpi.review_cadence,
        **changes,
    }
    cleaned = validate_kpi(
        merged,
        check_matches=any(
            name in changes and changes[name] != getattr(kpi, name)
            for name in ("formula", "filters")
        ),
    )
    changes = (
        {**changes, "filters": cleaned["filters"]} if "filters" in changes else changes
    )
    measured = [
        name
        for name in ("formula", "filters")
        if name in changes and changes[name] != getattr(kpi, name)
    ]
    if measured and today is not None:
        locked = list(
            Pilot.objects.filter(
                Q(primary_kpi=kpi) | Q(guardrail_kpis=kpi), go_live__lte=today
            ).distinct()
        )
        if locked:
            message = _(
                "This KPI is measured by pilots that went live (%(pilots)s): its "
                "formula and filters are locked."
            ) % {"pilots": ", ".join(pilot.name for pilot in locked)}
            PilotEvent.objects.bulk_create(
                PilotEvent(
                    pilot=pilot,
                    actor=by if getattr(by, "pk", None) else None,
                    action=PilotEvent.Action.REFUSED_EDIT,
                    fields=[f"kpi:{kpi.pk}:{name}" for name in measured],
                    message=message,
                )
                for pilot in locked
            )
            raise ValidationError(dict.fromkeys(measured, message))
    for name, value in changes.items():
        setattr(kpi, name, value)
    kpi.full_clean(exclude=["filters"])
    kpi.save()
    return kpi


@transaction.atomic
def delete_kpi(kpi: Kpi) -> None:
    """A KPI a pilot measures is its history: refused."""
    used = Pilot.objects.filter(Q(primary_kpi=kpi) | Q(guardrail_kpis=kpi)).distinct()
    names = [pilot.name for pilot in used[:5]]
    if names:
        raise ValidationError(
            _("Pilots measure this KPI (%(pilots)s): it cannot be deleted.")
            % {"pilots": ", ".join(names)}
        )
    kpi.delete()
