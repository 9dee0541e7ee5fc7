"""Privacy requests as tracked work: recorded, verified, then fulfilled or
refused, with a deadline (GDPR Art. 12(3): a month, extendable once with a
reason; PIPL Art. 50: promptly).

Fulfilling is asked for (`ask_fulfil`: the API's 202) and done by a task
(`fulfil`), which locks the request and finishes it once: an access or
portability request gets its ZIP and a download link, an erasure erases, a
request about no one we hold is answered "no data held". The sweep asks
again for a request whose task message was lost.
"""

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from customers import consent
from customers.models import ConsentPurpose, ConsentSource, Customer
from lib.access_log import Via, record_view
from privacy import tasks
from privacy.models import DUE_DAYS, ExportArchive, PrivacyRequest
from privacy.services import downloads
from privacy.services.erasure import erase_customer
from privacy.services.export import build_export

Kind = PrivacyRequest.Kind
Status = PrivacyRequest.Status
Outcome = PrivacyRequest.Outcome

# GDPR Art. 12(3): "extended by two further months where necessary".
MAX_EXTENSION_DAYS = 60
# A fulfilment asked for this long ago and not done: its message was lost.
FULFIL_RETRY_AFTER = timedelta(minutes=10)


class RequestError(Exception):
    """A change the request's state does not allow; the message says why, to
    the staff member (a 400, a form error)."""


def record(
    *,
    kind: str,
    customer: Customer | None = None,
    email: str = "",
    mode: str = "",
    by: User | None = None,
    now: datetime,
) -> PrivacyRequest:
    """Record a request as received. Someone we cannot find by `email` is
    recorded by the address's keyed hash only, and answered "no data held"."""
    if kind not in Kind.values:
        raise RequestError(_("Unknown kind of request."))
    if mode and kind != Kind.ERASURE:
        raise RequestError(_("A mode applies to erasure requests only."))
    if mode and mode not in PrivacyRequest.Mode.values:
        raise RequestError(_("Unknown erasure mode."))
    if customer is None and not email.strip():
        raise RequestError(_("Name the customer, or the email the request came from."))
    if customer is None:
        customer = Customer.objects.with_email(email).first()
    if kind == Kind.ERASURE and not mode:
        mode = PrivacyRequest.Mode.ANONYMISE
    return PrivacyRequest.objects.create(
        kind=kind,
        customer=customer,
        email_digest="" if customer else PrivacyRequest.digest_of(email),
        mode=mode,
        received_at=now,
        due_at=now + timedelta(days=DUE_DAYS),
        created_by=by,
        created_at=now,
    )


@transaction.atomic
def verify(
    request: PrivacyRequest, *, by: User | None, how: str, now: datetime
) -> PrivacyRequest:
    """Record who checked that the requester is the person, and how."""
    request = locked(request)
    if request.status != Status.RECEIVED:
        raise RequestError(_("Only a received request can be verified."))
    if not how.strip():
        raise RequestError(_("Say how the requester's identity was checked."))
    request.status = Status.VERIFIED
    request.verified_by = by
    request.verified_how = how.strip()
    request.verified_at = now
    request.save()
    return request


@transaction.atomic
def extend(
    request: PrivacyRequest, *, reason: str, days: int, now: datetime
) -> PrivacyRequest:
    """Move the deadline once, by at most two months, for a recorded reason."""
    request = locked(request)
    if not request.is_open:
        raise RequestError(_("Only an open request can be extended."))
    if request.extended_due_at is not None:
        raise RequestError(_("The deadline was extended once already."))
    if not reason.strip():
        raise RequestError(_("Give the reason for the extension."))
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise RequestError(
            _("An extension is 1 to %(days)s days.") % {"days": MAX_EXTENSION_DAYS}
        )
    request.extended_due_at = request.due_at + timedelta(days=days)
    request.extension_reason = reason.strip()
    request.escalated_at = None  # overdue again only past the new deadline
    request.save()
    return request


@transaction.atomic
def refuse(
    request: PrivacyRequest, *, reason: str, by: User | None, now: datetime
) -> PrivacyRequest:
    request = locked(request)
    if not request.is_open:
        raise RequestError(_("Only an open request can be refused."))
    if not reason.strip():
        raise RequestError(_("Give the reason for the refusal."))
    request.status = Status.REFUSED
    request.refusal_reason = reason.strip()
    request.completed_at = now
    request.save()
    return request


