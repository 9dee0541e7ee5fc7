"""Case alerts: the owner's mail, the managers' escalation mail and a short
line in a chat channel (a Slack-compatible incoming webhook).

`queue` writes Alert rows in the transaction of the case event they announce
and asks a task to deliver them after the commit; the rows' unique
constraints mean one alert per event, channel and recipient, and the claim in
`deliver` means one delivery at a time. A worker that dies after the mail
server accepted an alert and before marking it sent causes one duplicate
(same Message-ID); every other failure is retried with a backoff.

An alert that has not gone out when the case moves on is dropped in the
transaction of the change (`drop_pending`, `drop_previous_owners`): the
customer was contacted, the case closed, or it went to another owner, who is
alerted instead.
"""

import json
import smtplib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max, QuerySet
from django.urls import reverse
from django.utils import translation

from feedback import tasks
from feedback.models import Alert, Case, CaseEvent, StaffPreference
from feedback.services import outbox
from lib import emails

# With the survey mail's backoff (doubling, at most an hour), 30 attempts
# span about a day.
MAX_ATTEMPTS = 30
CHAT_TIMEOUT_SECONDS = 10


class ChatError(Exception):
    pass


def queue(
    event: CaseEvent,
    *,
    recipients: Iterable[User],
    chat: bool = False,
    delay: timedelta = timedelta(0),
) -> None:
    """Alerts for `event`: a mail to each recipient with an address, and a
    chat line when `chat` and a webhook is configured, due after `delay`
    (the sweep sends what the first task found not due yet)."""
    now = event.created_at
    due = now + delay
    rows = [
        Alert(
            event=event,
            channel=Alert.Channel.EMAIL,
            recipient=user,
            created_at=now,
            next_attempt_at=due,
        )
        for user in recipients
        if user.email and user.is_active
    ]
    if chat and settings.CASE_CHAT_WEBHOOK_URL:
        rows.append(
            Alert(
                event=event,
                channel=Alert.Channel.CHAT,
                created_at=now,
                next_attempt_at=due,
            )
        )
    if not rows:
        return
    ids = [alert.pk for alert in Alert.objects.bulk_create(rows)]
    for alert_id in ids:
        # Robust: a broker that cannot be reached must not turn the answer or
        # the staff action, committed already, into an error; the alert row
        # is due, and the sweep sends it.
        transaction.on_commit(enqueue(alert_id), robust=True)


def enqueue(alert_id: int) -> Callable[[], None]:
    # A named function, not a partial: Django names it when logging a failure.
    def deliver_alert() -> None:
        tasks.deliver_alert_task.delay(alert_id)

    return deliver_alert


# The events whose alerts are addressed to the case's owner as its owner.
OWNER_EVENTS = [CaseEvent.Kind.ASSIGNED, CaseEvent.Kind.REOPENED]


def unsent(case: Case) -> QuerySet[Alert]:
    """The case's alerts that may still go out: neither sent, given up nor
    dropped (each of these takes the next attempt away). Filtered on the
    alert's own columns, not through a join, so that PostgreSQL checks the
    conditions again on a row a worker changed while this waited for it."""
    return unsent_of([case.pk])


def unsent_of(case_ids: Iterable[int]) -> QuerySet[Alert]:
    """`unsent` of several cases at once (an erasure closes them all)."""
    return Alert.objects.filter(
        event__in=CaseEvent.objects.filter(case_id__in=list(case_ids)).values("id"),
        sent_at__isnull=True,
        next_attempt_at__isnull=False,
    )


def drop(alerts: QuerySet[Alert], *, reason: str, now: datetime) -> int:
    """Drop the alerts; run in the transaction of the case's change. The
    UPDATE locks each row until the commit, as the claim in `deliver` does:
    a worker claiming one of them now waits, and then finds no attempt left.
    A row a worker claimed before is dropped too: it does not send it when
    it reads the row after this commit, nor try again after a failure
    (outbox.put_back); its mail may already be on its way."""
    return alerts.update(next_attempt_at=None, dropped_at=now, drop_reason=reason)


def drop_pending(case: Case, *, reason: str, now: datetime) -> int:
    """The customer was contacted or the case closed: every alert of the case
    not sent yet (the new case, its owner's, an escalation) is out of date."""
    return drop(unsent(case), reason=reason, now=now)


