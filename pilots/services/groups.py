"""A pilot's treated and control units: the lists the manager gave, a
control matched from the baseline when none was given, or the customers
Touchloop assigned itself (PilotAssignment)."""

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import consent
from customers.models import Customer, Interaction
from pilots.models import Kpi, Pilot, PilotAssignment, Unit
from pilots.services.sources import filtered, in_days, source_of, with_unit
from pilots.statistics.assignment import assign
from pilots.statistics.matching import Matching, UnitProfile, match_controls
from pilots.statistics.measures import SCALE, NotEnoughDataError

# Untreated units considered for a matched control: those with most
# baseline answers (the distance matrix is treated × candidates).
MAX_CANDIDATES = 2_000
MATCHES_PER_UNIT = 2
# Without a baseline, a matched control is matched on the days before go-live.
MATCHING_DAYS = 90


@dataclass(frozen=True)
class Groups:
    """Unit values of each group; both None for a randomised pilot, whose
    groups are its PilotAssignment rows. `matching` for a matched control."""

    treated: frozenset[Hashable] | None
    control: frozenset[Hashable] | None
    matching: Matching | None = None

    @property
    def units(self) -> list[Hashable]:
        """Both groups' units (none for a randomised pilot)."""
        return [*(self.treated or ()), *(self.control or ())]


def unit_value(unit: str, raw: Any) -> Hashable:
    """A unit as the answers hold it: an id, or a segment's text."""
    return str(raw) if unit == Unit.SEGMENT else int(raw)


# The filter form of a group: {"filter": {name: value}} with these names.
GROUP_FILTERS = ("segment", "stage", "channel", "touchpoint", "company")


def resolve_filter(unit: str, filters: dict[str, Any]) -> frozenset[Hashable]:
    """The units a group's filter matches now, in one query.

    Customers, companies and segments match through the customers: their
    segment, stage and company, and for a channel or a touchpoint an
    interaction of theirs there. Staff members and touchpoints match
    through the interactions (logged by them, at them): the customer's
    segment and company, the interaction's channel, touchpoint and the
    touchpoint's stage."""
    rows: QuerySet[Any]
    if unit in (Unit.CUSTOMER, Unit.COMPANY, Unit.SEGMENT):
        own = {"segment": "segment", "stage": "stage", "company": "company_id"}
        rows = Customer.objects.filter(
            **{own[name]: value for name, value in filters.items() if name in own}
        )
        contact = {
            lookup: filters[name]
            for name, lookup in (
                ("channel", "channel"),
                ("touchpoint", "touchpoint_id"),
            )
            if name in filters
        }
        if contact:
            rows = rows.filter(
                Exists(Interaction.objects.filter(customer=OuterRef("pk"), **contact))
            )
        column = {Unit.CUSTOMER: "pk", Unit.COMPANY: "company_id"}.get(
            Unit(unit), "segment"
        )
    else:
        lookups = {
            "segment": "customer__segment",
            "stage": "touchpoint__stage",
            "channel": "channel",
            "touchpoint": "touchpoint_id",
            "company": "customer__company_id",
        }
        rows = Interaction.objects.filter(
            **{lookups[name]: value for name, value in filters.items()}
        )
        column = "touchpoint_id" if unit == Unit.TOUCHPOINT else "logged_by_id"
    values = (
        rows.filter(**{f"{column}__isnull": False})
        .order_by()
        .values_list(column, flat=True)
        .distinct()
    )
    return frozenset(unit_value(unit, value) for value in values if value != "")


def group_members(unit: str, group: Any) -> frozenset[Hashable]:
    """A group's units: its list, or what its filter matches now."""
    if isinstance(group, dict):
        return resolve_filter(unit, dict(group.get("filter") or {}))
    return frozenset(unit_value(unit, raw) for raw in group)


def pilot_groups(pilot: Pilot) -> Groups:
    """The groups of the pilot (matching the control when it is null); a
    group given as a filter is resolved now. NotEnoughDataError when a
    filter matches no unit or the groups now overlap."""
    if pilot.is_randomised:
        return Groups(treated=None, control=None)
    treated = group_members(pilot.unit, pilot.treatment)
    if not treated:
        raise NotEnoughDataError(
            _("The treatment group's filter matches no %(unit)s now.")
            % {"unit": pilot.get_unit_display()}
        )
    if pilot.control is not None:
        control = group_members(pilot.unit, pilot.control)
        if not control:
            raise NotEnoughDataError(
                _("The control group's filter matches no %(unit)s now.")
                % {"unit": pilot.get_unit_display()}
            )
        both = treated & control
        if both:
            raise NotEnoughDataError(
                _(
                    "%(values)s now in both the treatment and the control "
                    "group: the groups' filters must not overlap."
                )
                % {"values": ", ".join(sorted(map(str, both))[:20])}
            )
        return Groups(treated=treated, control=control)
    start, end = matching_days(pilot)
    matching = matched_control(
        pilot.primary_kpi, unit=pilot.unit, treated=treated, start=start, end=end
    )
    return Groups(
        treated=treated, control=frozenset(matching.control), matching=matching
    )


def matching_days(pilot: Pilot) -> tuple[date, date]:
    """The baseline, else the MATCHING_DAYS before go-live."""
    end = pilot.go_live - timedelta(1)
    start = pilot.baseline_start or pilot.go_live - timedelta(MATCHING_DAYS)
    return start, end


