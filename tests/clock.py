"""The suite's clock: every run travels to a start time of its own.

A suite that passes only on the day it was written hides date bugs in the
product and fails developers on the days it does not expect. So no run reads
the real clock: for the whole session, time starts at a moment drawn from the
calendar's edges (a Monday just after midnight, the last minutes of a week, of
a year, 29 February, the minutes before a change to or from daylight saving
time) in a zone drawn from those we support, and ticks on from there. Every
test starts at the drawn time, so that a test replays alone exactly as it ran
among the others; a test that needs a moment of its own pins it with
`@pytest.mark.now(moment)` (the `clock` fixture). The draw is printed in
pytest's header, and `TEST_NOW` / `TEST_TIME_ZONE` replay it:

    make test TEST_NOW=2026-12-07T00:30 TEST_TIME_ZONE=Asia/Shanghai

`TEST_NOW` is a local time in the zone (an ISO offset may be added to make a
time in a daylight saving change unambiguous). The zone is also the product's
`TIME_ZONE`, so reports and deadlines are computed in it (and the process's
local zone, as Django makes it in every process it runs).

Under xdist, each worker also gets a Redis database of its own (REDIS_URL's,
and those below it): the tests of rates flush it and count per minute.

Loaded with `-p tests.clock` (pyproject.toml), before pytest-django reads the
settings. xdist's workers inherit the controller's environment, so every
worker runs on the same draw. Tests that start other processes (a worker,
beat, gunicorn) take the `real_clock` fixture: those processes run at the
real time, and so must the test that talks to them.
"""

import os
import random
import time
from collections.abc import Iterator, Mapping, MutableMapping
from datetime import UTC, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest
import time_machine

ZONES = ["UTC", "Asia/Shanghai", "America/New_York"]


def local(zone: str, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def edges(zone: str) -> dict[str, datetime]:
    """The start times to draw from, in `zone`: calendar edges in local time,
    and a minute before each daylight saving change that the zones of reports
    and business hours meet (a test that runs long goes through it)."""
    return {
        "a Monday just after midnight": local(zone, "2026-12-07T00:30"),
        "a Sunday at 23:30": local(zone, "2027-01-03T23:30"),
        "31 December at 23:59": local(zone, "2026-12-31T23:59"),
        "29 February": local(zone, "2028-02-29T23:45"),
        "Europe/Berlin's spring change": local("Europe/Berlin", "2027-03-28T01:59"),
        "Europe/Berlin's autumn change": local("Europe/Berlin", "2026-10-25T02:59"),
        "America/New_York's spring change": local(
            "America/New_York", "2027-03-14T01:59"
        ),
        "America/New_York's autumn change": local(
            "America/New_York", "2026-11-01T01:59"
        ),
    }


class Draw:
    """The run's start time and zone, and how it was chosen."""

    def __init__(self, start: datetime, zone: str, why: str) -> None:
        self.start = start.astimezone(ZoneInfo(zone))
        self.zone = zone
        self.why = why

    @property
    def test_now(self) -> str:
        # With the offset: a local time in an autumn change happens twice.
        return self.start.replace(tzinfo=None).isoformat(timespec="minutes") + (
            self.start.strftime("%z")[:3] + ":" + self.start.strftime("%z")[3:]
        )

    def replay(self) -> str:
        return f"make test TEST_NOW={self.test_now} TEST_TIME_ZONE={self.zone}"


def parse_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise pytest.UsageError(
            f"TEST_TIME_ZONE is no time zone: {value!r} (e.g. Asia/Shanghai)"
        ) from None
    return value


def parse_now(value: str, zone: str) -> datetime:
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise pytest.UsageError(
            f"TEST_NOW must be an ISO date and time such as 2026-12-07T00:30, "
            f"got {value!r}"
        ) from None
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZoneInfo(zone))
    return start


