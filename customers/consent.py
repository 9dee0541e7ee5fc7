"""Consent with its history: recording a grant or a withdrawal, and the
state that follows from the history.

Every change is a new ConsentEvent (append-only). A customer's consent to a
purpose is their latest event for it; with none, the purpose's default:

- surveys: granted. Asking for feedback after an interaction is what the
  customer expects, and every mail carries a one-click unsubscribe that
  withdraws it. Its withdrawal is mirrored on `Customer.email_opted_out_at`
  (in the same transaction), which survey eligibility reads.
- marketing, cross_border: not granted until the customer grants them.
- profiling: granted, except for customers under a jurisdiction that asks
  for explicit consent (settings.PRIVACY_PROFILING_CONSENT_JURISDICTIONS;
  China by default, and a customer of unknown jurisdiction who reads
  Simplified Chinese counts as Chinese: better unprofiled than profiled
  without a lawful basis).

For lists, `with_consent` annotates a queryset of customers with each
purpose's state (one subquery per purpose, whatever the number of rows),
and `profilable` keeps the customers who may be profiled.
"""

import ipaddress
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import (
    ConsentEvent,
    ConsentPurpose,
    ConsentSource,
    Customer,
    Language,
)
from lib import hooks

Purpose = ConsentPurpose
Source = ConsentSource

ERASED_MESSAGE = _("This customer was erased: nothing more is recorded about them.")
USER_AGENT_LENGTH = 200
IPV4_PREFIX = 24
IPV6_PREFIX = 48
# The state of a purpose with no event yet (profiling: see requires_consent_q).
DEFAULTS: dict[str, bool] = {
    Purpose.SURVEYS: True,
    Purpose.MARKETING: False,
    Purpose.PROFILING: True,
    Purpose.CROSS_BORDER: False,
}


def truncated_ip(address: str) -> str:
    """The network the address is in, never the address: IPv4 /24, IPv6 /48
    (an IPv4 address written as IPv6 counts as IPv4). Blank for no address
    or one that does not parse."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def truncated_user_agent(user_agent: str) -> str:
    """One line of printable text, at most USER_AGENT_LENGTH characters."""
    printable = "".join(ch if ch.isprintable() else " " for ch in user_agent)
    return " ".join(printable.split())[:USER_AGENT_LENGTH]


def policy_version() -> str:
    return str(settings.PRIVACY_POLICY_VERSION)


@transaction.atomic
def record_consent(
    customer: Customer,
    *,
    purpose: str,
    granted: bool,
    source: str,
    now: datetime | None = None,
    ip_address: str = "",
    user_agent: str = "",
    staff_member: User | None = None,
    version: str | None = None,
) -> ConsentEvent:
    """Append one event to the customer's consent history. The evidence is
    truncated here (the IP to its network, the user agent to one short
    line), whoever calls. Withdrawing survey consent opts the customer out
    of survey mail and cancels what was still to be sent (the surveys app,
    through the `survey_consent_withdrawn` hook); granting it opts them in
    again. An erased customer's history is closed: ValidationError."""
    if purpose not in Purpose.values:
        raise ValueError(f"unknown consent purpose {purpose!r}")
    if source not in Source.values:
        raise ValueError(f"unknown consent source {source!r}")
    if customer.erased_at is not None:
        raise ValidationError(ERASED_MESSAGE, code="erased")
    now = now or timezone.now()
    event = ConsentEvent.objects.create(
        customer=customer,
        purpose=purpose,
        granted=granted,
        source=source,
        policy_version=policy_version() if version is None else version,
        ip_network=truncated_ip(ip_address),
        user_agent=truncated_user_agent(user_agent),
        staff_member=staff_member,
        created_at=now,
    )
    if purpose == Purpose.SURVEYS:
        mirror_survey_consent(customer, granted=granted, now=now)
    return event


def mirror_survey_consent(customer: Customer, *, granted: bool, now: datetime) -> None:
    customers = Customer.objects.filter(pk=customer.pk)
    if granted:
        customers.exclude(email_opted_out_at=None).update(
            email_opted_out_at=None, updated_at=now
        )
        customer.email_opted_out_at = None
        return
    opted_out = customers.filter(email_opted_out_at=None).update(
        email_opted_out_at=now, updated_at=now
    )
    if opted_out:
        customer.email_opted_out_at = now
        hooks.announce("customer_unsubscribed", customer_id=customer.pk)
    hooks.announce("survey_consent_withdrawn", customer_id=customer.pk, now=now)


