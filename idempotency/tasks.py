"""Celery tasks of the idempotency app; beat runs the purge
(settings.CELERY_BEAT_SCHEDULE). The task imports its service inside its body,
as every app's tasks do."""

from celery import shared_task
from django.utils import timezone


@shared_task
def purge_idempotency_keys_task() -> int:
    from idempotency import services

    return services.purge(now=timezone.now())
