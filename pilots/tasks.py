"""Celery tasks of the pilots app: thin, each calling one service, each safe
to run twice. `lock_due_pilots_task` records the `locked` event of every
pilot on its go-live day (the lock itself holds by date, whatever runs);
beat may run it daily (settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task
from django.utils import timezone


@shared_task
def lock_due_pilots_task() -> int:
    from pilots.services import pilots

    today = timezone.localdate(timezone=timezone.get_default_timezone())
    return pilots.lock_due_pilots(today=today)
