"""Celery tasks of the webhooks: thin, taking ids, each calling one service,
each safe to run twice. Beat runs the last two (settings.CELERY_BEAT_SCHEDULE).

Each task imports its service inside its body (`webhooks.services` and
`webhooks.delivery` import this module to queue work): no import circle
between them."""

from celery import shared_task
from django.utils import timezone


@shared_task
def deliver_webhook_task(delivery_id: int) -> str:
    from webhooks import delivery

    return delivery.deliver(delivery_id, now=timezone.now())


@shared_task
def deliver_pending_webhooks_task() -> int:
    from webhooks import delivery

    return delivery.queue_due(now=timezone.now())


@shared_task
def purge_webhook_events_task() -> int:
    from webhooks import delivery

    return delivery.purge_old(now=timezone.now())
