"""Overdue privacy requests, escalated like cases: once a request passes its
deadline (the extended one, once extended), every manager (who may change
privacy requests) gets one mail about it, through an outbox (OverdueNotice
rows written once, sent by the sweep with the case alerts' retries). The
dashboard and the admin list show it overdue all along.
"""

import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse

from feedback.models import StaffPreference
from feedback.services import outbox
from lib import emails
from privacy.models import OverdueNotice, PrivacyRequest, past_deadline
from privacy.services import downloads, requests

MANAGE_PERMISSION = "privacy.change_privacyrequest"
MAX_ATTEMPTS = 30
LEASE = timedelta(minutes=5)


def managers() -> QuerySet[User]:
    return (
        User.objects.with_perm(
            MANAGE_PERMISSION,
            include_superusers=True,
            backend="django.contrib.auth.backends.ModelBackend",
        )
        .filter(is_staff=True, is_active=True)
        .exclude(email="")
    )


def overdue(now: datetime) -> QuerySet[PrivacyRequest]:
    """Open requests past the deadline that holds."""
    return requests.open_requests().filter(past_deadline(now))


def escalate(*, now: datetime, limit: int = 100) -> int:
    """Write the notices of requests newly overdue; each request once (the
    conditional update is the claim: two sweeps at once escalate it once)."""
    escalated = 0
    recipients = list(managers())
    due = overdue(now).filter(escalated_at__isnull=True).order_by("due_at")
    for request_id in due.values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            claimed = PrivacyRequest.objects.filter(
                pk=request_id, escalated_at__isnull=True
            ).update(escalated_at=now)
            if not claimed:
                continue
            request = PrivacyRequest.objects.get(pk=request_id)
            OverdueNotice.objects.bulk_create(
                [
                    OverdueNotice(
                        request_id=request_id,
                        recipient=user,
                        deadline=request.deadline,
                        created_at=now,
                        next_attempt_at=now,
                    )
                    for user in recipients
                ],
                ignore_conflicts=True,
            )
            escalated += 1
    return escalated


def send_due(*, now: datetime, limit: int = 200) -> int:
    ids = outbox.due_ids(OverdueNotice, now=now, max_attempts=MAX_ATTEMPTS, limit=limit)
    return sum(deliver(notice_id, now=now) == "sent" for notice_id in ids)


def deliver(notice_id: int, *, now: datetime) -> str:
    if not outbox.claim(
        OverdueNotice, notice_id, now=now, lease=LEASE, max_attempts=MAX_ATTEMPTS
    ):
        return "not due"
    notice = OverdueNotice.objects.select_related(
        "request", "recipient__preference"
    ).get(pk=notice_id)
    request = notice.request
    if not request.is_overdue(now):
        outbox.give_up(
            OverdueNotice, notice_id, reason="Closed or extended before the mail went."
        )
        return "dropped"
    try:
        send_mail(notice)
    except (smtplib.SMTPException, OSError) as error:
        outbox.put_back(OverdueNotice, notice, error, max_attempts=MAX_ATTEMPTS)
        return "failed"
    outbox.mark_sent(OverdueNotice, notice_id)
    return "sent"


def send_mail(notice: OverdueNotice) -> None:
    request, recipient = notice.request, notice.recipient
    emails.send(
        "privacy_overdue",
        to=recipient.email,
        language=StaffPreference.mail_language_of(recipient),
        context={
            "brand": settings.BRAND_NAME,
            "request": request,
            "kind": request.get_kind_display(),
            "deadline": request.deadline,
            "link": settings.SITE_URL
            + reverse("admin:privacy_privacyrequest_change", args=[request.pk]),
        },
        headers={"Message-ID": emails.message_id(f"privacy-overdue-{notice.pk}")},
    )


def sweep(*, now: datetime) -> dict[str, int]:
    return {
        "escalated": escalate(now=now),
        "notices_sent": send_due(now=now),
        "fulfilments_requeued": requests.requeue_lost(now=now),
        "exports_purged": downloads.purge_expired(now=now),
    }
