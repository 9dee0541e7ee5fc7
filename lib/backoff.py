"""The retry delay every outbox shares: survey mail, case alerts, the weekly
digest and webhook deliveries."""

from datetime import timedelta

from django.conf import settings

MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """After the n-th failed attempt: SURVEY_RETRY_BASE_SECONDS, doubling
    with each attempt, at most an hour."""
    seconds = settings.SURVEY_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)
