"""The outbox: due invitations are queued, claimed, sent and marked.

Beat runs `dispatch` every DISPATCH_INTERVAL_SECONDS. It expires what is too
late, takes back claims left by dead workers, and queues what is due in
batches (`send_batch_task`); nothing is scheduled with a Celery ETA: the due
times live in the database. A batch (`send_each`) claims its due rows in one
transaction (locked, eligibility checked again, marked `sending`), then
renders and sends each mail outside any transaction and marks it at once.

Failure, and which way it fails:
- A transient SMTP error (4xx, connection refused or dropped, timeout) puts
  the invitation back with exponential backoff; a permanent one (5xx) marks it
  failed with the error. When the server cannot be reached at all, the rest
  of the batch is put back untried. A database error leaves the claim to its
  lease.
- A worker that dies holding a claim leaves the row `sending`; after
  SURVEY_SEND_LEASE_SECONDS the dispatcher makes it due again. The lease
  fails towards sending twice, never towards not sending: a worker that died
  after the SMTP server accepted the mail but before the commit of `sent`
  causes one duplicate (with the same Message-ID, which mail clients fold
  together). The other way, marking such claims failed, would lose every mail
  of a worker killed mid-batch: it leaves one mail in flight and the rest of
  its batch claimed, all sent after the lease. A batch that has taken half
  the lease gives its untried claims back, so that a slow worker never sends
  a mail the lease has already handed to another.
- A lost queue message (a broker restarted without its data) is noticed the
  same way: a row queued longer than the lease ago and still due is queued
  again. Two dispatchers, or a message delivered twice, queue a row twice;
  the claim lets only one worker send it.
"""

import contextlib
import logging
import smtplib
import time as clock
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation

from customers.models import Customer
from lib import emails, hooks
from lib.backoff import backoff
from surveys import tasks, tokens
from surveys.models import SCALE_LABELS, Invitation
from surveys.services.eligibility import Contact, ContactHistory, person_reason
from surveys.services.variants import pilot_variant

logger = logging.getLogger(__name__)
Status = Invitation.Status
MARK_RETRIES = 3


