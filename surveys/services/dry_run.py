"""What a survey definition would have done over the last N days, sending
nothing: who would have been asked, and why each of the others would not.

The plan is played against the mails other surveys really sent, in time
order, so the throttle counts this survey's own planned mails too. The
customer's present state (email, opt-out, erasure) stands for the past one.
"""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from customers.models import Customer, Interaction
from surveys.models import Invitation, Survey
from surveys.services import scheduling
from surveys.services.eligibility import (
    Contact,
    ContactHistory,
    global_window,
    suppression_reason,
)

SHOWN_ROWS = 500


@dataclass(frozen=True)
class Decision:
    at: datetime
    customer: Customer
    interaction: Interaction | None
    reason: str  # "" means the customer would have been asked

    @property
    def reason_label(self) -> str:
        if not self.reason:
            return ""
        return str(Invitation.SuppressedReason(self.reason).label)


@dataclass
class DryRun:
    survey: Survey
    start: datetime
    end: datetime
    asked: int = 0
    not_asked: Counter[str] = field(default_factory=Counter)
    decisions: list[Decision] = field(default_factory=list)

    def note(self, decision: Decision) -> None:
        if decision.reason:
            self.not_asked[decision.reason] += 1
        else:
            self.asked += 1
        if len(self.decisions) < SHOWN_ROWS:
            self.decisions.append(decision)

    @property
    def total(self) -> int:
        return self.asked + sum(self.not_asked.values())


def dry_run(survey: Survey, *, days: int, now: datetime) -> DryRun:
    start = now - timedelta(days=days)
    result = DryRun(survey=survey, start=start, end=now)
    candidates = sorted(candidates_of(survey, start=start, end=now), key=by_time)
    customer_ids = {customer.pk for _at, customer, _interaction in candidates}
    history = ContactHistory.sent_between(
        customer_ids,
        start=start - max(global_window(), timedelta(days=survey.throttle_days)),
        end=now,
        exclude_survey=survey,
    )
    for at, customer, interaction in candidates:
        reason = suppression_reason(
            survey=survey,
            customer=customer,
            interaction=interaction,
            at=at,
            history=history,
        )
        if not reason:
            history.add(customer.pk, Contact(0, survey.pk, at))
        result.note(Decision(at, customer, interaction, reason))
    return result


Candidate = tuple[datetime, Customer, Interaction | None]


def by_time(candidate: Candidate) -> datetime:
    return candidate[0]


def candidates_of(
    survey: Survey, *, start: datetime, end: datetime
) -> Iterator[Candidate]:
    """When the survey would have been due for whom, over [start, end]."""
    if survey.trigger == Survey.Trigger.INTERACTION:
        yield from interaction_candidates(survey, start=start, end=end)
    elif survey.trigger == Survey.Trigger.RECURRING:
        yield from recurring_candidates(survey, start=start, end=end)
    else:
        for customer in Customer.objects.order_by("id").iterator(chunk_size=2000):
            yield end, customer, None


def interaction_candidates(
    survey: Survey, *, start: datetime, end: datetime
) -> Iterator[Candidate]:
    delay = timedelta(minutes=survey.delay_minutes)
    interactions = Interaction.objects.filter(
        resolved_at__gte=start - delay, resolved_at__lte=end - delay
    ).select_related("customer")
    touchpoints = set(survey.touchpoints.values_list("id", flat=True))
    if touchpoints:
        interactions = interactions.filter(touchpoint__in=touchpoints)
    for interaction in interactions.order_by("resolved_at").iterator(chunk_size=2000):
        if survey.channels and interaction.channel not in survey.channels:
            continue
        assert interaction.resolved_at is not None  # noqa: S101 (filtered above)
        yield interaction.resolved_at + delay, interaction.customer, interaction


def recurring_candidates(
    survey: Survey, *, start: datetime, end: datetime
) -> Iterator[Candidate]:
    day = start.date()
    while day <= end.date():
        if day.weekday() < 5:
            for customer in scheduling.customers_on(survey, day).iterator(
                chunk_size=2000
            ):
                at = scheduling.local_morning(customer, day)
                if start <= at <= end:
                    yield at, customer, None
        day += timedelta(days=1)
