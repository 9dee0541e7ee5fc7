"""The outbox: due invitations are queued, claimed, sent and marked.

Beat runs `dispatch` every DISPATCH_INTERVAL_SECONDS. It expires what is too
late, takes back claims left by dead workers, and queues what is due in
batches (`send_batch_task`); nothing is scheduled with a Celery ETA: the due
times live in the database. A batch sends each invitation on its own
(`send_invitation`): claim the row with a conditional update, check
eligibility again, render, send outside any transaction, mark it sent.

Failure, and which way it fails:
- A transient SMTP error (4xx, connection refused or dropped, timeout) puts
  the invitation back with exponential backoff; a permanent one (5xx) marks it
  failed with the error. A database error leaves the claim to its lease.
- A worker that dies holding a claim leaves the row `sending`; after
  SURVEY_SEND_LEASE_SECONDS the dispatcher makes it due again. The lease
  fails towards sending twice, never towards not sending: a worker that died
  after the SMTP server accepted the mail but before the commit of `sent`
  causes one duplicate (with the same Message-ID, which mail clients fold
  together). The other way, marking such claims failed, would lose every mail
  of a worker killed mid-batch. Keep the lease well above the time a batch
  takes, or a slow worker's mail is sent again.
- A lost queue message (a broker restarted without its data) is noticed the
  same way: a row queued longer than the lease ago and still due is queued
  again. Two dispatchers, or a message delivered twice, queue a row twice;
  the claim lets only one worker send it.
"""

import contextlib
import logging
import smtplib
import time as clock
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation

from crm import emails
from surveys import tasks, tokens
from surveys.models import SCALE_LABELS, Invitation
from surveys.services.eligibility import ContactHistory, person_reason

logger = logging.getLogger(__name__)
Status = Invitation.Status
MAX_BACKOFF = timedelta(hours=1)
MARK_RETRIES = 3


class TransientSendError(Exception):
    """Worth trying again later."""


class PermanentSendError(Exception):
    """Trying again would fail the same way."""


# Dispatching


@dataclass
class DispatchReport:
    expired: int = 0
    taken_back: int = 0
    queued: int = 0


def dispatch(*, now: datetime, limit: int | None = None) -> DispatchReport:
    report = DispatchReport()
    report.expired = expire_overdue(now=now)
    report.taken_back = take_back_stale_claims(now=now)
    ids = queue_due(now=now, limit=limit or settings.SURVEY_DISPATCH_LIMIT)
    report.queued = len(ids)
    size = settings.SURVEY_DISPATCH_BATCH_SIZE
    for start in range(0, len(ids), size):
        tasks.send_batch_task.delay(ids[start : start + size])
    return report


def expire_overdue(*, now: datetime) -> int:
    """A first mail more than SURVEY_MAX_LATENESS_DAYS overdue is not sent
    late; a sent invitation past its expiry can no longer be answered."""
    late = timedelta(days=settings.SURVEY_MAX_LATENESS_DAYS)
    too_late = Invitation.objects.filter(
        status=Status.SCHEDULED, scheduled_for__lt=now - late
    ).update(
        status=Status.EXPIRED,
        last_error=f"Not sent: more than {late.days} days overdue.",
        updated_at=now,
    )
    unanswered = Invitation.objects.filter(
        status=Status.SENT, expires_at__lte=now
    ).update(status=Status.EXPIRED, next_reminder_at=None, updated_at=now)
    return too_late + unanswered


def take_back_stale_claims(*, now: datetime) -> int:
    """Claims older than the lease belonged to a worker that died: due again."""
    stale = Invitation.objects.filter(
        status=Status.SENDING,
        claimed_at__lt=now - timedelta(seconds=settings.SURVEY_SEND_LEASE_SECONDS),
    )
    first_mails = stale.filter(sent_at=None).update(
        status=Status.SCHEDULED, claimed_at=None, queued_at=None, updated_at=now
    )
    reminders = stale.exclude(sent_at=None).update(
        status=Status.SENT,
        next_reminder_at=now,
        claimed_at=None,
        queued_at=None,
        updated_at=now,
    )
    return first_mails + reminders


def queue_due(*, now: datetime, limit: int) -> list[int]:
    """Ids of due first mails and reminders not queued within the lease,
    oldest first, marked as queued now."""
    lease = timedelta(seconds=settings.SURVEY_SEND_LEASE_SECONDS)
    not_queued = Q(queued_at=None) | Q(queued_at__lt=now - lease)
    due = Invitation.objects.due(now).filter(not_queued).order_by("scheduled_for")
    reminders = Invitation.objects.reminders_due(now).filter(not_queued)
    ids = list(due.values_list("id", flat=True)[:limit])
    if len(ids) < limit:
        ids += reminders.order_by("next_reminder_at").values_list("id", flat=True)[
            : limit - len(ids)
        ]
    for start in range(0, len(ids), 5000):
        Invitation.objects.filter(id__in=ids[start : start + 5000]).update(
            queued_at=now
        )
    return ids


# Sending


