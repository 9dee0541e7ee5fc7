"""Celery tasks of the webhooks: thin, taking ids, each calling one service,
each safe to run twice. Beat runs the last two (settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task
from django.utils import timezone

from webhooks import services


@shared_task
def deliver_webhook_task(delivery_id: int) -> str:
    return services.deliver(delivery_id, now=timezone.now())


@shared_task
def deliver_pending_webhooks_task() -> int:
    return services.queue_due(now=timezone.now())


@shared_task
def purge_webhook_events_task() -> int:
    return services.purge_old(now=timezone.now())
