"""Closing the loop: an unhappy answer becomes an owned case with a deadline;
the owner contacts the customer, closes the case with a root cause and a
resolution, and a recovery re-survey shows whether the customer came back.

Every change locks the case row, checks who may make it, and writes a
CaseEvent (the timeline) in the same transaction; alerts are rows of the
Alert outbox written there too, and sent by tasks after the commit.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Channel, Customer, Interaction
from feedback import deadlines
from feedback.models import Alert, Case, CaseEvent, RootCause
from feedback.permissions import (
    Actor,
    case_owners,
    may_open,
    may_own_cases,
    may_work_on,
)
from feedback.services import alerts
from lib import hooks
from surveys.models import Band, Invitation, Kind, SurveyResponse
from surveys.services import answers, scheduling
from surveys.services.variants import pilot_variant
from text import analysis
from text.analysis.types import NEGATIVE

Reason = Case.Reason
Status = Case.Status
Rule = Case.AssignmentRule
Event = CaseEvent.Kind

REASON_OF_KIND: dict[str, str] = {
    Kind.NPS: Reason.DETRACTOR,
    Kind.CSAT: Reason.LOW_CSAT,
    Kind.CES: Reason.HIGH_EFFORT,
}

# A comment at or below this sentiment (text.analysis, in [-1, 1]) is angry:
# it makes a case urgent, and opens one for a passive answer. Read in the
# answer's own transaction, so that the case and its priority commit with
# it; the stored reading (text.services) comes a moment later. A person
# reads every comment of a case anyway.
ANGRY_AT_MOST = -0.5


def is_angry(comment: str) -> bool:
    if not comment.strip():
        return False
    found = analysis.sentiment_of(comment)
    return found.label == NEGATIVE and found.score <= ANGRY_AT_MOST


def is_negative(response: SurveyResponse) -> bool:
    """At or below the survey's threshold (by default the negative band)."""
    return response.score <= response.survey.case_threshold


def reason_for(response: SurveyResponse) -> str:
    """Why this answer opens a case; "" when it does not: a negative answer
    for the kind's reason, a passive one with an angry comment too."""
    if is_negative(response):
        return REASON_OF_KIND[response.kind]
    if response.band == Band.PASSIVE and is_angry(response.comment):
        return Reason.NEGATIVE_COMMENT
    return ""


def priority_for(response: SurveyResponse) -> str:
    strong_detractor = (
        response.kind == Kind.NPS and response.score <= settings.CASE_URGENT_NPS_AT_MOST
    )
    if strong_detractor or is_angry(response.comment):
        return Case.Priority.URGENT
    return Case.Priority.NORMAL


# Who may do what lives in feedback/permissions.py; the services refuse
# with it before every change.


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# Assignment


def first_contact_due(customer: Customer, *, priority: str, now: datetime) -> datetime:
    """The case's first-contact deadline: CASE_SLA_HOURS, or a pilot's."""
    hours = (pilot_variant("case_sla", customer_id=customer.pk, now=now) or {}).get(
        priority
    )
    return deadlines.first_contact_due(now, priority=priority, hours=hours)


def choose_owner(
    customer: Customer, *, now: datetime | None = None
) -> tuple[User | None, str]:
    """The customer's owner; else the company's; else the next active member
    of the fallback group in turn (round robin by id, after the owner of the
    latest round-robin case). Two cases opened at the same instant may go to
    the same member: fair over time is enough here. A pilot's variant may
    go to the round robin at once, or take turns in another group."""
    trial = (
        pilot_variant(
            "assignment_rule", customer_id=customer.pk, now=now or timezone.now()
        )
        or {}
    )
    company = customer.company
    owners = [
        (customer.owner, Rule.CUSTOMER_OWNER),
        (company.owner if company else None, Rule.COMPANY_OWNER),
    ]
    if trial.get("rule") == "round_robin":
        owners = []
    for owner, rule in owners:
        if owner is not None and may_own_cases(owner):
            return owner, rule
    group = trial.get("group") or settings.CASE_FALLBACK_GROUP
    members = list(case_owners().filter(groups__name=group).order_by("id"))
    if not members:
        return None, Rule.NOBODY
    last = (
        Case.objects.filter(assignment_rule=Rule.ROUND_ROBIN)
        .order_by("-id")
        .values_list("owner_id", flat=True)
        .first()
    )
    after_last = [member for member in members if last is None or member.pk > last]
    return (after_last or members)[0], Rule.ROUND_ROBIN