def draw_clock(environ: Mapping[str, str]) -> Draw:
    """TEST_NOW and TEST_TIME_ZONE when set (each alone too), else a draw."""
    chance = random.SystemRandom()
    given_zone = environ.get("TEST_TIME_ZONE", "").strip()
    zone = parse_zone(given_zone) if given_zone else chance.choice(ZONES)
    given_now = environ.get("TEST_NOW", "").strip()
    if given_now:
        return Draw(parse_now(given_now, zone), zone, "TEST_NOW")
    name, start = chance.choice(sorted(edges(zone).items()))
    return Draw(start, zone, f"drawn: {name}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> Iterator[None]:
    # Before pytest-django reads the settings: the zone is the product's
    # TIME_ZONE. The pinned values then reach xdist's workers unchanged.
    draw = draw_clock(os.environ)
    os.environ["TEST_NOW"] = draw.test_now
    os.environ["TEST_TIME_ZONE"] = draw.zone
    os.environ["TIME_ZONE"] = draw.zone
    early_config.stash[DRAW] = draw
    redis_database_per_worker(os.environ)
    return (yield)


def redis_database_per_worker(environ: MutableMapping[str, str]) -> None:
    """Worker gwN uses REDIS_URL's database minus N: the tests of rates flush
    the cache and count per client and minute, which workers sharing one
    database would do to each other."""
    worker = environ.get("PYTEST_XDIST_WORKER", "")
    url = environ.get("REDIS_URL", "")
    if not worker or not url:
        return
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    number = base - int(worker.removeprefix("gw"))
    if number < 0:
        raise pytest.UsageError(
            f"xdist worker {worker} needs Redis database {number}: give REDIS_URL "
            f"a database of at least the number of workers - 1 (e.g. /15), or "
            f"run fewer workers (PYTEST_WORKERS)"
        )
    environ["REDIS_URL"] = parts._replace(path=f"/{number}").geturl()


DRAW = pytest.StashKey[Draw]()
TRAVEL = pytest.StashKey[time_machine.travel]()
TRAVELLER = pytest.StashKey[time_machine.Traveller]()


def pytest_configure(config: pytest.Config) -> None:
    draw = config.stash[DRAW]
    # Ticking: the clock runs on from the start, as real time does.
    travel = time_machine.travel(draw.start, tick=True)
    config.stash[TRAVELLER] = travel.start()
    config.stash[TRAVEL] = travel


def pytest_unconfigure(config: pytest.Config) -> None:
    travel = config.stash.get(TRAVEL, None)
    if travel is not None:
        travel.stop()


def pytest_report_header(config: pytest.Config) -> str:
    draw = config.stash[DRAW]
    return (
        f"clock: {draw.start:%A %Y-%m-%d %H:%M %Z} in {draw.zone} ({draw.why}); "
        f"replay: {draw.replay()}"
    )


@pytest.fixture(autouse=True)
def clock(request: pytest.FixtureRequest) -> time_machine.Traveller:
    """The test's clock: the drawn time, ticking on, whatever ran before it.
    A test (or a module, with `pytestmark`) that needs a moment of its own
    pins it with `@pytest.mark.now(moment)` (frozen; `tick=True` lets it
    run). The traveller it returns moves on: `clock.shift(timedelta(…))`,
    `clock.move_to(…)`. Autouse, so it runs before the test's own fixtures."""
    traveller = request.config.stash[TRAVELLER]
    pinned = request.node.get_closest_marker("now")
    if pinned is None:
        traveller.move_to(request.config.stash[DRAW].start, tick=True)
    else:
        traveller.move_to(pinned.args[0], tick=pinned.kwargs.get("tick", False))
    return traveller


@pytest.fixture
def real_clock() -> Iterator[datetime]:
    """The real time, for a test that talks to processes it starts: they
    cannot share the travelled clock. Yields the real start, in UTC."""
    # A timestamp, not a datetime: the process keeps the drawn zone.
    real_now = time_machine.escape_hatch.time.time()
    with time_machine.travel(real_now, tick=True):
        # time-machine starts the tick at the first reading, not at the
        # travel: read now, or the test's clock falls behind its processes'
        # by however long they took to start.
        time.time()
        yield datetime.fromtimestamp(real_now, tz=UTC)