def unit_profiles(
    kpi: Kpi, *, unit: str, start: date, end: date
) -> dict[Hashable, UnitProfile]:
    """Each unit's score, volume, segment and channel mix over the days, in
    one query grouped by unit and channel."""
    source = source_of(kpi.formula)
    rows = with_unit(
        in_days(filtered(source, kpi.filters or {}), source, start, end),
        source,
        unit,
    )
    channel = F(source.channel) if source.channel else F("pk")
    score = source.score()
    grouped = rows.values("unit_value", channel_value=channel).annotate(
        n=Count("pk"), total=Sum(score), segment_value=Max(source.segment)
    )
    sums: dict[Hashable, list[Any]] = defaultdict(lambda: [0, 0.0, "", {}])
    for row in grouped:
        each = sums[row["unit_value"]]
        each[0] += row["n"]
        each[1] += float(row["total"] or 0.0)
        each[2] = each[2] or (row["segment_value"] or "")
        if source.channel:
            each[3][row["channel_value"] or ""] = row["n"]
    return {
        unit_key: UnitProfile(
            unit=unit_key,
            baseline_score=total / n * SCALE[source.measure],
            answer_volume=float(n),
            segment=str(segment),
            channel_mix={name: count / n for name, count in channels.items()},
        )
        for unit_key, (n, total, segment, channels) in sums.items()
        if n
    }


def without_unprofilable_customers(
    profiles: dict[Hashable, UnitProfile],
) -> dict[Hashable, UnitProfile]:
    """Matching compares each customer's own score, volume, segment and
    channels: profiling. A customer who may not be profiled (no profiling
    consent where their jurisdiction asks for it, or consent withdrawn) is
    neither matched nor matched to; their answers still count in their
    group's figures, which are not about them alone."""
    refused = set(
        consent.not_profilable(Customer.objects.all()).values_list("pk", flat=True)
    )
    return {unit: p for unit, p in profiles.items() if unit not in refused}


def matched_control(
    kpi: Kpi, *, unit: str, treated: Iterable[Hashable], start: date, end: date
) -> Matching:
    profiles = unit_profiles(kpi, unit=unit, start=start, end=end)
    if unit == Unit.CUSTOMER:
        profiles = without_unprofilable_customers(profiles)
    treated_set = set(treated)
    treated_profiles = [p for key, p in profiles.items() if key in treated_set]
    candidates = sorted(
        (p for key, p in profiles.items() if key not in treated_set),
        key=lambda profile: (-profile.answer_volume, str(profile.unit)),
    )[:MAX_CANDIDATES]
    if not treated_profiles:
        raise NotEnoughDataError(
            _(
                "No treated unit has data from %(start)s to %(end)s, so no "
                "control can be matched to them."
            )
            % {"start": start, "end": end}
        )
    if not candidates:
        raise NotEnoughDataError(
            _(
                "No untreated unit has data from %(start)s to %(end)s to match "
                "a control from."
            )
            % {"start": start, "end": end}
        )
    return match_controls(
        treated_profiles,
        candidates,
        per_unit=min(MATCHES_PER_UNIT, len(candidates)),
    )


def assign_customer(pilot: Pilot, customer_id: int) -> PilotAssignment:
    """The customer's group in a pilot Touchloop randomises, drawn once by
    hash (the same on every machine) and stored. Safe to call twice."""
    if pilot.treated_share is None:
        raise ValueError("Only a randomised pilot assigns customers.")
    group = assign(pilot.key, customer_id, treated_share=pilot.treated_share)
    try:
        with transaction.atomic():
            assignment, _created = PilotAssignment.objects.get_or_create(
                pilot=pilot,
                customer_id=customer_id,
                defaults={"group": group, "assigned_at": timezone.now()},
            )
    except IntegrityError:
        assignment = PilotAssignment.objects.get(pilot=pilot, customer_id=customer_id)
    return assignment


def assign_customers(pilot: Pilot, customer_ids: Iterable[int]) -> int:
    """Assign many customers at once; returns how many were new."""
    if pilot.treated_share is None:
        raise ValueError("Only a randomised pilot assigns customers.")
    now = timezone.now()
    rows = [
        PilotAssignment(
            pilot=pilot,
            customer_id=customer_id,
            group=assign(pilot.key, customer_id, treated_share=pilot.treated_share),
            assigned_at=now,
        )
        for customer_id in dict.fromkeys(customer_ids)
    ]
    before = PilotAssignment.objects.filter(pilot=pilot).count()
    PilotAssignment.objects.bulk_create(rows, batch_size=5_000, ignore_conflicts=True)
    return PilotAssignment.objects.filter(pilot=pilot).count() - before


def assignment_counts(pilot: Pilot) -> dict[str, int]:
    counts = dict(
        PilotAssignment.objects.filter(pilot=pilot)
        .values_list("group")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {"treated": counts.get("treated", 0), "control": counts.get("control", 0)}


def group_condition(pilot: Pilot, groups: Groups, group: str) -> Q:
    """The rows (of a queryset `with_unit`) of one group."""
    if groups.treated is None:
        return Q(
            customer__pilot_assignments__pilot=pilot,
            customer__pilot_assignments__group=group,
        )
    members = groups.treated if group == "treated" else groups.control
    return Q(unit_value__in=list(members or ()))
