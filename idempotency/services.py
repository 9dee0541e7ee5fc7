"""Idempotency keys: claim a key before the view runs, keep its answer after.

A key is claimed by inserting its row in a transaction of its own, committed
before the view runs: of two concurrent requests with one key, the unique
constraint lets exactly one run; the other sees the row and is told to wait
(409) or, once the first has answered, gets that answer again.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, models, transaction

from idempotency.models import IdempotencyKey

# "Keys expire after a day": an older key is used again as if it were new.
KEY_LIFETIME = timedelta(hours=24)
# A claim this old belonged to a worker that died mid-request (gunicorn kills
# a worker after 30 s): it is taken back, or the client could not retry for a
# day. If the worker died after its view had committed, the retry runs the
# view a second time: the one case of a duplicate.
CLAIM_LEASE = timedelta(minutes=5)
# Rows deleted per statement by the purge: short transactions, few locks.
PURGE_BATCH_SIZE = 10_000
CLAIM_ATTEMPTS = 3


class KeyReusedError(Exception):
    """The key was used for another request (method, path, query or body)."""


class KeyInProgressError(Exception):
    """The first request with the key has not answered yet."""


def begin(
    *,
    owner_id: int,
    key: str,
    method: str,
    path: str,
    request_hash: str,
    now: datetime,
) -> IdempotencyKey:
    """Claim `key` for this request, or find the answer it already has.

    Returns the row: in progress when this request claimed it (run the view,
    then `complete` or `release` it), completed when the same request was
    answered before (replay that answer). Raises KeyReusedError or
    KeyInProgressError.
    """
    claim: dict[str, Any] = {
        "method": method,
        "path": path,
        "request_hash": request_hash,
        "status": IdempotencyKey.Status.IN_PROGRESS,
        "response_status": None,
        "response_headers": {},
        "response_body": b"",
        "created_at": now,
        "completed_at": None,
    }
    for _attempt in range(CLAIM_ATTEMPTS):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    owner_id=owner_id, key=key, **claim
                )
        except IntegrityError:
            pass
        found = IdempotencyKey.objects.filter(owner_id=owner_id, key=key).first()
        if found is None:
            # Released or purged since the insert failed: claim it again.
            continue
        if is_stale(found, now=now):
            # Conditional on the row's creation time: of two requests taking
            # back the same stale row, one gets it and the other looks again.
            taken = IdempotencyKey.objects.filter(
                pk=found.pk, created_at=found.created_at
            ).update(**claim)
            if taken == 1:
                return IdempotencyKey(pk=found.pk, owner_id=owner_id, key=key, **claim)
            continue
        if found.request_hash != request_hash:
            raise KeyReusedError
        if found.status == IdempotencyKey.Status.IN_PROGRESS:
            raise KeyInProgressError
        return found
    # Lost every race to other requests with this key: one of them is running.
    raise KeyInProgressError


def is_stale(record: IdempotencyKey, *, now: datetime) -> bool:
    if record.created_at <= now - KEY_LIFETIME:
        return True
    return (
        record.status == IdempotencyKey.Status.IN_PROGRESS
        and record.created_at <= now - CLAIM_LEASE
    )


def complete(
    record: IdempotencyKey,
    *,
    status_code: int,
    headers: dict[str, str],
    body: bytes,
    now: datetime,
) -> bool:
    """Keep the answer to a claimed key; False when the claim was lost (taken
    back after the lease by a retry, which keeps its own answer)."""
    return (
        claimed(record).update(
            status=IdempotencyKey.Status.COMPLETED,
            response_status=status_code,
            response_headers=headers,
            response_body=body,
            completed_at=now,
        )
        == 1
    )


def release(record: IdempotencyKey) -> None:
    """Forget a claimed key whose request failed (an exception or a 5xx), so
    that a retry with it runs again."""
    claimed(record).delete()


def claimed(record: IdempotencyKey) -> models.QuerySet[IdempotencyKey]:
    return IdempotencyKey.objects.filter(
        pk=record.pk,
        created_at=record.created_at,
        status=IdempotencyKey.Status.IN_PROGRESS,
    )


def purge(*, now: datetime) -> int:
    """Delete the keys past their lifetime; returns how many."""
    expired = IdempotencyKey.objects.filter(created_at__lte=now - KEY_LIFETIME)
    deleted = 0
    while True:
        batch = list(expired.values_list("pk", flat=True)[:PURGE_BATCH_SIZE])
        if not batch:
            return deleted
        # Still by age: a key taken back since the select is a new one.
        count, _by_model = expired.filter(pk__in=batch).delete()
        deleted += count
