"""Celery tasks of the text app: thin, taking ids, each calling one service,
each safe to run twice. Each imports its service inside its body (the
service imports this module to queue work)."""

from celery import shared_task


# A failed analysis is retried with backoff and logged; the answer it reads
# was committed before and is never touched by the failure.
@shared_task(
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def enrich_comment_task(response_id: int) -> int:
    """The answer's comment, and the stale ones after it (a batch: see
    services.read_comments_from); how many were read."""
    from text import services

    return services.read_comments_from(response_id)


@shared_task
def read_missed_comments_task() -> int:
    from text import services

    return services.read_missed_comments()


@shared_task
def retag_comments_task() -> int:
    from text import services

    return services.retag_all()


@shared_task
def suggest_themes_task() -> int:
    """Weekly (CELERY_BEAT_SCHEDULE): this week's theme suggestions."""
    from django.utils import timezone

    from text import services

    return len(services.suggest_themes(now=timezone.now()))
