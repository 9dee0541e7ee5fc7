"""lib.rates: a sliding window, counted in one step, in Redis and without."""

import sys
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from lib import rates
from lib.rates import Rate, Verdict, hit, parse_rate

NOW = datetime(2027, 5, 4, 10, 0, tzinfo=UTC)
LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(params=["redis", "local"])
def store(request, settings) -> str:
    """Each test on both stores: Redis when the run has one (the deployment),
    and the embedded mode's local cache (no REDIS_URL)."""
    if request.param == "redis" and not settings.REDIS_URL:
        pytest.skip("the Redis store needs REDIS_URL")
    if request.param == "local":
        settings.REDIS_URL = ""
        settings.CACHES = LOCAL_CACHE
    return request.param


@pytest.fixture
def key() -> str:
    """A key no other test counts under (xdist's workers share no Redis
    database, but one worker's tests do)."""
    return f"test:{uuid.uuid4().hex}"


def at(clock, seconds: float) -> None:
    clock.move_to(NOW + timedelta(seconds=seconds), tick=False)


@pytest.fixture
def eager_thread_switches() -> Iterator[None]:
    """Python lets a thread run 5 ms before switching to another: far longer
    than a read and a write of the count, so a race would hide."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def test_of_200_requests_at_once_exactly_the_limit_is_allowed(
    store, key, eager_thread_switches, caplog
):
    # More threads than the Redis pool's connections (rates.POOL_SIZE): the
    # rest wait for one, none is let through uncounted.
    barrier = threading.Barrier(200)
    verdicts: list[Verdict] = []
    lock = threading.Lock()

    def request() -> None:
        barrier.wait(timeout=30)
        verdict = hit(key, Rate(limit=50, seconds=60))
        with lock:
            verdicts.append(verdict)

    threads = [threading.Thread(target=request) for _ in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Counter(verdict.allowed for verdict in verdicts) == {True: 50, False: 150}
    assert "not counted" not in caplog.text
    assert {v.retry_after for v in verdicts if not v.allowed} <= set(range(55, 61))


@pytest.mark.now(NOW)
def test_a_refused_request_waits_until_the_oldest_leaves_the_window(store, key, clock):
    rate = Rate(limit=3, seconds=60)
    allowed = []
    for second in (0, 20, 40):
        at(clock, second)
        allowed.append(hit(key, rate))

    at(clock, 50)
    after_50_seconds = hit(key, rate)
    at(clock, 59.5)
    half_a_second_before = hit(key, rate)
    at(clock, 60)
    when_the_first_leaves = hit(key, rate)
    next_one = hit(key, rate)

    assert allowed == [Verdict(allowed=True)] * 3
    assert after_50_seconds == Verdict(allowed=False, retry_after=10)
    # Rounded up: a client that waits as told is let in.
    assert half_a_second_before == Verdict(allowed=False, retry_after=1)
    assert when_the_first_leaves == Verdict(allowed=True)
    assert next_one == Verdict(allowed=False, retry_after=20)


@pytest.mark.now(NOW)
def test_a_minutes_boundary_lets_no_second_burst_through(store, key, clock):
    rate = Rate(limit=5, seconds=60)
    at(clock, 59.9)
    burst = [hit(key, rate).allowed for _ in range(5)]

    at(clock, 60.1)
    # A window per clock minute would start counting afresh here.
    second_burst = [hit(key, rate) for _ in range(5)]

    assert burst == [True] * 5
    assert second_burst == [Verdict(allowed=False, retry_after=60)] * 5


@pytest.mark.now(NOW)
def test_a_wait_is_never_told_as_longer_than_the_window(store, key, clock):
    # A process that read the clock before another counted its request.
    rate = Rate(limit=1, seconds=60)
    at(clock, 10)
    hit(key, rate)

    at(clock, 9)

    assert hit(key, rate) == Verdict(allowed=False, retry_after=60)


@pytest.mark.now(NOW)
def test_refused_requests_do_not_count(store, key, clock):
    rate = Rate(limit=1, seconds=60)
    first = hit(key, rate)
    at(clock, 30)
    knocking = {hit(key, rate) for _ in range(10)}

    at(clock, 60)

    assert first == Verdict(allowed=True)
    assert knocking == {Verdict(allowed=False, retry_after=30)}
    assert hit(key, rate) == Verdict(allowed=True)


@pytest.mark.now(NOW)
def test_keys_count_apart(store, key):
    rate = Rate(limit=1, seconds=60)

    verdicts = [hit(key, rate), hit(key, rate), hit(key + ":other", rate)]

    assert [verdict.allowed for verdict in verdicts] == [True, False, True]


@pytest.mark.now(NOW)
def test_an_hourly_rate_counts_for_an_hour(store, key, clock):
    rate = parse_rate("2/hour")
    hit(key, rate)
    at(clock, 600)
    hit(key, rate)

    at(clock, 3599)
    refused = hit(key, rate)
    at(clock, 3600)

    assert refused == Verdict(allowed=False, retry_after=1)
    assert hit(key, rate) == Verdict(allowed=True)


def test_a_limit_below_one_refuses_every_request(store, key):
    assert hit(key, Rate(limit=0, seconds=60)) == Verdict(False, retry_after=60)


def test_when_redis_cannot_be_reached_the_request_is_let_through(settings, key, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there

    verdicts = [hit(key, Rate(limit=1, seconds=60)) for _ in range(3)]

    assert verdicts == [Verdict(allowed=True)] * 3
    assert caplog.text.count("Request rate not counted, request let through") == 3


def test_many_threads_starting_at_once_share_one_client(settings, monkeypatch):
    # Two clients made at once, one of them dropped: the dropped one closed
    # the connections the other was using (the survey page's old counter).
    monkeypatch.setattr(rates, "scripts", {})
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    barrier = threading.Barrier(50)
    made = []

    def first_use() -> None:
        barrier.wait(timeout=30)
        made.append(rates.sliding_window())

    threads = [threading.Thread(target=first_use) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(made) == 50
    assert len({id(script) for script in made}) == 1


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("600/min", Rate(600, 60)),
        ("10/s", Rate(10, 1)),
        ("5/sec", Rate(5, 1)),
        ("3/m", Rate(3, 60)),
        ("36000/hour", Rate(36000, 3600)),
        ("2/h", Rate(2, 3600)),
        ("5/day", Rate(5, 86400)),
        ("1/d", Rate(1, 86400)),
    ],
)
def test_a_rate_is_read_as_settings_write_it(text, rate):
    assert parse_rate(text) == rate
