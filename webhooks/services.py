"""Signed webhooks: subscriptions, events and their delivery.

Emission. The lower apps announce what happened through `lib.hooks`
(settings.HOOKS names the handlers below). A handler runs in the transaction
of the change: it writes one Event (the object as the API serializes it) and
one Delivery per active subscription that wants the type, and asks a task to
deliver each after the commit. So no event is lost, and none goes out for a
change that was rolled back. Without a subscription for the type, nothing is
written.

Delivery. `deliver` claims its row with a conditional UPDATE that moves
`next_attempt_at` a lease ahead (a dead worker's claim runs out by itself),
then POSTs outside any transaction, within WEBHOOK_TIMEOUT_SECONDS in all,
with no redirects followed, to an address resolved and checked just before
(no loopback, private or link-local address unless
WEBHOOK_ALLOW_PRIVATE_URLS): the connection goes to the checked address, so
a second DNS answer cannot switch it. Only our own short error is kept
("HTTP 500", "timed out"), never the receiver's body. A 2xx answer is a
success; anything else is retried with exponential backoff (the survey
mail's: doubling from a minute, at most an hour) until WEBHOOK_RETRY_HOURS
after the event, then the delivery is failed.
Beat runs `queue_due` every minute for retries and lost task messages (a
delivery asked for is asked again only once `queued_at` is a lease old). A
worker that dies after the receiver got the POST but before the success was
written causes one duplicate: receivers tell them apart by the event id.

The request. Body: `{"id", "type", "created_at", "data"}`. Headers:
`Touchloop-Event-Id`, `Touchloop-Event-Type` and
`Touchloop-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` of
`f"{t}.{raw body}"` keyed with the subscription's secret. A receiver
recomputes the HMAC over the raw bytes, compares in constant time and
refuses a timestamp more than SIGNATURE_TOLERANCE away from its clock: a
captured request cannot be replayed later (README, "Webhooks").

The disable rule. Each failed attempt counts towards the subscription's
`consecutive_failures`, each success resets it. Once it reaches
WEBHOOK_DISABLE_AFTER_FAILURES and nothing succeeded for
WEBHOOK_DISABLE_AFTER_HOURS (since the last success, or the subscription's
creation), the subscription is deactivated and its owner mailed. Both
conditions: a burst of events during a short outage makes many failures in
minutes, and a receiver that is down a day yet gets few events fails rarely.
"""

import hashlib
import hmac
import http.client
import io
import json
import logging
import smtplib
import socket
import ssl
import time as clock
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers as drf_serializers

from customers.models import Customer, Interaction
from customers.serializers import CustomerSerializer, InteractionSerializer
from feedback.models import CaseEvent
from feedback.serializers import CaseSerializer
from feedback.services import alerts
from lib import emails
from lib.api import UtcDateTimeField
from lib.backoff import backoff
from lib.validation import save_validated
from surveys.models import Invitation, SurveyResponse
from surveys.serializers import InvitationSerializer, SurveyResponseSerializer
from webhooks import tasks
from webhooks.models import (
    PING,
    Delivery,
    DeliveryAttempt,
    Event,
    Subscription,
    is_public_address,
)

logger = logging.getLogger(__name__)
Status = Delivery.Status

SIGNATURE_HEADER = "Touchloop-Signature"
SIGNATURE_TOLERANCE = timedelta(minutes=5)
# The longest error kept. Errors are ours ("HTTP 500", "timed out"): the
# receiver's body is never stored, it may hold anything.
MAX_ERROR_LENGTH = 300
CASE_EVENT_TYPES = {
    CaseEvent.Kind.OPENED: "case.opened",
    CaseEvent.Kind.CONTACTED: "case.contacted",
    CaseEvent.Kind.CLOSED: "case.closed",
    CaseEvent.Kind.ESCALATED: "case.escalated",
}


# Subscriptions


def create_subscription(
    *, owner: User, url: str, event_types: list[str], is_active: bool = True
) -> Subscription:
    return save_validated(
        Subscription(owner=owner, url=url, event_types=event_types, is_active=is_active)
    )


def update_subscription(subscription: Subscription, **changes: Any) -> Subscription:
    """Change the URL, the event types or `is_active`; switching a disabled
    subscription on again starts its failure count afresh."""
    was_active = subscription.is_active
    for name, value in changes.items():
        setattr(subscription, name, value)
    if subscription.is_active and not was_active:
        subscription.consecutive_failures = 0
        subscription.disabled_at, subscription.disabled_reason = None, ""
    return save_validated(subscription)


def delete_subscription(subscription: Subscription) -> None:
    """With its deliveries and their log; events stay for other subscribers."""
    subscription.delete()


def reenable(subscription: Subscription) -> Subscription:
    return update_subscription(subscription, is_active=True)