def send_batch(invitation_ids: list[int]) -> dict[str, int]:
    """Send each invitation on its own, over one SMTP connection."""
    outcomes: dict[str, int] = {}
    connection = get_connection()
    try:
        for invitation_id in invitation_ids:
            outcome = send_invitation(invitation_id, connection=connection)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    finally:
        close_quietly(connection)
    return outcomes


def close_quietly(connection: BaseEmailBackend) -> None:
    # The server may have gone away first: then nothing is left to close.
    with contextlib.suppress(smtplib.SMTPException, OSError):
        connection.close()


def send_invitation(
    invitation_id: int, *, connection: BaseEmailBackend | None = None
) -> str:
    """Send one invitation's due mail (first mail or reminder) if it is still
    due and still wanted; say what happened. Safe to call any number of
    times: only the call that claims the row sends."""
    now = timezone.now()
    try:
        invitation, reason = claim(invitation_id, now=now)
    except DatabaseError:
        logger.exception("Could not claim invitation %s", invitation_id)
        return "database_error"  # nothing claimed, or the lease takes it back
    if invitation is None:
        return "not_due"
    if reason:
        return reason
    try:
        deliver(invitation, connection=connection)
    except TransientSendError as error:
        if connection is not None:
            close_quietly(connection)  # reopened by the next send
        mark(invitation, put_back_fields(invitation, error, now=timezone.now()))
        return "retry"
    except PermanentSendError as error:
        mark(invitation, failed_fields(invitation, error, now=timezone.now()))
        return "failed"
    mark(invitation, sent_fields(invitation, now=timezone.now()))
    return "sent"


def claim(invitation_id: int, *, now: datetime) -> tuple[Invitation | None, str]:
    """Take the row for this worker if its mail is due, and check once more
    that the customer may still be asked.

    The row and its customer are locked for the check, so two invitations of
    one customer cannot both pass the throttle at the same moment; the
    conditional update is what makes the claim exclusive.
    """
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_related("customer", "survey", "interaction")
            .select_for_update(of=("self", "customer"), no_key=True)
            .filter(id=invitation_id)
            .first()
        )
        if invitation is None or not is_due(invitation, now=now):
            return None, ""
        reason = recheck(invitation, now=now)
        if reason:
            return invitation, reason
        claimed = Invitation.objects.filter(
            id=invitation.pk, status=invitation.status
        ).update(
            status=Status.SENDING,
            claimed_at=now,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
        if claimed != 1:
            return None, ""
        invitation.status, invitation.claimed_at = Status.SENDING, now
        return invitation, ""


def is_due(invitation: Invitation, *, now: datetime) -> bool:
    if invitation.status == Status.SCHEDULED:
        return invitation.scheduled_for is not None and invitation.scheduled_for <= now
    if invitation.status == Status.SENT:
        return (
            invitation.next_reminder_at is not None
            and invitation.next_reminder_at <= now
        )
    return False


def recheck(invitation: Invitation, *, now: datetime) -> str:
    """Eligibility at send time; a refusal is written here and returned.

    A reminder only needs the person to be reachable still; a first mail
    passes the throttle again too (another survey may have gone out since).
    """
    survey, is_reminder = invitation.survey, invitation.sent_at is not None
    if not survey.is_active and not is_reminder:
        Invitation.objects.filter(id=invitation.pk).update(
            status=Status.CANCELLED,
            last_error="The survey was deactivated.",
            updated_at=now,
        )
        return "cancelled"
    reason = person_reason(invitation.customer, invitation.interaction)
    if not reason and not is_reminder:
        history = ContactHistory.load(
            [invitation.customer_id], now=now, surveys=[survey], include_scheduled=False
        )
        reason = history.throttle_reason(
            customer_id=invitation.customer_id,
            survey=survey,
            at=now,
            exclude_id=invitation.pk,
        )
    if not reason:
        return ""
    if is_reminder:
        Invitation.objects.filter(id=invitation.pk).update(
            next_reminder_at=None, updated_at=now
        )
    else:
        Invitation.objects.filter(id=invitation.pk).update(
            status=Status.SUPPRESSED,
            suppressed_reason=reason,
            scheduled_for=None,
            updated_at=now,
        )
    return str(reason)


def deliver(invitation: Invitation, *, connection: BaseEmailBackend | None) -> None:
    """Render and send; outside any transaction, since SMTP is slow and a
    rollback cannot unsend a mail."""
    try:
        message = render_invitation(invitation)
    except Exception as error:
        # A template or data error: every retry would fail the same way, and
        # the row must not wait in `sending` for its lease over and over.
        raise PermanentSendError(f"Could not render the mail: {error!r}") from error
    message.connection = connection
    try:
        if connection is not None:
            # Opened here, the connection stays open for the whole batch: a
            # backend closes after sending a connection it had to open itself.
            connection.open()
        message.send()
    except smtplib.SMTPResponseException as error:
        # 4xx: try later; 5xx: the server refuses this mail for good.
        kind = (
            TransientSendError if 400 <= error.smtp_code < 500 else PermanentSendError
        )
        raise kind(f"SMTP {error.smtp_code}: {error.smtp_error!r}") from error
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _message in error.recipients.values()]
        kind = (
            TransientSendError
            if all(400 <= c < 500 for c in codes)
            else PermanentSendError
        )
        raise kind(f"Recipient refused: {error.recipients!r}") from error
    except (TimeoutError, smtplib.SMTPException, OSError) as error:
        raise TransientSendError(f"{type(error).__name__}: {error}") from error