class TransientSendError(Exception):
    """Worth trying again later; `unreachable` when no mail can get through
    (the connection failed), not only this one."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


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


@dataclass
class Claims:
    """What claiming a batch found: the rows this worker now holds, in the
    order to send them, and the outcome of each id it does not hold."""

    held: list[Invitation]
    outcomes: dict[int, str]


def send_batch(invitation_ids: list[int]) -> dict[str, int]:
    """Send the batch over one SMTP connection; how many of each outcome."""
    return dict(Counter(send_each(invitation_ids).values()))


def send_invitation(invitation_id: int) -> str:
    """Send one invitation's due mail (first mail or reminder) if it is still
    due and still wanted; say what happened."""
    return send_each([invitation_id])[invitation_id]


def send_each(invitation_ids: list[int]) -> dict[int, str]:
    """Claim the batch in one transaction, then send each claimed mail on its
    own and mark it at once. Safe to call any number of times, concurrently
    too: only the call that claims a row sends it.

    Rows are claimed together (a handful of queries for the whole batch, not
    a handful per mail) and marked one by one, so that a worker killed
    mid-batch leaves at most the mail in flight unrecorded. The claims should
    not outlive the lease: when the SMTP server cannot be reached, or the
    batch has run for half the lease, the rest is put back unsent; so is it
    when anything unforeseen stops the batch.
    """
    deadline = clock.monotonic() + settings.SURVEY_SEND_LEASE_SECONDS / 2
    try:
        claims = claim(invitation_ids, now=timezone.now())
    except DatabaseError:
        logger.exception("Could not claim invitations %s", invitation_ids)
        # Nothing was claimed: the rows are queued again after the lease.
        return dict.fromkeys(invitation_ids, "database_error")
    outcomes = claims.outcomes
    untried = iter(claims.held)
    connection = get_connection()
    unreachable: TransientSendError | None = None
    try:
        for invitation in untried:
            if unreachable is not None:
                outcomes[invitation.pk] = put_back(invitation, unreachable)
            elif clock.monotonic() > deadline:
                outcomes[invitation.pk] = release(invitation)
            else:
                outcome, unreachable = send_claimed(invitation, connection)
                outcomes[invitation.pk] = outcome
    except Exception:
        # The mail in hand is left to the lease (it may have gone out); the
        # rest need not wait for it.
        for invitation in untried:
            release(invitation)
        raise
    finally:
        close_quietly(connection)
    return outcomes


def close_quietly(connection: BaseEmailBackend) -> None:
    # The server may have gone away first: then nothing is left to close.
    with contextlib.suppress(smtplib.SMTPException, OSError):
        connection.close()


def send_claimed(
    invitation: Invitation, connection: BaseEmailBackend
) -> tuple[str, "TransientSendError | None"]:
    """Deliver one claimed mail and mark the outcome; the error too when the
    server cannot be reached at all, so that the batch stops trying."""
    try:
        deliver(invitation, connection=connection)
    except TransientSendError as error:
        close_quietly(connection)  # reopened by the next send
        unreachable = error if error.unreachable else None
        return put_back(invitation, error), unreachable
    except PermanentSendError as error:
        mark(invitation, failed_fields(invitation, error, now=timezone.now()))
        return "failed", None
    mark(invitation, sent_fields(invitation, now=timezone.now()), sent=True)
    return "sent", None


def put_back(invitation: Invitation, error: Exception) -> str:
    mark(invitation, put_back_fields(invitation, error, now=timezone.now()))
    return "retry"


def release(invitation: Invitation) -> str:
    """Give a claim back untried and due at once (its attempt uncounted), for
    the next dispatch to queue again."""
    fields: dict[str, object] = {"status": Status.SCHEDULED}
    if invitation.sent_at is not None:
        fields = {"status": Status.SENT, "next_reminder_at": timezone.now()}
    mark(invitation, {**fields, "attempts": F("attempts") - 1})
    return "released"


def claim(invitation_ids: list[int], *, now: datetime) -> Claims:
    """Take the rows whose mail is due for this worker, once each customer has
    been checked again: still reachable, and not asked since (`recheck`).

    The customers, then the rows, are locked while they are checked, so two
    invitations of one customer cannot both pass the throttle in two
    workers. Every claim (and an unsubscribe) locks customers before
    invitations, each in id order, so workers holding overlapping batches
    wait for each other instead of deadlocking. A row no longer due (sent,
    answered, cancelled, put back for later) is left alone.
    """
    with transaction.atomic():
        lock_customers_of(invitation_ids)
        rows = (
            Invitation.objects.select_related("customer", "survey", "interaction")
            .select_for_update(of=("self",), no_key=True)
            .filter(id__in=invitation_ids)
            .order_by("id")
        )
        due = [invitation for invitation in rows if is_due(invitation, now=now)]
        refusals = recheck(due, now=now)
        held = [invitation for invitation in due if invitation.pk not in refusals]
        Invitation.objects.filter(id__in=[i.pk for i in held]).update(
            status=Status.SENDING,
            claimed_at=now,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    for invitation in held:
        invitation.status, invitation.claimed_at = Status.SENDING, now
        invitation.attempts += 1
    # Sent in the order the dispatcher queued them: oldest due first.
    order = {invitation_id: n for n, invitation_id in enumerate(invitation_ids)}
    held.sort(key=lambda invitation: order[invitation.pk])
    held_ids = {invitation.pk for invitation in held}
    outcomes = {
        invitation_id: refusals.get(invitation_id, "not_due")
        for invitation_id in invitation_ids
        if invitation_id not in held_ids
    }
    return Claims(held=held, outcomes=outcomes)


def lock_customers_of(invitation_ids: list[int]) -> None:
    customer_ids = Invitation.objects.filter(id__in=invitation_ids).values(
        "customer_id"
    )
    customers = Customer.objects.filter(id__in=customer_ids).order_by("id")
    # Evaluated for its locks alone.
    list(customers.select_for_update(no_key=True).values_list("id", flat=True))


def is_due(invitation: Invitation, *, now: datetime) -> bool:
    if invitation.status == Status.SCHEDULED:
        return invitation.scheduled_for is not None and invitation.scheduled_for <= now
    if invitation.status == Status.SENT:
        return (
            invitation.next_reminder_at is not None
            and invitation.next_reminder_at <= now
        )
    return False


def recheck(invitations: list[Invitation], *, now: datetime) -> dict[int, str]:
    """Eligibility at send time: the refused rows' outcomes, written here.

    A reminder only needs the person to be reachable still; a first mail
    passes the throttle again too (another survey may have gone out since),
    counting the mails claimed before it in this batch.
    """
    first_mails = [
        invitation for invitation in invitations if invitation.sent_at is None
    ]
    history = ContactHistory.load(
        {invitation.customer_id for invitation in first_mails},
        now=now,
        surveys={invitation.survey for invitation in first_mails},
        include_scheduled=False,
    )
    refusals: dict[int, str] = {}
    for invitation in invitations:
        reason = refusal(invitation, history=history, now=now)
        if reason:
            refusals[invitation.pk] = reason
        elif invitation.sent_at is None:
            history.add(
                invitation.customer_id,
                Contact(invitation.pk, invitation.survey_id, now),
            )
    write_refusals(invitations, refusals, now=now)
    return refusals


def refusal(invitation: Invitation, *, history: ContactHistory, now: datetime) -> str:
    """Why this due mail must not go out now; "" when it may."""
    survey, is_reminder = invitation.survey, invitation.sent_at is not None
    if not survey.is_active and not is_reminder:
        return "cancelled"
    reason = person_reason(invitation.customer, invitation.interaction)
    if reason or is_reminder or invitation.is_throttle_exempt:
        return reason
    return history.throttle_reason(
        customer_id=invitation.customer_id,
        survey=survey,
        at=now,
        exclude_id=invitation.pk,
    )


def write_refusals(
    invitations: list[Invitation], refusals: dict[int, str], *, now: datetime
) -> None:
    """A refused reminder is simply not sent (nor any later one); a refused
    first mail is cancelled, or suppressed with its reason."""
    by_reason: dict[str, list[int]] = {}
    for invitation in invitations:
        if invitation.pk in refusals:
            is_reminder = invitation.sent_at is not None
            key = "reminder" if is_reminder else refusals[invitation.pk]
            by_reason.setdefault(key, []).append(invitation.pk)
    for key, ids in by_reason.items():
        refused = Invitation.objects.filter(id__in=ids)
        if key == "reminder":
            refused.update(next_reminder_at=None, updated_at=now)
        elif key == "cancelled":
            refused.update(
                status=Status.CANCELLED,
                last_error="The survey was deactivated.",
                updated_at=now,
            )
        else:
            refused.update(
                status=Status.SUPPRESSED,
                suppressed_reason=key,
                scheduled_for=None,
                updated_at=now,
            )


def deliver(invitation: Invitation, *, connection: BaseEmailBackend) -> None:
    """Render and send; outside any transaction, since SMTP is slow and a
    rollback cannot unsend a mail."""
    try:
        message = render_invitation(invitation)
    except Exception as error:
        # A template or data error: every retry would fail the same way, and
        # the row must not wait in `sending` for its lease over and over.
        raise PermanentSendError(f"Could not render the mail: {error!r}") from error
    message.connection = connection
    open_connection(connection)
    try:
        message.send()
    except smtplib.SMTPResponseException as error:
        # 4xx: try later; 5xx: the server refuses this mail for good.
        text = f"SMTP {error.smtp_code}: {error.smtp_error!r}"
        if 400 <= error.smtp_code < 500:
            # 421: the server is shutting the channel, for every mail.
            unreachable = error.smtp_code == 421
            raise TransientSendError(text, unreachable=unreachable) from error
        raise PermanentSendError(text) from error
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _message in error.recipients.values()]
        kind = (
            TransientSendError
            if all(400 <= c < 500 for c in codes)
            else PermanentSendError
        )
        raise kind(f"Recipient refused: {error.recipients!r}") from error
    except (TimeoutError, smtplib.SMTPException, OSError) as error:
        # Dropped mid-batch (servers close idle or long sessions): this mail
        # is tried again later, the next one reconnects.
        raise TransientSendError(f"{type(error).__name__}: {error}") from error
    except ValueError as error:  # an address Django cannot encode
        raise PermanentSendError(f"Could not send the mail: {error}") from error


def open_connection(connection: BaseEmailBackend) -> None:
    """Connect unless connected. Opened here, the connection stays open for
    the whole batch (a backend closes after sending a connection it had to
    open itself); failing here, no mail of the batch can get through."""
    try:
        connection.open()
    except (TimeoutError, smtplib.SMTPException, OSError) as error:
        raise TransientSendError(
            f"{type(error).__name__}: {error}", unreachable=True
        ) from error


def put_back_fields(
    invitation: Invitation, error: Exception, *, now: datetime
) -> dict[str, object]:
    again = now + backoff(invitation.attempts)  # counted by the claim
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
    trial = variant("reminder_delay", invitation, now=now)
    next_reminder = now + (
        timedelta(hours=trial["hours"])
        if trial
        else timedelta(days=survey.reminder_delay_days)
    )
    wants_more = reminders < survey.max_reminders and next_reminder < expires_at
    return {
        "status": Status.SENT,
        "sent_at": first_sent,
        "reminders_sent": reminders,
        "next_reminder_at": next_reminder if wants_more else None,
        "expires_at": expires_at,
        "last_error": "",
    }


def mark(
    invitation: Invitation, fields: dict[str, object], *, sent: bool = False
) -> None:
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
            # The mark and the event it announces commit together; a
            # savepoint would only matter inside a caller's transaction.
            with transaction.atomic(savepoint=False):
                ours = Invitation.objects.filter(
                    id=invitation.pk,
                    status=Status.SENDING,
                    claimed_at=invitation.claimed_at,
                ).update(**fields, claimed_at=None, queued_at=None, updated_at=now)
                if not ours and sent:
                    Invitation.objects.filter(id=invitation.pk).update(
                        **bookkeeping, updated_at=now
                    )
                if sent and invitation.sent_at is None:  # the first mail
                    announce_sent(invitation.pk)
            return
        except DatabaseError:
            logger.warning("Marking invitation %s failed", invitation.pk, exc_info=True)
            clock.sleep(0.5 * 2**attempt)
    logger.error("Invitation %s left to its lease", invitation.pk)


def announce_sent(invitation_id: int) -> None:
    """The `invitation_sent` hook, in a savepoint of the mark's transaction.
    A handler that fails for any reason but the database's loses its event
    (logged), never the mark: an unmarked invitation is mailed again after
    its lease, and a second mail is worse than a missing webhook."""
    try:
        with transaction.atomic():
            hooks.announce("invitation_sent", invitation_id=invitation_id)
    except DatabaseError:
        raise
    except Exception:
        logger.exception("The invitation_sent hook failed for %s", invitation_id)


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
            "question": question_for(invitation, language, now=timezone.now()),
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


def question_for(invitation: Invitation, language: str, *, now: datetime) -> str:
    """The question the invitation asks in `language`, in its mail and on its
    page alike: a running pilot's variant of the survey's mail text for this
    customer, else the survey's own."""
    trial = variant("survey_mail_text", invitation, now=now) or {}
    own = trial.get("question_zh_hans" if language == "zh-hans" else "question_en")
    return (own or "").strip() or invitation.survey.question_in(language)


def variant(
    setting: str, invitation: Invitation, *, now: datetime
) -> dict[str, Any] | None:
    """A running pilot's value of one of the survey's settings for the
    invitation's customer; None: the survey's own."""
    return pilot_variant(
        setting,
        customer_id=invitation.customer_id,
        survey_id=invitation.survey_id,
        now=now,
    )


def mail_headers(invitation: Invitation, *, unsubscribe_url: object) -> dict[str, str]:
    """A Message-ID stable for this mail (a retry sends the same one, so a
    duplicate is recognisable) and RFC 8058 one-click unsubscribe."""
    number = invitation.reminders_sent + (invitation.sent_at is not None)
    return {
        "Message-ID": emails.message_id(f"invitation-{invitation.pk}.{number}"),
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
