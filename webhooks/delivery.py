"""The delivery of webhook events: claim, POST, retry with backoff, give up,
and disable a subscription that keeps failing.

Delivery. `deliver` claims its row with a conditional UPDATE that moves
`next_attempt_at` a lease ahead (a dead worker's claim runs out by itself),
then POSTs outside any transaction, within WEBHOOK_TIMEOUT_SECONDS in all,
with no redirects followed, to an address resolved and checked just before
(`webhooks.http`). Only our own short error is kept ("HTTP 500", "timed
out"), never the receiver's body. A 2xx answer is a success; anything else
is retried with exponential backoff (the survey mail's: doubling from a
minute, at most an hour) until WEBHOOK_RETRY_HOURS after the event, then
the delivery is failed.
Beat runs `queue_due` every minute for retries and lost task messages (a
delivery asked for is asked again only once `queued_at` is a lease old). A
worker that dies after the receiver got the POST but before the success was
written causes one duplicate: receivers tell them apart by the event id.

The disable rule. Each failed attempt counts towards the subscription's
`consecutive_failures`, each success resets it. Once it reaches
WEBHOOK_DISABLE_AFTER_FAILURES and nothing succeeded for
WEBHOOK_DISABLE_AFTER_HOURS (since the last success, or the subscription's
creation), the subscription is deactivated and its owner mailed. Both
conditions: a burst of events during a short outage makes many failures in
minutes, and a receiver that is down a day yet gets few events fails rarely.
"""

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.models import StaffPreference
from lib import emails
from lib.backoff import backoff
from webhooks import tasks
from webhooks.http import Outcome, post
from webhooks.models import PING, Delivery, DeliveryAttempt, Event, Subscription

logger = logging.getLogger(__name__)
Status = Delivery.Status


def deadline_of(event: Event) -> datetime:
    return event.created_at + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)


def queue_due(*, now: datetime, limit: int = 1000) -> int:
    """Ask for delivery of what is due: a retry, a dead worker's claim, a task
    message lost (asked for over a lease ago and still not claimed). A
    delivery still pending past its event's deadline (its last claim died
    with a worker) is failed."""
    pending = Delivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
    late = timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    pending.filter(event__created_at__lte=now - late).update(
        status=Status.FAILED,
        next_attempt_at=None,
        claimed_at=None,
        last_error=_("Given up %(hours)s hours after the event.")
        % {"hours": settings.WEBHOOK_RETRY_HOURS},
    )
    # Not those asked for within the lease: their task is still in the queue.
    lost = now - timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    due = pending.filter(Q(queued_at=None) | Q(queued_at__lte=lost))
    ids = list(due.order_by("next_attempt_at").values_list("id", flat=True)[:limit])
    Delivery.objects.filter(id__in=ids).update(queued_at=now)
    for delivery_id in ids:
        tasks.deliver_webhook_task.delay(delivery_id)
    return len(ids)


def purge_old(*, now: datetime, batch: int = 1000, keep_days: int | None = None) -> int:
    """Delete events older than WEBHOOK_KEEP_DAYS (or `keep_days`, the
    privacy app's retention rule, which calls this nightly), with their
    deliveries and log, in batches (a short lock each); every delivery of
    them is finished by then. Returns how many events went."""
    days = settings.WEBHOOK_KEEP_DAYS if keep_days is None else keep_days
    before = now - timedelta(days=days)
    purged = 0
    while True:
        ids = list(
            Event.objects.filter(created_at__lt=before).values_list("id", flat=True)[
                :batch
            ]
        )
        if not ids:
            return purged
        with transaction.atomic():
            Event.objects.filter(id__in=ids).delete()
        purged += len(ids)


