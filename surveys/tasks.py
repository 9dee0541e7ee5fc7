"""Celery tasks of the survey loop: thin, taking ids, each calling one service,
each safe to run twice. Beat runs the first two (settings.CELERY_BEAT_SCHEDULE).

Each task imports its service inside its body (the services import this
module to queue work): no import circle between the two."""

from typing import Any

from celery import shared_task
from django.utils import timezone


@shared_task
def dispatch_task() -> dict[str, int]:
    from surveys.services import sending

    report = sending.dispatch(now=timezone.now())
    return vars(report)


@shared_task
def send_batch_task(invitation_ids: list[int]) -> dict[str, int]:
    from surveys.services import sending

    return sending.send_batch(invitation_ids)


@shared_task
def send_invitation_task(invitation_id: int) -> str:
    from surveys.services import sending

    return sending.send_invitation(invitation_id)


@shared_task
def schedule_recurring_task() -> dict[int, Any]:
    from surveys.services import scheduling

    summaries = scheduling.schedule_all_recurring(now=timezone.now())
    return {survey: summary.as_dict() for survey, summary in summaries.items()}


@shared_task
def send_manually_task(survey_id: int, customer_ids: list[int]) -> dict[str, object]:
    from customers.models import Customer
    from surveys.models import Survey
    from surveys.services import scheduling

    survey = Survey.objects.get(id=survey_id)
    customers = Customer.objects.filter(id__in=customer_ids)
    return scheduling.send_manually(
        survey, customers=customers, now=timezone.now()
    ).as_dict()
