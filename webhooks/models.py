"""Signed webhooks: who wants which events where (Subscription), what
happened (Event, written in the transaction of the change it announces) and
the outbox of deliveries with their log (Delivery, DeliveryAttempt)."""

import ipaddress
import secrets
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

# The events a subscription may ask for, in the order the admin lists them.
EVENT_TYPES = [
    "interaction.created",
    "invitation.sent",
    "response.created",
    "response.updated",
    "response.analysed",
    "case.opened",
    "case.contacted",
    "case.closed",
    "case.escalated",
    "customer.unsubscribed",
    "customer.erased",
]
# Sent only by "send test event", to the one subscription tested.
PING = "ping"
URL_MAX_LENGTH = 500


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(32)


def validate_event_types(value: object) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Choose at least one event type."), code="empty")
    unknown = [name for name in value if name not in EVENT_TYPES]
    if unknown:
        raise ValidationError(
            _("Unknown event types: %(names)s. Choose from: %(choices)s.")
            % {
                "names": ", ".join(map(str, unknown)),
                "choices": ", ".join(EVENT_TYPES),
            },
            code="unknown",
        )
    if len(set(value)) != len(value):
        raise ValidationError(_("Name each event type once."), code="duplicate")


# IPv6 prefixes whose addresses carry an IPv4 one in their last 32 bits:
# IPv4-compatible (deprecated) and NAT64's well-known and local-use prefixes.
IPV4_IN_LAST_32_BITS = [
    ipaddress.IPv6Network("::/96"),
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
]


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: 6to4 (2002:aabb:ccdd::/48),
    Teredo (its server and its client), IPv4-compatible and NAT64 forms. A
    relay or translator on the way would deliver to them, so each is checked
    like the address itself."""
    found = [ip.sixtofour, *(ip.teredo or ())]
    if any(ip in network for network in IPV4_IN_LAST_32_BITS):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [address for address in found if address is not None]


def is_public_address(address: str) -> bool:
    """False for loopback, private, link-local, multicast, reserved and
    unspecified addresses, and for IPv6 ones that embed such an IPv4 address
    (mapped, 6to4, Teredo, IPv4-compatible, NAT64): a webhook must not reach
    the cloud's metadata service or a database next door."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        # ::ffff:a.b.c.d is the IPv4 address itself, written for IPv6 sockets.
        ip = ip.ipv4_mapped
    inner = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else []
    return all(
        each.is_global
        and not (
            each.is_loopback
            or each.is_private
            or each.is_link_local
            or each.is_multicast
            or each.is_reserved
            or each.is_unspecified
        )
        for each in [ip, *inner]
    )


def validate_public_url(value: str) -> None:
    """At save, what can be told without DNS: a literal private IP or
    localhost. A name resolving to one is refused when sending."""
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        return
    try:
        host = (urlsplit(value).hostname or "").rstrip(".").lower()
    except ValueError:
        return  # the URLValidator says what is wrong
    if host == "localhost" or host.endswith(".localhost"):
        refused = True
    else:
        try:
            refused = not is_public_address(host)
        except ValueError:
            refused = False  # a name, not an address
    if refused:
        raise ValidationError(
            _("Webhooks cannot be sent to %(host)s: it is a local or private address.")
            % {"host": host},
            code="private_address",
        )


class Subscription(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
    )
    url = models.CharField(
        _("URL"),
        max_length=URL_MAX_LENGTH,
        validators=[URLValidator(schemes=["http", "https"]), validate_public_url],
        help_text=_("Where events are POSTed: an http or https URL."),
    )
    event_types = models.JSONField(
        _("event types"), default=list, validators=[validate_event_types]
    )
    secret = models.CharField(
        _("secret"),
        max_length=100,
        default=new_secret,
        help_text=_("Signs every request (Touchloop-Signature)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Failed attempts since the last success; the disable rule reads it.
    consecutive_failures = models.PositiveIntegerField(
        _("consecutive failures"), default=0
    )
    last_succeeded_at = models.DateTimeField(
        _("last succeeded at"), null=True, blank=True
    )
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.CharField(_("disabled reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        permissions = [
            (
                "manage_any_subscription",
                _("Can see and change every user's webhook subscriptions"),
            )
        ]

    def __str__(self) -> str:
        return self.url


class Event(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(_("type"), max_length=50)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The object as the API shows it, frozen when the event happened.
    payload = models.JSONField(_("payload"), default=dict)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        indexes = [
            models.Index(fields=["created_at"]),
            # Erasure finds the events about a person by the ids in their
            # payload (privacy.services.erasure.scrub_webhook_events), and an
            # answer's edit its latest response.updated; without these, each
            # reads every event kept. Their words are found by the trigram
            # index of migration 0004 (PostgreSQL only).
            models.Index(
                KeyTransform("customer", "payload"), name="webhook_event_customer_idx"
            ),
            models.Index(KeyTransform("id", "payload"), name="webhook_event_about_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class Delivery(models.Model):
    """The outbox row of one event for one subscription."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.ForeignKey(
        Event,
        verbose_name=_("event"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When a worker may try (again). A claim moves it a lease ahead, so the
    # claim of a dead worker runs out by itself; null once finished.
    next_attempt_at = models.DateTimeField(
        _("next attempt at"), null=True, blank=True, default=timezone.now
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    # When a task was last asked for it, until a worker claims it: the sweep
    # asks again only once that is a lease old (the task message was lost).
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last status code"), null=True, blank=True
    )
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="one_delivery_per_event"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_due",
            ),
            models.Index(fields=["subscription", "-id"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription}"


class DeliveryAttempt(models.Model):
    """The delivery log: one row per POST."""

    delivery = models.ForeignKey(
        Delivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        related_name="attempt_log",
    )
    attempted_at = models.DateTimeField(_("attempted at"))
    status_code = models.PositiveSmallIntegerField(
        _("status code"), null=True, blank=True
    )
    response_ms = models.PositiveIntegerField(_("response time (ms)"))
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["id"]

    def __str__(self) -> str:
        at = localtime(self.attempted_at)
        return f"{date_format(at)} {time_format(at, 'H:i:s')} {self.status_code or '—'}"
