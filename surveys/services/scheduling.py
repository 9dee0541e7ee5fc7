"""Who is asked, when, or why not: invitations are written here.

Three triggers write invitations: an interaction resolved (plus the survey's
delay), a recurring relationship survey (every N days per customer, spread
evenly over the period, on weekdays in the customer's local morning), and a
manual send. Each invitation is either `scheduled` with its due time or
`suppressed` with its reason; the dispatcher (sending.py) does the rest.
"""

import zoneinfo
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Mod
from django.utils import timezone

from customers.models import Customer, Interaction
from surveys import tasks, tokens
from surveys.models import Invitation, Survey
from surveys.services.eligibility import (
    Contact,
    ContactHistory,
    person_reason,
    suppression_reason,
)

Reason = Invitation.SuppressedReason
Status = Invitation.Status
CHUNK = 1000
# Weekday numbers count from a Monday.
EPOCH_MONDAY = date(1970, 1, 5)


@dataclass
class Summary:
    """What a run of planning wrote: how many scheduled, how many suppressed
    for each reason."""

    scheduled: int = 0
    suppressed: Counter[str] = field(default_factory=Counter)
    # The invitations behind the counts, by reason ("" for the scheduled
    # ones): the admin's message links to them.
    ids: dict[str, list[int]] = field(default_factory=dict)

    def count(self, invitation: Invitation | None) -> None:
        if invitation is None:
            return
        if invitation.status == Status.SUPPRESSED:
            self.suppressed[invitation.suppressed_reason] += 1
        else:
            self.scheduled += 1
        self.ids.setdefault(invitation.suppressed_reason, []).append(invitation.pk)

    def as_dict(self) -> dict[str, object]:
        return {"scheduled": self.scheduled, "suppressed": dict(self.suppressed)}


def new_invitation(**fields: object) -> Invitation:
    nonce = tokens.new_nonce()
    return Invitation(
        nonce=nonce, token_hash=tokens.hash_token(tokens.token_for(nonce)), **fields
    )


def save_unless_duplicate(invitation: Invitation) -> Invitation | None:
    """Save; None when the same invitation (survey and interaction, or survey,
    customer and occasion) was written first, by a retry or a racing worker."""
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError:
        return None
    return invitation


def plan_invitation(
    *,
    survey: Survey,
    customer: Customer,
    due: datetime,
    now: datetime,
    history: ContactHistory,
    interaction: Interaction | None = None,
    occasion: str = "",
    reason: str = "",
) -> Invitation | None:
    """Write one invitation: scheduled for `due`, or suppressed with its reason.

    The new invitation joins `history`, so one run never plans two mails for
    one customer. None when it already existed.
    """
    reason = reason or suppression_reason(
        survey=survey,
        customer=customer,
        interaction=interaction,
        at=due,
        history=history,
    )
    invitation = save_unless_duplicate(
        new_invitation(
            survey=survey,
            customer=customer,
            interaction=interaction,
            occasion=occasion,
            created_at=now,
            status=Status.SUPPRESSED if reason else Status.SCHEDULED,
            suppressed_reason=reason,
            scheduled_for=None if reason else due,
        )
    )
    if invitation is not None and not reason:
        history.add(customer.pk, Contact(invitation.pk, survey.pk, due))
    return invitation


def schedule_recovery(
    *, survey: Survey, customer: Customer, occasion: str, due: datetime, now: datetime
) -> Invitation | None:
    """The re-survey after a closed case: exempt from the throttle (the
    customer is expecting it), never to someone who may not be asked. None
    when it was already written for this occasion."""
    reason = person_reason(customer)
    return save_unless_duplicate(
        new_invitation(
            survey=survey,
            customer=customer,
            occasion=occasion,
            created_at=now,
            status=Status.SUPPRESSED if reason else Status.SCHEDULED,
            suppressed_reason=reason,
            scheduled_for=None if reason else due,
            is_throttle_exempt=True,
        )
    )


def cancel_scheduled(invitation_id: int, *, why: str, now: datetime) -> bool:
    """Withdraw a mail that has not gone out yet; False when it had."""
    withdrawn = Invitation.objects.filter(
        id=invitation_id, status=Status.SCHEDULED
    ).update(status=Status.CANCELLED, last_error=why, updated_at=now)
    return withdrawn == 1


def movable_to_new_delay(survey: Survey) -> QuerySet[Invitation]:
    """First mails whose due time is their interaction's resolution plus the
    survey's delay, still to come: never tried (a retry keeps its backoff)
    and not on the queue already (a mail sent now stays sent now)."""
    return Invitation.objects.filter(
        survey=survey,
        status=Status.SCHEDULED,
        sent_at=None,
        scheduled_for__isnull=False,
        interaction__resolved_at__isnull=False,
        is_throttle_exempt=False,
        attempts=0,
        queued_at=None,
    )