def drop_previous_owners(case: Case, *, previous: User, now: datetime) -> timedelta:
    """The case went to another owner: the previous owner's alerts not sent
    yet are dropped (alerts to them as a manager stay). Returns how long the
    new owner's alert waits: as long as the dropped one still had to wait
    for the comment that often follows the score (`queue`'s delay)."""
    theirs = unsent(case).filter(
        recipient=previous,
        event__in=CaseEvent.objects.filter(
            case_id=case.pk, kind__in=OWNER_EVENTS
        ).values("id"),
    )
    waiting = theirs.filter(attempts=0, next_attempt_at__gt=now)
    due = waiting.aggregate(latest=Max("next_attempt_at"))["latest"]
    drop(theirs, reason=Alert.DropReason.REASSIGNED, now=now)
    return due - now if due is not None else timedelta(0)


def queue_due(*, now: datetime, limit: int = 1000) -> int:
    """Ask for delivery of alerts whose time has come: a retry after a failure,
    a claim of a dead worker, or a task message that was lost. An alert whose
    last attempt died with its worker is given up."""
    ids = outbox.due_ids(Alert, now=now, max_attempts=MAX_ATTEMPTS, limit=limit)
    for alert_id in ids:
        tasks.deliver_alert_task.delay(alert_id)
    return len(ids)


def deliver(alert_id: int, *, now: datetime) -> str:
    """Send one alert unless it was sent or someone is sending it."""
    lease = timedelta(seconds=settings.CASE_ALERT_LEASE_SECONDS)
    if not outbox.claim(
        Alert, alert_id, now=now, lease=lease, max_attempts=MAX_ATTEMPTS
    ):
        return "not due"
    alert = Alert.objects.select_related(
        "recipient__preference",
        "event__case__customer",
        "event__case__owner",
        "event__case__response",
        "event__case__interaction__touchpoint",
    ).get(id=alert_id)
    if alert.dropped_at is not None:
        # Dropped after the claim and before this read: not sent.
        return "dropped"
    recipient = alert.recipient
    if alert.channel == Alert.Channel.EMAIL and (
        recipient is None or not recipient.email or not recipient.is_active
    ):
        outbox.give_up(Alert, alert_id, reason="The recipient has no address or left.")
        return "dropped"
    # Outside any transaction: a mail server or a chat service can be slow,
    # and nothing here can be rolled back once sent.
    try:
        if alert.channel == Alert.Channel.CHAT:
            post_to_chat(alert)
        else:
            send_mail(alert)
    except (smtplib.SMTPException, OSError, ChatError) as error:
        outbox.put_back(Alert, alert, error, max_attempts=MAX_ATTEMPTS)
        return "failed"
    outbox.mark_sent(Alert, alert_id)
    return "sent"


def case_link(case: Case) -> str:
    return settings.SITE_URL + reverse("admin:feedback_case_change", args=[case.pk])


def send_mail(alert: Alert) -> None:
    event, recipient = alert.event, alert.recipient
    if recipient is None:  # deliver drops these; the type does not know
        return
    case = event.case
    emails.send(
        "case_alert",
        to=recipient.email,
        language=StaffPreference.mail_language_of(recipient),
        context={
            "brand": settings.BRAND_NAME,
            "event": event,
            "kind": event.kind,
            "case": case,
            "customer": case.customer,
            "response": case.response,
            "interaction": case.interaction,
            "recipient": recipient,
            "link": case_link(case),
            "level": event.data.get("level"),
        },
        headers={"Message-ID": emails.message_id(f"case-alert-{alert.pk}")},
    )


def chat_escaped(text: object) -> str:
    """Slack's escaping: a customer's text cannot ping a channel (<!channel>)
    or disguise a link (<https://…|text>)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chat_text(case: Case) -> str:
    """One line, in the site's language: chat channels are shared."""
    with translation.override(settings.LANGUAGE_CODE):
        parts = [
            f"Case #{case.pk} ({case.get_reason_display()}, "
            f"{case.get_priority_display()}): {chat_escaped(case.customer)}"
        ]
        if case.response is not None:
            parts.append(f"scored {case.response.score}")
            if case.response.comment:
                parts.append(f"“{chat_escaped(case.response.comment[:140])}”")
        parts.append(f"owner: {chat_escaped(case.owner or 'nobody')}")
        return " — ".join(parts) + f" {case_link(case)}"


def post_to_chat(alert: Alert) -> None:
    body = json.dumps({"text": chat_text(alert.event.case)}).encode()
    # The URL is an http(s) one: settings.py refuses any other scheme.
    request = urllib.request.Request(  # noqa: S310
        settings.CASE_CHAT_WEBHOOK_URL,
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=CHAT_TIMEOUT_SECONDS
        ) as reply:
            status = reply.status
    except urllib.error.HTTPError as error:
        raise ChatError(f"the webhook answered {error.code}") from error
    if not 200 <= status < 300:
        raise ChatError(f"the webhook answered {status}")