@transaction.atomic
def ask_fulfil(request: PrivacyRequest, *, now: datetime) -> PrivacyRequest:
    """Queue the fulfilment of a verified request (after the commit). Asking
    again for one asked already queues it again, harmlessly: `fulfil` does a
    request once."""
    request = locked(request)
    if request.status == Status.RECEIVED:
        raise RequestError(_("Verify the requester's identity first."))
    if not request.is_open:
        raise RequestError(_("This request is closed already."))
    request.fulfil_requested_at = now
    request.save(update_fields=["fulfil_requested_at", "updated_at"])
    transaction.on_commit(queue_fulfil(request.pk), robust=True)
    return request


def queue_fulfil(request_id: int) -> Callable[[], None]:
    def fulfil_privacy_request() -> None:
        tasks.fulfil_request_task.delay(request_id)

    return fulfil_privacy_request


@transaction.atomic
def fulfil(request_id: int, *, now: datetime) -> str:
    """Do what the verified request asks, once; returns its status."""
    request = (
        PrivacyRequest.objects.select_for_update(of=("self",))
        .select_related("customer", "verified_by")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        return "missing"
    if request.status != Status.VERIFIED or request.fulfil_requested_at is None:
        return request.status
    customer = request.customer
    if customer is None or customer.erased_at is not None:
        request.outcome = Outcome.NO_DATA_HELD
    elif request.kind == Kind.ERASURE:
        erase_customer(
            customer,
            mode=request.mode or PrivacyRequest.Mode.ANONYMISE,
            request=request,
            by=request.verified_by,
            now=now,
        )
        request.refresh_from_db()
        request.outcome = Outcome.ERASED
    elif request.kind in (Kind.ACCESS, Kind.PORTABILITY):
        deliver_export(request, customer, now=now)
    else:
        request.outcome = apply_choice(request, customer, now=now)
    request.status = Status.DONE
    request.completed_at = now
    request.save()
    return request.status


def deliver_export(
    request: PrivacyRequest, customer: Customer, *, now: datetime
) -> None:
    export = build_export(customer, now=now)
    # The export reads everything about the person: it is in the access
    # log as one read of them, by whoever verified the request.
    record_view(request.verified_by, customer, via=Via.EXPORT)
    ExportArchive.objects.update_or_create(
        request=request,
        defaults={"data": export.data, "size": len(export.data), "created_at": now},
    )
    downloads.issue_link(request, now=now)
    request.delivered_digest = export.sha256
    request.outcome = Outcome.EXPORTED


def apply_choice(request: PrivacyRequest, customer: Customer, *, now: datetime) -> str:
    """Rectification: the staff corrected the record (the customer's page,
    the API) before fulfilling; the request is the record that it was done.
    Restriction and objection withdraw the consents they name (the
    customer's consent history says so from then on)."""
    if request.kind == Kind.RECTIFICATION:
        return Outcome.RECTIFIED
    purposes = RESTRICTED_PURPOSES if request.kind == Kind.RESTRICTION else OBJECTED
    withdraw(customer, purposes, by=request.verified_by, now=now)
    if request.kind == Kind.RESTRICTION:
        return Outcome.RESTRICTED
    return Outcome.OBJECTION_RECORDED


# Restriction (Art. 18): no further processing beyond storage; objection
# (Art. 21): no profiling, no marketing.
RESTRICTED_PURPOSES = [
    ConsentPurpose.SURVEYS,
    ConsentPurpose.MARKETING,
    ConsentPurpose.PROFILING,
]
OBJECTED = [ConsentPurpose.MARKETING, ConsentPurpose.PROFILING]


def withdraw(
    customer: Customer, purposes: Sequence[str], *, by: User | None, now: datetime
) -> None:
    """Withdrawals in the customer's consent history, by staff (withdrawing
    survey consent opts them out and cancels pending survey mail)."""
    for purpose in purposes:
        consent.record_consent(
            customer,
            purpose=purpose,
            granted=False,
            source=ConsentSource.STAFF,
            now=now,
            staff_member=by,
        )


def locked(request: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.select_for_update().get(pk=request.pk)


def open_requests() -> QuerySet[PrivacyRequest]:
    return PrivacyRequest.objects.filter(status__in=PrivacyRequest.OPEN)


def requeue_lost(*, now: datetime, limit: int = 100) -> int:
    """Queue again the fulfilments asked for long ago and not done."""
    ids = list(
        open_requests()
        .filter(
            status=Status.VERIFIED,
            fulfil_requested_at__lte=now - FULFIL_RETRY_AFTER,
        )
        .order_by("fulfil_requested_at")
        .values_list("pk", flat=True)[:limit]
    )
    for request_id in ids:
        tasks.fulfil_request_task.delay(request_id)
    return len(ids)