def log(
    case: Case,
    kind: str,
    *,
    actor: Actor | None,
    now: datetime,
    note: str = "",
    data: dict[str, object] | None = None,
) -> CaseEvent:
    user = actor if isinstance(actor, User) else None
    event = CaseEvent.objects.create(
        case=case, kind=kind, actor=user, note=note, data=data or {}, created_at=now
    )
    hooks.announce("case_event", case_event=event)
    return event


def log_each(
    cases: Iterable[Case],
    kind: str,
    *,
    now: datetime,
    data: dict[str, object] | None = None,
) -> list[CaseEvent]:
    """`log` of the same system event (no actor, no note) on many cases: one
    INSERT for all the entries, announced together (`case_events`)."""
    events = CaseEvent.objects.bulk_create(
        CaseEvent(case=case, kind=kind, data=dict(data or {}), created_at=now)
        for case in cases
    )
    hooks.announce("case_events", case_events=events)
    return events


def note_assignment(
    case: Case,
    *,
    previous: User | None,
    actor: Actor | None,
    now: datetime,
    delay: timedelta = timedelta(0),
) -> None:
    """The ASSIGNED event, and the new owner's alert (not when they assigned
    the case to themselves)."""
    event = log(
        case,
        Event.ASSIGNED,
        actor=actor,
        now=now,
        data={
            "from": previous.pk if previous else None,
            "to": case.owner_id,
            "rule": case.assignment_rule,
        },
    )
    if case.owner is not None and case.owner_id != getattr(actor, "pk", None):
        alerts.queue(event, recipients=[case.owner], delay=delay)


# Opening


# A case someone has worked on: contacted or closed, now or before it was
# reopened (only a closed case is reopened).
FOLLOWED_UP = Q(status__in=[Status.CONTACTED, Status.CLOSED]) | Q(
    events__kind=Event.REOPENED
)


def on_response_changing(*, response: SurveyResponse) -> None:
    """The `response_changing` hook (settings.HOOKS): once a case about the
    answer has been followed up, the answer is settled. The team acted on what
    the customer said; a new score would sit under a reason and a
    conversation that no longer match it."""
    if Case.objects.filter(FOLLOWED_UP, response_id=response.pk).exists():
        raise answers.AnswerSettledError


def on_response_recorded(
    *,
    response: SurveyResponse,
    created: bool,
    previous: answers.Answer | None,
) -> None:
    """The `response_recorded` hook (settings.HOOKS), run in the answer's
    transaction with the invitation locked: an unhappy answer and its case
    commit together, and a second recording of the answer waits for the first
    and finds its case. `previous` is the answer before a change."""
    now = timezone.now()
    # Only recovery re-surveys are exempt from the throttle: every other
    # answer (most of them) is spared the lookup.
    if response.invitation.is_throttle_exempt:
        recovering = Case.objects.filter(recovery_invitation_id=response.invitation_id)
        case = recovering.first()
        if case is not None:
            note_recovery_answer(case, response=response, now=now)
            return
    existing = None if created else locking().filter(response=response).first()
    if existing is not None and previous is not None:
        # Again under the case's lock: a contact recorded since the answer
        # service asked (on_response_changing) is seen here, and the change,
        # written already, rolls back.
        if Case.objects.filter(FOLLOWED_UP, id=existing.pk).exists():
            raise answers.AnswerSettledError
        note_changed_answer(existing, response=response, previous=previous, now=now)
        return
    reason = reason_for(response)
    if reason:
        open_for_response(response, reason=reason, now=now)


