"""The idempotency services: claims, lost claims and the purge task."""

from datetime import UTC, datetime, timedelta

import pytest

from idempotency import services, tasks
from idempotency.models import IdempotencyKey
from tests.factories import IdempotencyKeyFactory, UserFactory

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
DAY = timedelta(hours=24)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def begin(owner, key="k", request_hash="a" * 64, now=NOW) -> IdempotencyKey:
    return services.begin(
        owner_id=owner.pk,
        key=key,
        method="POST",
        path="/api/v1/interactions/",
        request_hash=request_hash,
        now=now,
    )


def test_a_claim_lost_after_the_lease_keeps_the_retrys_answer(outsider):
    first = begin(outsider)
    retry = begin(outsider, now=NOW + services.CLAIM_LEASE)

    assert (
        services.complete(first, status_code=201, headers={}, body=b"first", now=NOW)
        is False
    )
    services.release(first)
    assert (
        services.complete(retry, status_code=201, headers={}, body=b"retry", now=NOW)
        is True
    )
    record = IdempotencyKey.objects.get()
    assert (record.status, bytes(record.response_body)) == ("completed", b"retry")


def test_a_claim_within_the_lease_is_still_in_progress(outsider):
    begin(outsider)

    with pytest.raises(services.KeyInProgressError):
        begin(outsider, now=NOW + services.CLAIM_LEASE - timedelta(seconds=1))
    with pytest.raises(services.KeyReusedError):
        begin(outsider, request_hash="b" * 64)


def test_the_purge_deletes_the_keys_past_their_day_and_is_idempotent():
    owner = UserFactory.create(password=None)
    old = IdempotencyKeyFactory.create(owner=owner, created_at=NOW - DAY)
    older = IdempotencyKeyFactory.create(
        owner=owner, created_at=NOW - 3 * DAY, status="in_progress"
    )
    fresh = IdempotencyKeyFactory.create(
        owner=owner, created_at=NOW - DAY + timedelta(seconds=1)
    )
    other = IdempotencyKeyFactory.create(created_at=NOW)

    assert tasks.purge_idempotency_keys_task() == 2
    assert tasks.purge_idempotency_keys_task() == 0

    assert set(IdempotencyKey.objects.values_list("pk", flat=True)) == {
        fresh.pk,
        other.pk,
    }
    assert not IdempotencyKey.objects.filter(pk__in=[old.pk, older.pk]).exists()


def test_the_purge_works_in_batches(monkeypatch):
    monkeypatch.setattr(services, "PURGE_BATCH_SIZE", 2)
    owner = UserFactory.create(password=None)
    IdempotencyKeyFactory.create_batch(5, owner=owner, created_at=NOW - 2 * DAY)

    assert tasks.purge_idempotency_keys_task() == 5
    assert IdempotencyKey.objects.count() == 0
