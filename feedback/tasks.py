"""Celery tasks of the close-the-loop app: thin, taking ids, each calling one
service, each safe to run twice. Beat runs the last three
(settings.CELERY_BEAT_SCHEDULE).

Each task imports its service inside its body (the services import this
module to queue work): no import circle between the two."""

from celery import shared_task
from django.utils import timezone


@shared_task
def deliver_alert_task(alert_id: int) -> str:
    from feedback.services import alerts

    return alerts.deliver(alert_id, now=timezone.now())


@shared_task
def deliver_pending_alerts_task() -> int:
    from feedback.services import alerts

    return alerts.queue_due(now=timezone.now())


@shared_task
def escalate_task() -> int:
    from feedback.services import cases

    return cases.escalate_overdue(now=timezone.now())


@shared_task
def send_weekly_digests_task() -> dict[str, int]:
    from feedback.services import digest

    return vars(digest.send_due(now=timezone.now()))
