"""The suite's clock (tests/clock.py): drawn, replayable, pinned by a marker."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests import clock as suite_clock


def test_test_now_is_a_local_time_in_the_zone():
    draw = suite_clock.draw_clock(
        {"TEST_NOW": "2026-12-07T00:30", "TEST_TIME_ZONE": "Asia/Shanghai"}
    )

    assert draw.start == datetime(2026, 12, 6, 16, 30, tzinfo=UTC)
    assert draw.replay() == (
        "make test TEST_NOW=2026-12-07T00:30+08:00 TEST_TIME_ZONE=Asia/Shanghai"
    )


def test_an_offset_tells_the_two_readings_of_an_autumn_hour_apart():
    draw = suite_clock.draw_clock(
        {"TEST_NOW": "2026-11-01T01:30-05:00", "TEST_TIME_ZONE": "America/New_York"}
    )

    # In UTC: an aware time with fold=1 compares unequal to any other zone's.
    assert draw.start.astimezone(UTC) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert "TEST_NOW=2026-11-01T01:30-05:00" in draw.replay()


def test_a_draw_is_one_of_the_edges_in_one_of_the_zones():
    draw = suite_clock.draw_clock({})

    assert draw.zone in suite_clock.ZONES
    # As instants: an aware time in a daylight saving fold compares unequal
    # to any other zone's.
    instants = {edge.astimezone(UTC) for edge in suite_clock.edges(draw.zone).values()}
    assert draw.start.astimezone(UTC) in instants


def test_the_edges_are_what_they_say_in_each_zone():
    for zone in suite_clock.ZONES:
        edges = suite_clock.edges(zone)
        local = {
            name: moment.astimezone(ZoneInfo(zone)) for name, moment in edges.items()
        }
        monday = local["a Monday just after midnight"]
        assert (monday.weekday(), monday.hour) == (0, 0)
        sunday = local["a Sunday at 23:30"]
        assert (sunday.weekday(), sunday.hour, sunday.minute) == (6, 23, 30)
        assert (local["29 February"].month, local["29 February"].day) == (2, 29)
    berlin = suite_clock.edges("UTC")["Europe/Berlin's spring change"]
    offsets = {
        (berlin.astimezone(UTC) + delta)
        .astimezone(ZoneInfo("Europe/Berlin"))
        .utcoffset()
        for delta in (timedelta(0), timedelta(minutes=2))
    }
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00"])
def test_a_bad_test_now_is_a_usage_error(value):
    with pytest.raises(pytest.UsageError, match="TEST_NOW"):
        suite_clock.draw_clock({"TEST_NOW": value, "TEST_TIME_ZONE": "UTC"})


def test_a_bad_zone_is_a_usage_error():
    with pytest.raises(pytest.UsageError, match="TEST_TIME_ZONE"):
        suite_clock.draw_clock({"TEST_TIME_ZONE": "Mars/Olympus"})


def test_every_test_starts_at_the_drawn_time(request):
    drawn = request.config.stash[suite_clock.DRAW].start

    assert timedelta(0) <= timezone.now() - drawn < timedelta(seconds=30)


@pytest.mark.now(datetime(2030, 1, 2, 3, 4, tzinfo=UTC))
def test_a_marker_pins_a_tests_own_frozen_moment(clock):
    assert timezone.now() == datetime(2030, 1, 2, 3, 4, tzinfo=UTC)

    clock.shift(timedelta(hours=1))

    assert timezone.now() == datetime(2030, 1, 2, 4, 4, tzinfo=UTC)


def test_after_a_pinned_test_the_next_starts_at_the_drawn_time_again(request):
    drawn = request.config.stash[suite_clock.DRAW].start

    assert timedelta(0) <= timezone.now() - drawn < timedelta(seconds=30)


def test_the_drawn_zone_is_the_sites(request, settings):
    assert request.config.stash[suite_clock.DRAW].zone == settings.TIME_ZONE
