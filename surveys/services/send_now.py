"""Send now: a manager's way past a scheduled invitation's wait.

The mail still goes the dispatcher's way. The invitation is made due now and
queued (`send_batch_task`, once the caller's transaction commits); the batch's
claim locks the row, checks it again and lets exactly one worker send it,
even when the dispatcher queued it too. Queued rather than sent in the
request: an SMTP exchange can take seconds, or its whole timeout, and a web
request should not wait on it, nor hold locks while it does. So the answer
is "queued to send now", never "sent".

What the request can already see is said at once and changes nothing: an
invitation sent, being sent, not waiting to be sent, held by an open
interaction, or refused by the eligibility rules the claim applies
(`sending.refusal`: unsubscribed, erased, no email, throttled, survey
inactive). The refused one keeps its time; the dispatcher decides at it.
"""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, PermissionsMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from surveys import tasks
from surveys.models import Invitation
from surveys.services import sending
from surveys.services.eligibility import Contact, ContactHistory

PERMISSION = "surveys.send_invitation_now"
# The refusal of a mail whose survey was deactivated.
SURVEY_INACTIVE = "survey_inactive"
Status = Invitation.Status
Actor = AbstractBaseUser | AnonymousUser


class Outcome(enum.StrEnum):
    QUEUED = "queued"
    ALREADY_QUEUED = "already_queued"
    SENDING = "sending"
    SENT = "sent"
    HELD = "held"
    NOT_PENDING = "not_pending"
    REFUSED = "refused"


@dataclass(frozen=True)
class Result:
    """What send-now did with one invitation; `reason` and `contact` say why
    a refused one was refused (the contact: the mail that throttled it)."""

    invitation: Invitation
    outcome: Outcome
    reason: str = ""
    contact: Contact | None = None

    @property
    def is_queued(self) -> bool:
        return self.outcome in {Outcome.QUEUED, Outcome.ALREADY_QUEUED}


def may_send_now(user: Actor) -> bool:
    """Managers and superusers (README, "Who may do what")."""
    return (
        isinstance(user, PermissionsMixin)
        and user.is_active
        and user.has_perm(PERMISSION)
    )


@transaction.atomic
def send_invitations_now(
    invitation_ids: list[int], *, user: Actor, now: datetime
) -> list[Result]:
    """Queue these scheduled invitations to be sent now, in id order, each
    through the claim's checks; safe to repeat (a queued one is not queued
    twice within the lease)."""
    if not may_send_now(user):
        raise PermissionDenied(_("Only managers may send invitations now."))
    # Locked as a claim locks them (customers, then rows, each in id order):
    # two requests, or a request and a worker, judge one row in turn.
    sending.lock_customers_of(invitation_ids)
    rows = list(
        Invitation.objects.select_related("customer", "survey", "interaction")
        .select_for_update(of=("self",), no_key=True)
        .filter(id__in=invitation_ids)
        .order_by("id")
    )
    history = ContactHistory.load(
        {row.customer_id for row in rows},
        now=now,
        surveys={row.survey for row in rows},
        include_scheduled=False,
    )
    results = []
    for invitation in rows:
        result = judge(invitation, history=history, now=now)
        if result.outcome == Outcome.QUEUED:
            # The next one of the same customer counts this mail, as in a batch.
            history.add(
                invitation.customer_id,
                Contact(invitation.pk, invitation.survey_id, now),
            )
        results.append(result)
    queue([r.invitation for r in results if r.outcome == Outcome.QUEUED], now=now)
    return results


def judge(invitation: Invitation, *, history: ContactHistory, now: datetime) -> Result:
    """The outcome for one locked row, before anything is written."""
    if invitation.sent_at is not None or invitation.status == Status.ANSWERED:
        return Result(invitation, Outcome.SENT)
    if invitation.status == Status.SENDING:
        return Result(invitation, Outcome.SENDING)
    if invitation.status != Status.SCHEDULED:
        return Result(invitation, Outcome.NOT_PENDING)
    if invitation.scheduled_for is None:
        return Result(invitation, Outcome.HELD)
    if is_on_the_queue(invitation, now=now):
        return Result(invitation, Outcome.ALREADY_QUEUED)
    reason = sending.refusal(invitation, history=history, now=now)
    if not reason:
        return Result(invitation, Outcome.QUEUED)
    if reason == "cancelled":  # the claim's word: it would cancel the mail
        reason = SURVEY_INACTIVE
    found = history.throttling_contact(
        customer_id=invitation.customer_id,
        survey=invitation.survey,
        at=now,
        exclude_id=invitation.pk,
    )
    contact = found[1] if found and found[0] == reason else None
    return Result(invitation, Outcome.REFUSED, reason=reason, contact=contact)


def is_on_the_queue(invitation: Invitation, *, now: datetime) -> bool:
    """Due and queued within the lease: a worker is about to claim it."""
    lease = timedelta(seconds=settings.SURVEY_SEND_LEASE_SECONDS)
    return (
        invitation.scheduled_for is not None
        and invitation.scheduled_for <= now
        and invitation.queued_at is not None
        and invitation.queued_at > now - lease
    )


def queue(invitations: list[Invitation], *, now: datetime) -> None:
    """Due now and on the queue: `queued_at` keeps the dispatcher from
    queueing them again within the lease, and lets it queue them again after
    it if the message is lost."""
    if not invitations:
        return
    ids = [invitation.pk for invitation in invitations]
    Invitation.objects.filter(id__in=ids).update(
        scheduled_for=now, queued_at=now, updated_at=now
    )
    for invitation in invitations:
        invitation.scheduled_for = invitation.queued_at = now
    # celery-types knows Task, not the DjangoTask class Celery uses here.
    tasks.send_batch_task.delay_on_commit(ids)  # type: ignore[attr-defined]