def deliver(delivery_id: int, *, now: datetime) -> str:
    """POST one delivery unless it is finished, not due, or being sent."""
    lease = timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    claimed = Delivery.objects.filter(
        id=delivery_id, status=Status.PENDING, next_attempt_at__lte=now
    ).update(
        next_attempt_at=now + lease,
        claimed_at=now,
        queued_at=None,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return "not due"
    delivery = Delivery.objects.select_related("subscription__owner", "event").get(
        id=delivery_id
    )
    subscription, event = delivery.subscription, delivery.event
    refusal = ""
    if not subscription.owner.is_active:
        refusal = _("The subscription's owner is inactive.")
    elif not subscription.is_active and event.type != PING:
        refusal = _("The subscription is inactive.")
    if refusal:
        Delivery.objects.filter(id=delivery_id).update(
            status=Status.FAILED,
            next_attempt_at=None,
            claimed_at=None,
            attempts=F("attempts") - 1,
            last_error=refusal,
        )
        return "inactive"
    # Outside any transaction: the receiver may take seconds to answer.
    outcome = post(subscription, event, now=now)
    if outcome.succeeded:
        record_success(delivery, outcome, now=now)
        return "succeeded"
    failed_for_good = record_failure(delivery, outcome, now=now)
    disabled = note_failure(subscription.pk, now=now)
    if disabled:
        tell_owner(subscription.pk)
    return "failed" if failed_for_good else "retry"


def log_attempt(delivery: Delivery, outcome: Outcome, *, now: datetime) -> None:
    DeliveryAttempt.objects.create(
        delivery=delivery,
        attempted_at=now,
        status_code=outcome.status_code,
        response_ms=outcome.response_ms,
        error=outcome.error,
    )


@transaction.atomic
def record_success(delivery: Delivery, outcome: Outcome, *, now: datetime) -> None:
    log_attempt(delivery, outcome, now=now)
    Delivery.objects.filter(id=delivery.pk).update(
        status=Status.SUCCEEDED,
        next_attempt_at=None,
        claimed_at=None,
        last_status_code=outcome.status_code,
        last_error="",
        delivered_at=timezone.now(),
    )
    Subscription.objects.filter(id=delivery.subscription_id).update(
        consecutive_failures=0, last_succeeded_at=now
    )


@transaction.atomic
def record_failure(delivery: Delivery, outcome: Outcome, *, now: datetime) -> bool:
    """Log the attempt and schedule the next, unless it would come after the
    event's deadline: then the delivery has failed. True when it has."""
    log_attempt(delivery, outcome, now=now)
    again: datetime | None = now + backoff(delivery.attempts)
    if again is not None and again > deadline_of(delivery.event):
        again = None
    Delivery.objects.filter(id=delivery.pk).update(
        status=Status.PENDING if again else Status.FAILED,
        next_attempt_at=again,
        claimed_at=None,
        last_status_code=outcome.status_code,
        last_error=outcome.error,
    )
    return again is None


def note_failure(subscription_id: int, *, now: datetime) -> bool:
    """Count a failed attempt; True when the subscription was disabled by it
    (by this call alone: the conditional UPDATE lets one worker do it)."""
    subscriptions = Subscription.objects.filter(id=subscription_id)
    subscriptions.update(consecutive_failures=F("consecutive_failures") + 1)
    quiet_since = now - timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS)
    reason = _(
        "%(count)s deliveries in a row failed and none succeeded for %(hours)s hours."
    ) % {
        "count": settings.WEBHOOK_DISABLE_AFTER_FAILURES,
        "hours": settings.WEBHOOK_DISABLE_AFTER_HOURS,
    }
    disabled = (
        subscriptions.filter(
            is_active=True,
            consecutive_failures__gte=settings.WEBHOOK_DISABLE_AFTER_FAILURES,
        )
        .filter(
            Q(last_succeeded_at__lte=quiet_since)
            | Q(last_succeeded_at=None, created_at__lte=quiet_since)
        )
        .update(is_active=False, disabled_at=now, disabled_reason=reason)
    )
    return bool(disabled)


def tell_owner(subscription_id: int) -> None:
    """Mail the owner that their subscription was disabled. Best effort: a
    mail server that is down leaves the admin's and the API's record of it."""
    subscription = Subscription.objects.select_related("owner").get(id=subscription_id)
    owner = subscription.owner
    if not owner.email or not owner.is_active:
        return
    link = settings.SITE_URL + reverse(
        "admin:webhooks_subscription_change", args=[subscription.pk]
    )
    try:
        emails.send(
            "webhook_disabled",
            to=owner.email,
            language=StaffPreference.mail_language_of(owner),
            context={
                "brand": settings.BRAND_NAME,
                "subscription": subscription,
                "owner": owner,
                "link": link,
            },
            headers={
                "Message-ID": emails.message_id(
                    f"webhook-disabled-{subscription.pk}-"
                    f"{subscription.disabled_at:%Y%m%d%H%M%S}"
                )
            },
        )
    except (smtplib.SMTPException, OSError):
        logger.exception("Could not tell the owner of webhook %s", subscription.pk)
