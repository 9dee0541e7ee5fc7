"""The bookkeeping the outboxes share (case alerts, the weekly digest, and
above feedback the privacy requests' overdue notices):
rows with `next_attempt_at`, `attempts`, `sent_at` and `last_error`, each
claimed with a conditional UPDATE before it is sent, put back with the survey
mail's backoff after a transient failure and given up after the last attempt.
"""

from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import models
from django.db.models import F
from django.utils import timezone

from lib.backoff import backoff

# A model with next_attempt_at, attempts, sent_at and last_error.
Row = TypeVar("Row", bound=models.Model)

GIVEN_UP = "Given up after the last attempt."


def due_ids(
    model: type[Row], *, now: datetime, max_attempts: int, limit: int
) -> list[int]:
    """The unsent rows whose time has come, the longest waiting first. A row
    whose last attempt died with its worker is given up here."""
    unsent = model._default_manager.filter(
        sent_at__isnull=True, next_attempt_at__lte=now
    )
    unsent.filter(attempts__gte=max_attempts).update(
        next_attempt_at=None, last_error=GIVEN_UP
    )
    due = (
        unsent.filter(attempts__lt=max_attempts)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)
    )
    return list(due[:limit])


def claim(
    model: type[Row],
    row_id: int,
    *,
    now: datetime,
    lease: timedelta,
    max_attempts: int,
    **fields: Any,
) -> bool:
    """Take the row for one attempt when it is due at `now` and nobody holds
    it; False when it was sent, is held or has no attempt left. The lease
    runs from the clock, not from `now`: a run that began long ago would
    write a lease that has already run out, and a second run would send the
    row again."""
    claimed = model._default_manager.filter(
        id=row_id,
        sent_at__isnull=True,
        next_attempt_at__lte=now,
        attempts__lt=max_attempts,
    ).update(
        next_attempt_at=timezone.now() + lease, attempts=F("attempts") + 1, **fields
    )
    return claimed == 1


def put_back(
    model: type[Row], row: Row, error: Exception, *, max_attempts: int
) -> None:
    """After a transient failure: again after the backoff, or never after
    the last attempt (`row.attempts` as the claim counted it). A row given
    up or dropped during the attempt (no next attempt) stays so."""
    attempts: int = getattr(row, "attempts")  # noqa: B009 (any outbox row)
    last = attempts >= max_attempts
    again = None if last else timezone.now() + backoff(attempts)
    model._default_manager.filter(id=row.pk, next_attempt_at__isnull=False).update(
        next_attempt_at=again, last_error=described(error)
    )


def give_up(model: type[Row], row_id: int, *, reason: str) -> None:
    model._default_manager.filter(id=row_id).update(
        next_attempt_at=None, last_error=reason
    )


def mark_sent(model: type[Row], row_id: int) -> None:
    model._default_manager.filter(id=row_id).update(
        sent_at=timezone.now(), next_attempt_at=None, last_error=""
    )


def described(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]
