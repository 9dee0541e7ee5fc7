"""Celery tasks of the idempotency app; beat runs the purge
(settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task
from django.utils import timezone

from idempotency import services


@shared_task
def purge_idempotency_keys_task() -> int:
    return services.purge(now=timezone.now())