def move_to_new_delay(survey: Survey, *, now: datetime) -> int:
    """Due each waiting mail at its interaction's resolution plus the
    survey's (new) delay, or now when that has passed; how many moved.

    Row by row, each only while still scheduled: a worker may claim one
    meanwhile, and its claim stands."""
    delay = timedelta(minutes=survey.delay_minutes)
    waiting = movable_to_new_delay(survey).values_list("id", "interaction__resolved_at")
    moved = 0
    for invitation_id, resolved_at in waiting.iterator(chunk_size=CHUNK):
        if resolved_at is None:  # filtered so; the type does not know
            continue
        moved += Invitation.objects.filter(
            id=invitation_id, status=Status.SCHEDULED
        ).update(scheduled_for=max(resolved_at + delay, now), updated_at=now)
    return moved


# After an interaction


def on_interaction_saved(*, interaction: Interaction) -> None:
    """The `interaction_saved` hook (settings.HOOKS), in the saver's transaction."""
    schedule_for_interaction(interaction, now=timezone.now())


def surveys_for(interaction: Interaction) -> list[Survey]:
    """Active interaction surveys whose channels and touchpoints match (an
    empty list of either matches every one)."""
    touchpoints = Q(touchpoints=None)
    if interaction.touchpoint_id is not None:
        touchpoints |= Q(touchpoints=interaction.touchpoint_id)
    candidates = (
        Survey.objects.filter(is_active=True, trigger=Survey.Trigger.INTERACTION)
        .filter(touchpoints)
        .distinct()
        .order_by("id")
    )
    return [
        survey
        for survey in candidates
        if not survey.channels or interaction.channel in survey.channels
    ]


@transaction.atomic
def schedule_for_interaction(interaction: Interaction, *, now: datetime) -> Summary:
    """Bring the interaction's invitations in line with its state.

    Open: nothing is sent; an invitation already planned is held (no due time)
    until the interaction is resolved again. Resolved: held invitations are due
    the delay after this resolution, and matching surveys not yet planned for
    this interaction are planned. A survey is never planned twice for one
    interaction (a unique constraint), so re-resolving sends nothing new.
    "Resolve without survey" suppresses what is still waiting.
    """
    waiting = Invitation.objects.filter(
        interaction=interaction, status=Status.SCHEDULED
    )
    if interaction.survey_mode == Interaction.SurveyMode.SKIP:
        waiting.update(
            status=Status.SUPPRESSED,
            suppressed_reason=Reason.SKIPPED_BY_STAFF,
            scheduled_for=None,
            updated_at=now,
        )
    if interaction.resolved_at is None:
        waiting.update(scheduled_for=None, updated_at=now)
        return Summary()
    for invitation in waiting.filter(scheduled_for=None).select_related("survey"):
        invitation.scheduled_for = interaction.resolved_at + timedelta(
            minutes=invitation.survey.delay_minutes
        )
        invitation.save(update_fields=["scheduled_for", "updated_at"])
    return plan_for_interaction(interaction, now=now)


def plan_for_interaction(interaction: Interaction, *, now: datetime) -> Summary:
    resolved_at = interaction.resolved_at
    if resolved_at is None:
        return Summary()
    planned = dict(
        Invitation.objects.filter(interaction=interaction).values_list(
            "survey_id", "status"
        )
    )
    surveys = [s for s in surveys_for(interaction) if s.pk not in planned]
    summary = Summary()
    if not surveys:
        return summary
    history = ContactHistory.load([interaction.customer_id], now=now, surveys=surveys)
    invited = any(status != Status.SUPPRESSED for status in planned.values())
    for survey in surveys:
        invitation = plan_invitation(
            survey=survey,
            customer=interaction.customer,
            interaction=interaction,
            due=resolved_at + timedelta(minutes=survey.delay_minutes),
            now=now,
            history=history,
            # One interaction, one question: a second matching survey is a
            # duplicate, whatever the throttle would say.
            reason=Reason.DUPLICATE if invited else "",
        )
        summary.count(invitation)
        invited = invited or (
            invitation is not None and invitation.status != Status.SUPPRESSED
        )
    return summary


# Recurring (relationship) surveys


def weekday_number(day: date) -> int:
    """Weekdays since a Monday in 1970; a weekend day counts as the Friday."""
    weeks, rest = divmod((day - EPOCH_MONDAY).days, 7)
    return weeks * 5 + min(rest, 4)