def note_changed_answer(
    case: Case, *, response: SurveyResponse, previous: answers.Answer, now: datetime
) -> None:
    """A changed answer goes on the timeline; a comment added after the
    one-click score can make the case urgent, and bring its deadline forward
    (never back).

    The customer's changes within answers.EDIT_COALESCING_WINDOW of the first
    make one note, rewritten with each: a link holder cannot flood the
    timeline. Its data keeps the answer before the first change ("from_…")
    and after the latest."""
    note = recent_change_note(case, now=now)
    before = note.data if note is not None else {}
    data = {
        "from_score": before.get("from_score", previous.score),
        "from_comment": before.get("from_comment", previous.comment),
        "score": response.score,
        "comment": response.comment,
        "score_changed": bool(before.get("score_changed"))
        or response.score != previous.score,
        "changes": int(before.get("changes", 0)) + 1,
        "changed_at": now.isoformat(),
    }
    text = describe_change(data)
    if note is None:
        log(case, Event.NOTE, actor=None, now=now, note=text, data=data)
    else:
        note.note, note.data = text, data
        note.save(update_fields=["note", "data"])
    urgent = Case.Priority.URGENT
    if case.priority != urgent and priority_for(response) == urgent:
        case.priority = urgent
        sooner = first_contact_due(case.customer, priority=urgent, now=now)
        if case.status == Status.OPEN and (case.due_at is None or sooner < case.due_at):
            case.due_at = sooner
        case.save(update_fields=["priority", "due_at", "updated_at"])


def recent_change_note(case: Case, *, now: datetime) -> CaseEvent | None:
    """The note of the customer's changes begun within the coalescing
    window, to be rewritten; older notes, and notes written before notes
    kept "from_score", stay as they are."""
    return (
        case.events.filter(
            kind=Event.NOTE,
            actor=None,
            created_at__gt=now - answers.EDIT_COALESCING_WINDOW,
            data__has_key="from_score",
        )
        .order_by("-created_at", "-id")
        .first()
    )


def describe_change(change: dict[str, object]) -> str:
    """What the customer did, for the timeline: a new score says more than
    a comment, so it is named whenever the score changed."""
    if change["score_changed"]:
        return _("The customer changed the answer to %(score)s.") % {
            "score": change["score"]
        }
    if not change["comment"]:
        return _("The customer removed the comment.")
    if not change["from_comment"]:
        return _("The customer added a comment.")
    return _("The customer changed the comment.")


def open_for_response(response: SurveyResponse, *, reason: str, now: datetime) -> Case:
    interaction = response.invitation.interaction
    return create_case(
        customer=response.customer,
        response=response,
        interaction=interaction,
        reason=reason,
        priority=priority_for(response),
        actor=None,
        now=now,
        data={"score": response.score, "kind": response.kind},
    )


def create_case(
    *,
    customer: Customer,
    reason: str,
    priority: str,
    actor: Actor | None,
    now: datetime,
    response: SurveyResponse | None = None,
    interaction: Interaction | None = None,
    owner: User | None = None,
    note: str = "",
    data: dict[str, object] | None = None,
) -> Case:
    rule: str = Rule.BY_HAND
    if owner is None:
        owner, rule = choose_owner(customer, now=now)
    case = Case.objects.create(
        customer=customer,
        response=response,
        kind=response.kind if response else "",
        interaction=interaction,
        reason=reason,
        priority=priority,
        owner=owner,
        assignment_rule=rule,
        due_at=first_contact_due(customer, priority=priority, now=now),
        created_at=now,
    )
    opened = log(
        case,
        Event.OPENED,
        actor=actor,
        now=now,
        note=note,
        data={"reason": reason, "priority": priority, **(data or {})},
    )
    # An answer's alerts wait for the comment that often follows the score.
    delay = timedelta(seconds=settings.CASE_ALERT_DELAY_SECONDS if response else 0)
    alerts.queue(opened, recipients=[], chat=True, delay=delay)
    if owner is not None:
        note_assignment(case, previous=None, actor=actor, now=now, delay=delay)
    return case


