"""Creating and editing pilots, from the API and the admin alike: the
design checked before anything is written, locked at go-live, and every
attempt to change a locked field refused and kept in the audit trail."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from customers.models import Channel, Company, Customer, Stage, Touchpoint
from feedback.metrics.filters import EARLIEST_DAY, LATEST_DAY
from pilots.models import Analysis, Kpi, Pilot, PilotEvent, Unit
from pilots.services.groups import GROUP_FILTERS, assign_customers, resolve_filter
from pilots.services.variants import variant_errors

MAX_UNITS = 10_000
MAX_ID = 2**63 - 1
DATE_FIELDS = ("baseline_start", "go_live", "planned_end")


def unit_model(unit: str) -> type[Model] | None:
    """The table a unit's ids name (None for segments, which are values)."""
    models: dict[str, type[Model]] = {
        Unit.CUSTOMER: Customer,
        Unit.COMPANY: Company,
        Unit.STAFF: get_user_model(),
        Unit.TOUCHPOINT: Touchpoint,
    }
    return models.get(unit)


def _units_error(unit: str, values: Any, *, name: str) -> tuple[list[Any], str | None]:
    """The group's values, cleaned, or why they are refused."""
    if not isinstance(values, list) or not values:
        return [], _("The %(group)s group is empty: list at least one %(unit)s.") % {
            "group": name,
            "unit": unit,
        }
    if len(values) > MAX_UNITS:
        return [], _("List at most %(count)d units.") % {"count": MAX_UNITS}
    model = unit_model(unit)
    if model is None:
        if not all(isinstance(v, str) and v.strip() and len(v) <= 50 for v in values):
            return [], _("Give segments as texts of 1 to 50 characters.")
        cleaned: list[Any] = list(dict.fromkeys(v.strip() for v in values))
        known = set(
            Customer.objects.filter(segment__in=cleaned).values_list(
                "segment", flat=True
            )
        ) | set(
            Company.objects.filter(segment__in=cleaned).values_list(
                "segment", flat=True
            )
        )
    else:
        if not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_ID
            for v in values
        ):
            return [], _("Give %(unit)s ids (positive integers).") % {"unit": unit}
        cleaned = list(dict.fromkeys(values))
        known = set(
            model._default_manager.filter(pk__in=cleaned).values_list("pk", flat=True)
        )
    unknown = [v for v in cleaned if v not in known]
    if unknown:
        return [], _("No %(unit)s matches %(values)s.") % {
            "unit": unit,
            "values": ", ".join(map(str, unknown[:20])),
        }
    return cleaned, None


def validate_design(
    fields: dict[str, Any],
    *,
    today: date,
    creating: bool,
    pilot_id: int | None = None,
) -> dict[str, Any]:
    """The pilot's fields, cleaned; a ValidationError says which field is
    refused and why. `creating` refuses a planned end in the past;
    `pilot_id` is the pilot being edited (its own variant is no clash)."""
    errors: dict[str, str] = {}
    unit = fields.get("unit")
    if unit not in Unit.values:
        errors["unit"] = _("Choose one of %(choices)s.") % {
            "choices": ", ".join(Unit.values)
        }
    if fields.get("analysis", Analysis.FIXED) not in Analysis.values:
        errors["analysis"] = _("Choose fixed or sequential.")
    for name in ("alpha", "power"):
        value = fields.get(name, 0.05 if name == "alpha" else 0.8)
        if not isinstance(value, int | float) or not 0 < value < 1:
            errors[name] = _("Choose a number strictly between 0 and 1.")
    min_effect = fields.get("min_effect")
    if not isinstance(min_effect, int | float) or not min_effect > 0:
        errors["min_effect"] = _(
            "The minimum effect worth detecting must be above 0 (in the KPI's "
            "points, percentage points or hours)."
        )
    errors.update(_dates_errors(fields, today=today, creating=creating))
    primary = fields.get("primary_kpi")
    guardrails = fields.get("guardrail_kpis") or []
    if isinstance(primary, Kpi) and any(_pk(g) == primary.pk for g in guardrails):
        errors["guardrail_kpis"] = _("The primary KPI cannot also be a guardrail.")
    if not errors:
        errors.update(_groups_errors(fields))
    if not errors:
        errors.update(variant_errors(fields, pilot_id=pilot_id))
    if errors:
        raise ValidationError(errors)
    return fields


def _pk(value: Any) -> Any:
    return getattr(value, "pk", value)


def _dates_errors(
    fields: dict[str, Any], *, today: date, creating: bool
) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name in DATE_FIELDS:
        day = fields.get(name)
        if day is None and name == "baseline_start":
            continue
        if not isinstance(day, date) or not EARLIEST_DAY <= day <= LATEST_DAY:
            errors[name] = _("Choose a day from %(earliest)s to %(latest)s.") % {
                "earliest": EARLIEST_DAY,
                "latest": LATEST_DAY,
            }
    if errors:
        return errors
    baseline_start: date | None = fields.get("baseline_start")
    go_live: date = fields["go_live"]
    planned_end: date = fields["planned_end"]
    if baseline_start is not None and go_live <= baseline_start:
        errors["go_live"] = _(
            "Go-live (%(go_live)s) must come after the baseline, which starts on "
            "%(start)s and ends the day before go-live."
        ) % {"go_live": go_live, "start": baseline_start}
    if planned_end <= go_live:
        errors["planned_end"] = _(
            "The planned end (%(end)s) must come after go-live (%(go_live)s)."
        ) % {"end": planned_end, "go_live": go_live}
    elif creating and planned_end < today:
        errors["planned_end"] = _(
            "The planned end (%(end)s) is in the past: a pilot is planned "
            "before it runs."
        ) % {"end": planned_end}
    return errors


