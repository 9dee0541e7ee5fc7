"""Celery tasks of the close-the-loop app: thin, taking ids, each calling one
service, each safe to run twice. Beat runs the last three
(settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task
from django.utils import timezone

from feedback.services import alerts, cases, digest


@shared_task
def deliver_alert_task(alert_id: int) -> str:
    return alerts.deliver(alert_id, now=timezone.now())


@shared_task
def deliver_pending_alerts_task() -> int:
    return alerts.queue_due(now=timezone.now())


@shared_task
def escalate_task() -> int:
    return cases.escalate_overdue(now=timezone.now())


@shared_task
def send_weekly_digests_task() -> dict[str, int]:
    return vars(digest.send_due(now=timezone.now()))