def rotate_secret(subscription: Subscription) -> Subscription:
    """A new secret at once: requests signed from now on use it (a delivery
    retried later too)."""
    subscription.secret = Subscription._meta.get_field("secret").get_default()
    subscription.save(update_fields=["secret", "updated_at"])
    return subscription


def visible_to(user: Any) -> Q:
    """Everyone's subscriptions for managers and superusers; one's own else."""
    if user.has_perm("webhooks.manage_any_subscription"):
        return Q()
    return Q(owner_id=user.pk)


# Emission


def representation(
    serializer_class: type[drf_serializers.Serializer[Any]], obj: Any
) -> Any:
    """The object exactly as the API returns it, as JSON values."""
    return json.loads(json.dumps(serializer_class(obj).data))


def emit(
    event_type: str,
    data: Callable[[], Any],
    *,
    subscriptions: Iterable[Subscription] | None = None,
) -> Event | None:
    """Write the event and its deliveries in the caller's transaction, and
    ask for each delivery after the commit. `data` is called only when some
    subscription wants the event: most changes have no subscriber, and
    serializing costs queries."""
    if subscriptions is None:
        subscriptions = [
            subscription
            for subscription in Subscription.objects.filter(
                is_active=True, owner__is_active=True
            ).only("id", "event_types")
            # In Python, not with `event_types__contains`: SQLite has no JSON
            # containment, and the subscriptions are a handful.
            if event_type in subscription.event_types
        ]
    subscriptions = list(subscriptions)
    if not subscriptions:
        return None
    now = timezone.now()
    event = Event.objects.create(type=event_type, created_at=now, payload=data())
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            subscription=subscription, event=event, next_attempt_at=now, queued_at=now
        )
        for subscription in subscriptions
    )
    for delivery in deliveries:
        # Robust: a broker that cannot be reached must not turn the change,
        # committed already, into an error; the delivery is due, and the
        # sweep sends it.
        transaction.on_commit(enqueue(delivery.pk), robust=True)
    return event


def enqueue(delivery_id: int) -> Callable[[], None]:
    # A named function, not a partial: Django names it when logging a failure.
    def deliver_webhook() -> None:
        tasks.deliver_webhook_task.delay(delivery_id)

    return deliver_webhook


def on_interaction_created(*, interaction: Interaction) -> None:
    emit(
        "interaction.created",
        lambda: representation(InteractionSerializer, interaction),
    )


def on_invitation_sent(*, invitation_id: int) -> None:
    def data() -> Any:
        invitation = Invitation.objects.get(id=invitation_id)
        return representation(InvitationSerializer, invitation)

    emit("invitation.sent", data)


def on_response_recorded(*, response: SurveyResponse, created: bool) -> None:
    emit(
        "response.created" if created else "response.updated",
        lambda: representation(SurveyResponseSerializer, response),
    )


def on_customer_unsubscribed(*, customer_id: int) -> None:
    emit(
        "customer.unsubscribed",
        lambda: representation(
            CustomerSerializer, Customer.objects.get(id=customer_id)
        ),
    )


def on_case_event(*, case_event: CaseEvent) -> None:
    event_type = CASE_EVENT_TYPES.get(case_event.kind)  # type: ignore[call-overload]
    if event_type is not None:
        emit(event_type, lambda: representation(CaseSerializer, case_event.case))


@transaction.atomic
def send_test_event(subscription: Subscription) -> Delivery:
    """A ping to this subscription alone, active or not: a way to check the
    receiver before switching a disabled subscription on again."""
    event = emit(
        PING,
        lambda: {
            "subscription": subscription.pk,
            "message": "A test event from Touchloop.",
        },
        subscriptions=[subscription],
    )
    assert event is not None  # noqa: S101 (one subscription was given)
    return Delivery.objects.get(event=event)


# The request