def backoff(attempts: int) -> timedelta:
    seconds = settings.SURVEY_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def put_back_fields(
    invitation: Invitation, error: Exception, *, now: datetime
) -> dict[str, object]:
    again = now + backoff(invitation.attempts + 1)
    fields: dict[str, object] = {"last_error": str(error)[:2000]}
    if invitation.sent_at is None:
        fields.update(status=Status.SCHEDULED, scheduled_for=again)
    else:
        fields.update(status=Status.SENT, next_reminder_at=again)
    return fields


def failed_fields(
    invitation: Invitation, error: Exception, *, now: datetime
) -> dict[str, object]:
    if invitation.sent_at is None:
        return {"status": Status.FAILED, "last_error": str(error)[:2000]}
    # A reminder that cannot be delivered: the first mail stands, no more tries.
    return {"status": Status.SENT, "next_reminder_at": None, "last_error": str(error)}


def sent_fields(invitation: Invitation, *, now: datetime) -> dict[str, object]:
    survey = invitation.survey
    first_sent = invitation.sent_at or now
    expires_at = invitation.expires_at or first_sent + timedelta(
        days=survey.expires_after_days
    )
    reminders = invitation.reminders_sent + (invitation.sent_at is not None)
    next_reminder = now + timedelta(days=survey.reminder_delay_days)
    wants_more = reminders < survey.max_reminders and next_reminder < expires_at
    return {
        "status": Status.SENT,
        "sent_at": first_sent,
        "reminders_sent": reminders,
        "next_reminder_at": next_reminder if wants_more else None,
        "expires_at": expires_at,
        "last_error": "",
    }


def mark(invitation: Invitation, fields: dict[str, object]) -> None:
    """Record the outcome of this worker's claim.

    Only while the claim is still ours does the status change; an answer or
    an unsubscribe that came in meanwhile keeps its status, and only the
    bookkeeping of what was sent is written. A failing database is tried a
    few times: each lost mark here means a duplicate mail after the lease.
    """
    now = timezone.now()
    bookkeeping = {
        k: v
        for k, v in fields.items()
        if k not in {"status", "next_reminder_at", "scheduled_for"}
    }
    for attempt in range(MARK_RETRIES):
        try:
            ours = Invitation.objects.filter(
                id=invitation.pk,
                status=Status.SENDING,
                claimed_at=invitation.claimed_at,
            ).update(**fields, claimed_at=None, queued_at=None, updated_at=now)
            if not ours and fields.get("status") == Status.SENT:
                Invitation.objects.filter(id=invitation.pk).update(
                    **bookkeeping, updated_at=now
                )
            return
        except DatabaseError:
            logger.warning("Marking invitation %s failed", invitation.pk, exc_info=True)
            clock.sleep(0.5 * 2**attempt)
    logger.error("Invitation %s left to its lease", invitation.pk)


# The mail


def survey_url(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse(
        "surveys:answer", kwargs={"token": link_token(invitation)}
    )


def link_token(invitation: Invitation) -> str:
    """The token whose hash the row stores, under SECRET_KEY or, after a key
    rotation, the fallback key it was made with: the link keeps working."""
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        token = tokens.token_for(invitation.nonce, secret=str(secret))
        if tokens.hash_token(token) == invitation.token_hash:
            return token
    raise PermanentSendError("The link's key is gone (SECRET_KEY changed).")


def render_invitation(
    invitation: Invitation, *, to: str | None = None
) -> EmailMultiAlternatives:
    customer, survey = invitation.customer, invitation.survey
    language = customer.language
    url = survey_url(invitation)
    low_label, high_label = SCALE_LABELS[survey.kind]
    with translation.override(language):
        context = {
            "brand": settings.BRAND_NAME,
            "customer": customer,
            "question": survey.question_in(language),
            "scale": [(score, f"{url}?score={score}") for score in survey.scale],
            "low_label": str(low_label),
            "high_label": str(high_label),
            "url": url,
            "unsubscribe_url": f"{url}unsubscribe",
            "is_reminder": invitation.sent_at is not None,
        }
    return emails.render(
        "survey_invitation",
        to=to or customer.email,
        context=context,
        language=language,
        headers=mail_headers(invitation, unsubscribe_url=context["unsubscribe_url"]),
        reply_to=settings.SURVEY_REPLY_TO or None,
    )


def mail_headers(invitation: Invitation, *, unsubscribe_url: object) -> dict[str, str]:
    """A Message-ID stable for this mail (a retry sends the same one, so a
    duplicate is recognisable) and RFC 8058 one-click unsubscribe."""
    number = invitation.reminders_sent + (invitation.sent_at is not None)
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(">") or "touchloop"
    return {
        "Message-ID": f"<invitation-{invitation.pk}.{number}@{domain}>",
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