def period_in_weekdays(recurrence_days: int) -> int:
    """Recurring mails go out on weekdays only: N calendar days hold about
    5/7 · N weekdays, and each customer is asked once every that many."""
    return max(1, round(recurrence_days * 5 / 7))


def slot_of(customer_id: int, *, survey: Survey) -> int:
    """The customer's weekday in the period: ids are consecutive, so the
    customers fall evenly over the period's weekdays."""
    return (customer_id + survey.pk) % period_in_weekdays(survey.recurrence_days or 1)


def customers_on(survey: Survey, day: date) -> QuerySet[Customer]:
    """The customers whose slot is `day` (a weekday)."""
    period = period_in_weekdays(survey.recurrence_days or 1)
    slot = (weekday_number(day) - survey.pk) % period
    return (
        Customer.objects.alias(slot=Mod("id", Value(period)))
        .filter(slot=slot)
        .order_by("id")
    )


def local_morning(customer: Customer, day: date) -> datetime:
    """A time in the customer's morning of `day`, in their time zone, spread by
    id over the window so that a whole slot does not arrive at 9:00 sharp."""
    start, end = settings.SURVEY_MORNING_HOURS
    minutes = customer.pk % ((end - start) * 60)
    try:
        zone = zoneinfo.ZoneInfo(customer.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    morning = datetime.combine(day, time(start), tzinfo=zone)
    return morning + timedelta(minutes=minutes)


def schedule_recurring(survey: Survey, *, day: date, now: datetime) -> Summary:
    """Plan the recurring survey's mails for `day`; safe to run again (the
    occasion `recurring:<day>` is unique per survey and customer).

    A morning already past is skipped; those customers wait one period.
    """
    summary = Summary()
    if day.weekday() >= 5 or not survey.recurrence_days:
        return summary
    occasion = f"recurring:{day.isoformat()}"
    already = Invitation.objects.filter(
        survey=survey, customer=OuterRef("pk"), occasion=occasion
    )
    customers = customers_on(survey, day).filter(~Exists(already))
    for chunk in chunks(customers.iterator(chunk_size=CHUNK)):
        history = ContactHistory.load([c.pk for c in chunk], now=now, surveys=[survey])
        for customer in chunk:
            due = local_morning(customer, day)
            if due < now:
                continue
            summary.count(
                plan_invitation(
                    survey=survey,
                    customer=customer,
                    due=due,
                    now=now,
                    history=history,
                    occasion=occasion,
                )
            )
    return summary


def schedule_all_recurring(*, now: datetime) -> dict[int, Summary]:
    """Plan tomorrow (in the configured time zone) for every active recurring
    survey: a day ahead, every customer's local morning is still to come."""
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    surveys = Survey.objects.filter(
        is_active=True, trigger=Survey.Trigger.RECURRING, recurrence_days__gt=0
    )
    return {
        survey.pk: schedule_recurring(survey, day=tomorrow, now=now)
        for survey in surveys
    }


# Manual sends


def queue_manual_send(survey: Survey, *, customer_ids: list[int]) -> None:
    """Queue `send_manually` for these customers, once the caller's
    transaction commits: the one way the API and the admin ask for it."""
    # celery-types knows Task, not the DjangoTask class Celery uses here.
    tasks.send_manually_task.delay_on_commit(  # type: ignore[attr-defined]
        survey.pk, customer_ids
    )


def send_manually(
    survey: Survey, *, customers: QuerySet[Customer], now: datetime
) -> Summary:
    """Ask these customers now, each through the same eligibility rules."""
    summary = Summary()
    for chunk in chunks(customers.order_by("id").iterator(chunk_size=CHUNK)):
        history = ContactHistory.load([c.pk for c in chunk], now=now, surveys=[survey])
        for customer in chunk:
            summary.count(
                plan_invitation(
                    survey=survey, customer=customer, due=now, now=now, history=history
                )
            )
    return summary


def chunks(customers: Iterator[Customer]) -> Iterator[list[Customer]]:
    chunk: list[Customer] = []
    for customer in customers:
        chunk.append(customer)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def send_failed_again(invitation_ids: list[int], *, now: datetime) -> int:
    """Failed invitations among these are due again now, with a fresh count of
    attempts; others are left as they are."""
    return Invitation.objects.filter(
        id__in=invitation_ids, status=Status.FAILED
    ).update(
        status=Status.SCHEDULED,
        scheduled_for=now,
        attempts=0,
        queued_at=None,
        updated_at=now,
    )