@transaction.atomic
def open_case(
    *,
    customer: Customer,
    by: Actor,
    response: SurveyResponse | None = None,
    interaction: Interaction | None = None,
    priority: str = Case.Priority.NORMAL,
    owner: User | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Case:
    """A case opened by hand, from a customer, an interaction or an answer."""
    require(may_open(by), _("You may not open cases."))
    now = now or timezone.now()
    if response is not None:
        # The answer service locks the invitation too: an answer recorded at
        # this moment and this manual case cannot both take the response.
        list(
            Invitation.objects.select_for_update(no_key=True)
            .filter(id=response.invitation_id)
            .values_list("id")
        )
        if response.customer_id != customer.pk:
            raise ValidationError(_("This answer is from another customer."))
        if Case.objects.filter(response=response).exists():
            raise ValidationError(_("This answer has a case already."))
        interaction = interaction or response.invitation.interaction
    if interaction is not None and interaction.customer_id != customer.pk:
        raise ValidationError(_("This interaction is with another customer."))
    if owner is not None and not may_own_cases(owner):
        raise ValidationError(_("%(user)s cannot own cases.") % {"user": owner})
    return create_case(
        customer=customer,
        response=response,
        interaction=interaction,
        reason=Reason.MANUAL,
        priority=priority,
        owner=owner,
        actor=by,
        now=now,
        note=note,
    )


# Working on a case


def locking() -> QuerySet[Case]:
    """Cases read under a row lock, with what the services look at."""
    return Case.objects.select_for_update(of=("self",)).select_related(
        "owner", "response__survey", "customer"
    )


def locked(case: Case | int) -> Case:
    return locking().get(id=case if isinstance(case, int) else case.pk)


@transaction.atomic
def assign_case(
    case: Case | int, *, owner: User, by: Actor, now: datetime | None = None
) -> Case:
    case = locked(case)
    require(
        may_work_on(by, case), _("Only the case's owner or a manager may reassign it.")
    )
    if not may_own_cases(owner):
        raise ValidationError(_("%(user)s cannot own cases.") % {"user": owner})
    if case.owner_id == owner.pk:
        return case
    now = now or timezone.now()
    previous = case.owner
    case.owner, case.assignment_rule = owner, Rule.BY_HAND
    case.save(update_fields=["owner", "assignment_rule", "updated_at"])
    # The previous owner's alert not sent yet goes to the new owner instead,
    # as late as it would have gone (it may wait for the customer's comment).
    delay = timedelta(0)
    if previous is not None:
        delay = alerts.drop_previous_owners(case, previous=previous, now=now)
    note_assignment(case, previous=previous, actor=by, now=now, delay=delay)
    return case


@transaction.atomic
def assign_cases(
    case_ids: Iterable[int], *, owner: User, by: Actor, now: datetime | None = None
) -> int:
    """Reassign many cases at once, all or none: refused as a whole when one of
    them may not be reassigned by `by`. Returns how many changed owner."""
    now = now or timezone.now()
    cases = list(
        Case.objects.select_for_update(of=("self",))
        .select_related("owner")
        .filter(id__in=list(case_ids))
        .order_by("id")
    )
    for case in cases:
        require(
            may_work_on(by, case),
            _("Only the case's owner or a manager may reassign case #%(id)s.")
            % {"id": case.pk},
        )
    changed = 0
    for case in cases:
        if case.owner_id != owner.pk:
            assign_case(case.pk, owner=owner, by=by, now=now)
            changed += 1
    return changed


@transaction.atomic
def record_contact(
    case: Case | int,
    *,
    by: Actor,
    channel: str,
    at: datetime | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Case:
    """The customer was reached: stops the first-contact clock (the first
    time); later contacts add to the timeline."""
    case = locked(case)
    require(
        may_work_on(by, case),
        _("Only the case's owner or a manager may record a contact."),
    )
    now = now or timezone.now()
    at = at or now
    if case.status == Status.CLOSED:
        raise ValidationError(_("This case is closed: reopen it first."))
    if channel not in Channel.values:
        raise ValidationError(
            _("Choose how the customer was reached: %(channels)s.")
            % {"channels": ", ".join(Channel.values)}
        )
    if at > now + timedelta(minutes=5):
        raise ValidationError(_("A contact cannot be in the future."))
    if at < case.created_at:
        raise ValidationError(_("A contact cannot be before the case was opened."))
    if case.first_contact_at is None:
        case.first_contact_at, case.contact_channel = at, channel
    case.status = Status.CONTACTED
    case.save(
        update_fields=["first_contact_at", "contact_channel", "status", "updated_at"]
    )
    alerts.drop_pending(case, reason=Alert.DropReason.CONTACTED, now=now)
    log(
        case,
        Event.CONTACTED,
        actor=by,
        now=now,
        note=note,
        data={"channel": channel, "at": at.isoformat()},
    )
    return case


@transaction.atomic
def close_case(
    case: Case | int,
    *,
    by: Actor,
    root_cause: RootCause | None,
    resolution: str,
    recovery_days: int | None = None,
    resurvey: bool = True,
    now: datetime | None = None,
) -> Case:
    """Close with a root cause and a resolution; when the case came from an
    answer, schedule the same survey again after `recovery_days` (default
    settings.CASE_RECOVERY_DAYS) unless `resurvey` is False."""
    case = locked(case)
    require(
        may_work_on(by, case), _("Only the case's owner or a manager may close it.")
    )
    now = now or timezone.now()
    resolution = resolution.strip()
    errors = {}
    if case.status == Status.CLOSED:
        raise ValidationError(_("This case is closed already."))
    if root_cause is None or not root_cause.is_active:
        errors["root_cause"] = _("Choose the root cause.")
    if not resolution:
        errors["resolution"] = _("Say how the case was resolved.")
    days = settings.CASE_RECOVERY_DAYS if recovery_days is None else recovery_days
    if not 0 <= days <= 365:
        errors["recovery_days"] = _("Choose from 0 to 365 days.")
    if errors:
        raise ValidationError(errors)
    case.status, case.closed_at = Status.CLOSED, now
    case.root_cause, case.resolution = root_cause, resolution
    fields = ["status", "closed_at", "root_cause", "resolution", "updated_at"]
    if resurvey and case.response is not None:
        invitation = scheduling.schedule_recovery(
            survey=case.response.survey,
            customer=case.customer,
            occasion=f"recovery:{case.pk}:{now:%Y%m%d%H%M%S}",
            due=now + timedelta(days=days),
            now=now,
        )
        if invitation is not None:
            case.recovery_invitation, case.outcome = invitation, Case.Outcome.PENDING
            fields += ["recovery_invitation", "outcome"]
    case.save(update_fields=fields)
    alerts.drop_pending(case, reason=Alert.DropReason.CLOSED, now=now)
    log(
        case,
        Event.CLOSED,
        actor=by,
        now=now,
        note=resolution,
        data={
            "root_cause": root_cause.pk if root_cause else None,
            "root_cause_name": str(root_cause),
            "recovery_invitation": case.recovery_invitation_id,
        },
    )
    return case


@transaction.atomic
def reopen_case(
    case: Case | int, *, by: Actor | None, note: str = "", now: datetime | None = None
) -> Case:
    """Back to open: a new first-contact deadline, to be met by a new contact;
    `by=None` is the system (a negative recovery answer). A recovery survey
    not sent yet is withdrawn: the customer is being looked after again."""
    case = locked(case)
    if by is not None:
        require(
            may_work_on(by, case),
            _("Only the case's owner or a manager may reopen it."),
        )
    if case.status != Status.CLOSED:
        raise ValidationError(_("Only a closed case can be reopened."))
    now = now or timezone.now()
    reopen(case, actor=by, note=note, now=now)
    return case


def reopen(case: Case, *, actor: Actor | None, note: str, now: datetime) -> None:
    if case.recovery_invitation_id is not None and actor is not None:
        scheduling.cancel_scheduled(
            case.recovery_invitation_id, why="The case was reopened.", now=now
        )
    # A new round of the loop: the customer must be reached again, by a new
    # deadline (the timeline keeps the first round). The escalations count
    # for the case's whole life.
    case.status, case.closed_at = Status.OPEN, None
    case.root_cause, case.resolution = None, ""
    case.first_contact_at, case.contact_channel = None, ""
    case.due_at = first_contact_due(case.customer, priority=case.priority, now=now)
    case.save(
        update_fields=[
            "status",
            "closed_at",
            "root_cause",
            "resolution",
            "first_contact_at",
            "contact_channel",
            "due_at",
            "updated_at",
        ]
    )
    event = log(case, Event.REOPENED, actor=actor, now=now, note=note)
    if case.owner is not None and case.owner_id != getattr(actor, "pk", None):
        alerts.queue(event, recipients=[case.owner])


@transaction.atomic
def add_note(
    case: Case | int, *, by: Actor, note: str, now: datetime | None = None
) -> CaseEvent:
    case = locked(case)
    require(
        may_work_on(by, case), _("Only the case's owner or a manager may add notes.")
    )
    if not note.strip():
        raise ValidationError(_("Write the note."))
    return log(case, Event.NOTE, actor=by, now=now or timezone.now(), note=note.strip())


# Recovery


def note_recovery_answer(
    case: Case, *, response: SurveyResponse, now: datetime
) -> None:
    """The recovery re-survey's answer sets the outcome; a negative one (again)
    reopens the case. Runs in the answer's transaction, also for a changed
    answer within the edit window."""
    case = locked(case)
    negative = is_negative(response)
    outcome = Case.Outcome.NOT_RECOVERED if negative else Case.Outcome.RECOVERED
    log(
        case,
        Event.RECOVERY_ANSWERED,
        actor=None,
        now=now,
        note=response.comment,
        data={"score": response.score, "outcome": outcome, "response": response.pk},
    )
    if case.outcome != outcome:
        case.outcome = outcome
        case.save(update_fields=["outcome", "updated_at"])
    if negative and case.status == Status.CLOSED:
        reopen(
            case,
            actor=None,
            note=_("The recovery answer was negative again."),
            now=now,
        )


# Escalation


def escalate_overdue(*, now: datetime, limit: int = 1000) -> int:
    """Escalate every case past its first-contact deadline to the escalation
    group, at most CASE_MAX_ESCALATIONS times and once per interval each.
    Each case in its own short transaction, checked again under its lock, so
    two runs at once escalate a case once. Returns how many were escalated."""
    due = Case.objects.to_escalate(now)
    managers = list(
        User.objects.filter(
            groups__name=settings.CASE_ESCALATION_GROUP, is_active=True, is_staff=True
        ).distinct()
    )
    escalated = 0
    for case_id in due.order_by("due_at").values_list("id", flat=True)[:limit]:
        with transaction.atomic():
            case = (
                Case.objects.to_escalate(now)
                .filter(id=case_id)
                .select_for_update(of=("self",))
                .first()
            )
            if case is None:
                continue
            case.escalation_level += 1
            case.escalated_at = now
            case.save(update_fields=["escalation_level", "escalated_at", "updated_at"])
            event = log(
                case,
                Event.ESCALATED,
                actor=None,
                now=now,
                data={"level": case.escalation_level},
            )
            alerts.queue(event, recipients=managers)
            escalated += 1
    return escalated