@dataclass(frozen=True)
class ConsentState:
    """A customer's consent to one purpose: `event` is the latest event,
    None when there is none and `granted` is the default."""

    purpose: str
    granted: bool
    event: ConsentEvent | None

    @property
    def is_default(self) -> bool:
        return self.event is None


def requires_profiling_consent(customer: Customer) -> bool:
    """Whether the customer's jurisdiction asks for explicit profiling consent."""
    jurisdictions = explicit_jurisdictions()
    if customer.jurisdiction:
        return customer.jurisdiction in jurisdictions
    return "CN" in jurisdictions and customer.language == Language.ZH_HANS


def requires_consent_q() -> Q:
    """requires_profiling_consent as a filter on customers."""
    jurisdictions = explicit_jurisdictions()
    condition = Q(jurisdiction__in=jurisdictions)
    if "CN" in jurisdictions:
        condition |= Q(jurisdiction="", language=Language.ZH_HANS)
    return condition


def explicit_jurisdictions() -> list[str]:
    return list(settings.PRIVACY_PROFILING_CONSENT_JURISDICTIONS)


def default_for(customer: Customer, purpose: str) -> bool:
    if purpose == Purpose.PROFILING and requires_profiling_consent(customer):
        return False
    return DEFAULTS[purpose]


def consent_state(customer: Customer) -> dict[str, ConsentState]:
    """Each purpose's state for one customer, in one query."""
    latest: dict[str, ConsentEvent] = {}
    events = ConsentEvent.objects.filter(customer=customer).order_by(
        "-created_at", "-id"
    )
    for event in events:
        latest.setdefault(event.purpose, event)
    return {
        purpose: ConsentState(
            purpose=purpose,
            granted=(
                latest[purpose].granted
                if purpose in latest
                else default_for(customer, purpose)
            ),
            event=latest.get(purpose),
        )
        for purpose in Purpose.values
    }


def is_granted(customer: Customer, purpose: str) -> bool:
    return consent_state(customer)[purpose].granted


def may_profile(customer: Customer) -> bool:
    """Whether the customer may be profiled (per-person analytics)."""
    return is_granted(customer, Purpose.PROFILING)


def latest_granted(purpose: str) -> Subquery:
    """The `granted` of the customer's (OuterRef("pk")) latest event for the
    purpose, NULL when there is none; read from consent_latest_idx."""
    return Subquery(
        ConsentEvent.objects.filter(customer=OuterRef("pk"), purpose=purpose)
        .order_by("-created_at", "-id")
        .values("granted")[:1],
        output_field=BooleanField(),
    )


def default_expression(purpose: str) -> Case | Value:
    if purpose != Purpose.PROFILING:
        return Value(DEFAULTS[purpose])
    return Case(
        When(requires_consent_q(), then=Value(False)),
        default=Value(DEFAULTS[purpose]),
        output_field=BooleanField(),
    )


def consent_annotation(purpose: str) -> str:
    return f"consent_{purpose}"


def consent_expression(purpose: str) -> Coalesce:
    """The customer's (a row of the query) consent to the purpose: their
    latest event's, else the default."""
    return Coalesce(
        latest_granted(purpose),
        default_expression(purpose),
        output_field=BooleanField(),
    )


def with_consent(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """Customers annotated with `consent_<purpose>` (True: granted) for every
    purpose, derived from the history as consent_state does; in the same
    query, whatever the number of rows."""
    return customers.annotate(
        **{
            consent_annotation(purpose): consent_expression(purpose)
            for purpose in Purpose.values
        }
    )


def profilable(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """The customers who may be profiled, as a filter of the same query."""
    return customers.alias(may_profile=consent_expression(Purpose.PROFILING)).filter(
        may_profile=True
    )


def not_profilable(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """The customers who may not be profiled. Only those whose jurisdiction
    asks for consent, or who have a profiling event, are looked at: on a
    large table that is a small part (the others may be profiled)."""
    has_event = Exists(
        ConsentEvent.objects.filter(customer=OuterRef("pk"), purpose=Purpose.PROFILING)
    )
    return (
        customers.filter(requires_consent_q() | Q(has_event))
        .alias(may_profile=consent_expression(Purpose.PROFILING))
        .filter(may_profile=False)
    )