def _filter_error(value: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """A group's filter form, cleaned, or why it is refused."""
    filters = value.get("filter")
    if set(value) != {"filter"} or not isinstance(filters, dict) or not filters:
        return {}, _(
            'Give a group as a list of units or as {"filter": {…}} with at '
            "least one of %(names)s."
        ) % {"names": ", ".join(GROUP_FILTERS)}
    unknown = sorted(set(filters) - set(GROUP_FILTERS))
    if unknown:
        return {}, _("Filter by %(names)s only, not %(unknown)s.") % {
            "names": ", ".join(GROUP_FILTERS),
            "unknown": ", ".join(map(str, unknown)),
        }
    choices = {"channel": Channel.values, "stage": Stage.values}
    for name, value_ in filters.items():
        if name in choices and value_ not in choices[name]:
            return {}, _("Choose the %(name)s from %(choices)s.") % {
                "name": name,
                "choices": ", ".join(choices[name]),
            }
        if name == "segment" and not (
            isinstance(value_, str) and value_.strip() and len(value_) <= 50
        ):
            return {}, _("Give the segment as a text of 1 to 50 characters.")
        if name in ("touchpoint", "company") and not (
            isinstance(value_, int)
            and not isinstance(value_, bool)
            and 0 < value_ <= MAX_ID
        ):
            return {}, _("Give the %(name)s as an id (a positive integer).") % {
                "name": name
            }
    cleaned = {
        name: value_.strip() if isinstance(value_, str) else value_
        for name, value_ in filters.items()
    }
    return cleaned, None


def _group_error(
    unit: str, value: Any, *, name: str
) -> tuple[Any, list[Any], str | None]:
    """The group as stored (a list, or its filter), its units now, or why
    it is refused."""
    if not isinstance(value, dict):
        cleaned, message = _units_error(unit, value, name=name)
        return cleaned, cleaned, message
    filters, message = _filter_error(value)
    if message:
        return None, [], message
    members = sorted(resolve_filter(unit, filters), key=str)
    if not members:
        return (
            None,
            [],
            _(
                "The %(group)s group's filter matches no %(unit)s: widen it or "
                "list the units."
            )
            % {"group": name, "unit": unit},
        )
    return {"filter": filters}, members, None


def _groups_errors(fields: dict[str, Any]) -> dict[str, str]:
    unit = fields["unit"]
    share = fields.get("treated_share")
    if share is not None:
        return _randomised_errors(fields, share)
    errors: dict[str, str] = {}
    treatment, treated, message = _group_error(
        unit, fields.get("treatment"), name=_("treatment")
    )
    if message:
        errors["treatment"] = message
    else:
        fields["treatment"] = treatment
    control = fields.get("control")
    controls: list[Any] = []
    if control is not None:
        control, controls, message = _group_error(unit, control, name=_("control"))
        if message:
            errors["control"] = message
        else:
            fields["control"] = control
    if not errors and control is not None:
        in_control = set(controls)
        both = [value for value in treated if value in in_control]
        if both:
            errors["control"] = _(
                "%(values)s in both the treatment and the control group: the "
                "groups must not overlap."
            ) % {"values": ", ".join(map(str, both[:20]))}
    return errors


def _randomised_errors(fields: dict[str, Any], share: Any) -> dict[str, str]:
    """A randomised pilot's treatment, if any, lists (or filters) the
    customers to assign at once; stored as their ids."""
    errors: dict[str, str] = {}
    if not isinstance(share, int | float) or not 0 < share < 1:
        errors["treated_share"] = _("Choose a share strictly between 0 and 1.")
    if fields["unit"] != Unit.CUSTOMER:
        errors["unit"] = _(
            "Touchloop assigns customers only: choose the unit customer."
        )
    if fields.get("control") is not None:
        errors["control"] = _(
            "Touchloop draws the control group itself: leave control null."
        )
    treatment = fields.get("treatment") or []
    if not errors and treatment:
        _stored, customers, message = _group_error(
            Unit.CUSTOMER, treatment, name=_("treatment")
        )
        if message:
            errors["treatment"] = message
        else:
            fields["treatment"] = customers
    return errors


def _event(
    pilot: Pilot, action: str, *, by: Any, fields: Iterable[str] = (), message: str = ""
) -> PilotEvent:
    return PilotEvent.objects.create(
        pilot=pilot,
        actor=by if getattr(by, "pk", None) else None,
        action=action,
        fields=list(fields),
        message=message,
    )


def create_pilot(
    *, by: Any, today: date, guardrail_kpis: Iterable[Kpi | int] = (), **fields: Any
) -> Pilot:
    """A new pilot; a randomised one assigns the customers listed as its
    treatment (its population) at once."""
    fields = validate_design(
        {**fields, "guardrail_kpis": list(guardrail_kpis)}, today=today, creating=True
    )
    guardrails = fields.pop("guardrail_kpis")
    population = fields.get("treatment") or []
    if fields.get("treated_share") is not None:
        fields["treatment"], fields["control"] = [], None
    with transaction.atomic():
        pilot = Pilot(created_by=by if getattr(by, "pk", None) else None, **fields)
        pilot.full_clean(exclude=["treatment", "control", "primary_kpi"])
        pilot.save()
        pilot.guardrail_kpis.set(guardrails)
        _event(pilot, PilotEvent.Action.CREATED, by=by)
        if pilot.is_randomised and population:
            assign_customers(pilot, population)
    return pilot


def _current(pilot: Pilot, name: str) -> Any:
    if name == "guardrail_kpis":
        return sorted(kpi.pk for kpi in pilot.guardrail_kpis.all())
    if name == "primary_kpi":
        return pilot.primary_kpi_id
    return getattr(pilot, name)


def _given(name: str, value: Any) -> Any:
    if name == "guardrail_kpis":
        return sorted(_pk(kpi) for kpi in value)
    if name == "primary_kpi":
        return _pk(value)
    return value


def changed_fields(pilot: Pilot, changes: dict[str, Any]) -> list[str]:
    return [
        name
        for name, value in changes.items()
        if _given(name, value) != _current(pilot, name)
    ]


def record_lock(pilot: Pilot) -> None:
    """The `locked` event, once, the first time the pilot is touched on or
    after go-live (or by `lock_due_pilots`)."""
    if not pilot.events.filter(action=PilotEvent.Action.LOCKED).exists():
        _event(
            pilot,
            PilotEvent.Action.LOCKED,
            by=None,
            fields=Pilot.LOCKED_FIELDS,
            message=_("Locked at go-live (%(day)s).") % {"day": pilot.go_live},
        )


def lock_due_pilots(*, today: date) -> int:
    """Record the lock of every pilot live since today or before; safe to
    run twice."""
    due = Pilot.objects.filter(go_live__lte=today).exclude(
        events__action=PilotEvent.Action.LOCKED
    )
    count = 0
    for pilot in due:
        record_lock(pilot)
        count += 1
    return count


def refuse_locked_edit(pilot: Pilot, *, by: Any, fields: list[str]) -> ValidationError:
    """Record the refused attempt and return the error to raise.

    The event is written at once (autocommit): call this outside any
    transaction the refusal rolls back (the API has no request-wide
    transaction; the admin's form error commits its own)."""
    message = _(
        "The pilot went live on %(day)s: %(fields)s can no longer change (they "
        "were fixed before go-live so that the result cannot be fitted to the "
        "data)."
    ) % {"day": pilot.go_live, "fields": ", ".join(fields)}
    _event(pilot, PilotEvent.Action.REFUSED_EDIT, by=by, fields=fields, message=message)
    return ValidationError(dict.fromkeys(fields, message))


def update_pilot(pilot: Pilot, *, by: Any, today: date, **changes: Any) -> Pilot:
    """Apply the changes; from go-live on, a change to a locked field is
    refused (and recorded), whatever else the request changes."""
    changed = changed_fields(pilot, changes)
    if pilot.is_locked(today):
        record_lock(pilot)
        locked = [name for name in changed if name in Pilot.LOCKED_FIELDS]
        if locked:
            raise refuse_locked_edit(pilot, by=by, fields=locked)
    if not changed:
        return pilot
    design = {
        name: _current_value(pilot, name) for name in (*Pilot.LOCKED_FIELDS, "name")
    }
    design.update(changes)
    creating = "planned_end" in changed
    fields = validate_design(design, today=today, creating=creating, pilot_id=pilot.pk)
    with transaction.atomic():
        for name in changed:
            if name != "guardrail_kpis":
                setattr(pilot, name, fields[name])
        pilot.full_clean(exclude=["treatment", "control", "primary_kpi"])
        pilot.save()
        if "guardrail_kpis" in changed:
            pilot.guardrail_kpis.set(fields["guardrail_kpis"])
        _event(pilot, PilotEvent.Action.EDITED, by=by, fields=changed)
    return pilot


def _current_value(pilot: Pilot, name: str) -> Any:
    if name == "guardrail_kpis":
        return list(pilot.guardrail_kpis.all())
    return getattr(pilot, name)


@transaction.atomic
def record_decision(pilot: Pilot, *, decision: str, by: User | None) -> None:
    """The decision taken after the planned end, and its entry in the audit
    trail, together."""
    pilot.decision = decision
    pilot.save(update_fields=["decision", "updated_at"])
    PilotEvent.objects.create(
        pilot=pilot,
        actor=by,
        action=PilotEvent.Action.EDITED,
        fields=["decision"],
        message=decision,
    )