def body_of(event: Event) -> bytes:
    created_at = UtcDateTimeField().to_representation(event.created_at)
    document = {
        "id": str(event.id),
        "type": event.type,
        "created_at": created_at,
        "data": event.payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, *, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(header: str, *, secret: str, body: bytes, now: datetime) -> bool:
    """What a receiver does (README, "Webhooks"): the same HMAC over the raw
    body, compared in constant time, and a timestamp within the tolerance."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > SIGNATURE_TOLERANCE.total_seconds():
        return False
    expected = signature(secret, timestamp=timestamp, body=body).encode()
    # Bytes: compare_digest refuses a str with non-ASCII characters.
    given = f"t={timestamp},v1={parts.get('v1', '')}".encode()
    return hmac.compare_digest(expected, given)


class PrivateAddressError(Exception):
    """The URL's host resolves to an address webhooks may not reach."""


AddressInfo = tuple[Any, ...]  # one answer of socket.getaddrinfo


def checked_address(host: str, port: int) -> AddressInfo:
    """Resolve the host and return the address to connect to; refuse the
    host when any of its addresses is local or private (unless
    WEBHOOK_ALLOW_PRIVATE_URLS). The connection goes to this address, not to
    the name: a second lookup could answer otherwise (DNS rebinding)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        for *_, sockaddr in found:
            if not is_public_address(str(sockaddr[0])):
                raise PrivateAddressError(
                    f"refused: {host} is a local or private address"
                )
    return found[0]


def connect_to(address: AddressInfo, timeout: float | None) -> socket.socket:
    """A socket connected to the address itself: no second lookup."""
    family, kind, protocol, _, sockaddr = address
    sock = socket.socket(family, kind, protocol)
    try:
        sock.settimeout(timeout)
        sock.connect(sockaddr)
    except OSError:
        sock.close()
        raise
    return sock


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a checked address; the Host header keeps the name."""

    def __init__(
        self, host: str, port: int, *, address: AddressInfo, timeout: float
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = connect_to(self.address, self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to a checked address; SNI and the certificate check use the
    name of the URL, as for any https request."""

    def __init__(
        self, host: str, port: int, *, address: AddressInfo, timeout: float
    ) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = connect_to(self.address, self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


class DeadlineReader(io.RawIOBase):
    """The socket as the response reads it, each read given only what is
    left of the delivery's time: a receiver dripping its headers a byte at a
    time cannot hold a worker past the deadline (the socket's timeout alone
    is per read)."""

    def __init__(self, sock: socket.socket, deadline: float):
        self.sock, self.deadline = sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - clock.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        self.sock.settimeout(left)
        return self.sock.recv_into(buffer)


def response_class(deadline: float) -> Callable[..., http.client.HTTPResponse]:
    def response(sock: socket.socket, **kwargs: Any) -> http.client.HTTPResponse:
        reply = http.client.HTTPResponse(sock, **kwargs)
        reply.fp.close()
        reply.fp = io.BufferedReader(DeadlineReader(sock, deadline))
        return reply

    return response


@dataclass
class Outcome:
    status_code: int | None
    response_ms: int
    error: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(subscription: Subscription, event: Event, *, now: datetime) -> Outcome:
    """POST the event; the outcome keeps the status code, the time taken and
    an error of ours, never the receiver's body. No redirect is followed (a
    3xx is an answer: following could send the event to a host nobody
    subscribed)."""
    body = body_of(event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Touchloop-Webhooks/1",
        "Touchloop-Event-Id": str(event.id),
        "Touchloop-Event-Type": event.type,
        SIGNATURE_HEADER: signature(
            subscription.secret, timestamp=int(now.timestamp()), body=body
        ),
    }
    started = clock.monotonic()
    deadline = started + settings.WEBHOOK_TIMEOUT_SECONDS
    status_code, error = None, ""
    try:
        status_code = send(subscription.url, body, headers, deadline=deadline)
    except PrivateAddressError as refusal:
        error = str(refusal)
    except socket.gaierror:
        error = "host not found"
    except TimeoutError:
        error = "timed out"
    except ConnectionRefusedError:
        error = "connection refused"
    except ConnectionResetError:
        error = "connection reset"
    except ssl.SSLCertVerificationError:
        error = "TLS certificate not valid"
    except ssl.SSLError:
        error = "TLS error"
    except http.client.HTTPException:
        error = "not a valid HTTP response"
    except (OSError, ValueError):
        error = "connection failed"
    elapsed = round((clock.monotonic() - started) * 1000)
    if status_code is not None and not 200 <= status_code < 300:
        error = f"HTTP {status_code}"
    return Outcome(status_code, elapsed, error[:MAX_ERROR_LENGTH])


def send(url: str, body: bytes, headers: dict[str, str], *, deadline: float) -> int:
    """The status code of a POST to the URL (http or https: the model's
    validator refuses any other scheme). The body of the answer is not read."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    address = checked_address(host, port)
    connection_class = PinnedHTTPSConnection if https else PinnedHTTPConnection
    left = max(deadline - clock.monotonic(), 0.001)
    connection = connection_class(host, port, address=address, timeout=left)
    connection.response_class = response_class(deadline)  # type: ignore[assignment]
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


# Delivery


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


def purge_old(*, now: datetime, batch: int = 1000) -> int:
    """Delete events older than WEBHOOK_KEEP_DAYS, with their deliveries and
    log, in batches (a short lock each); every delivery of them is finished
    by then. Returns how many events went."""
    before = now - timedelta(days=settings.WEBHOOK_KEEP_DAYS)
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
            language=alerts.language_of(owner),
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
