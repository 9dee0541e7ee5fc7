"""Celery tasks of the privacy app: thin, taking ids, each calling one
service, each safe to run twice. Beat runs the sweeps
(settings.CELERY_BEAT_SCHEDULE).

Each task imports its service inside its body (the services import this
module to queue work): no import circle between the two."""

from celery import shared_task
from django.utils import timezone


@shared_task
def fulfil_request_task(request_id: int) -> str:
    from privacy.services import requests

    return requests.fulfil(request_id, now=timezone.now())


@shared_task
def sweep_requests_task() -> dict[str, int]:
    """Overdue requests escalated to the managers, their mail sent (retries
    included), lost fulfilments queued again, expired exports deleted."""
    from privacy.services import overdue

    return overdue.sweep(now=timezone.now())


@shared_task
def apply_retention_task() -> dict[str, int]:
    """The nightly retention run: each enabled rule, in bounded batches;
    resumable (a run stopped half-way is finished by the next)."""
    from privacy.services import retention

    outcomes = retention.apply_retention(now=timezone.now())
    return {outcome.category: outcome.count for outcome in outcomes}
