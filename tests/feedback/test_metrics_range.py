"""The range a query string asks for: its defaults, the longest range, the
site's zone, and the ranges that cannot be counted."""

from datetime import UTC, date, datetime

import pytest

from feedback.metrics.filters import LONGEST_RANGE_DAYS, MetricsQueryForm

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("metrics_settings")]


# The query string's range

TODAY = date(2026, 3, 15)
NOON_TODAY = datetime(2026, 3, 15, 12, tzinfo=UTC)


def range_asked(params: dict[str, str]) -> tuple[date | None, date | None]:
    form = MetricsQueryForm(params)
    assert form.is_valid(), form.errors
    answers = form.answer_filter()
    return answers.start, answers.end


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # Nothing: the 90 days up to today.
        ({}, (date(2025, 12, 16), TODAY)),
        # Only `to`: the 90 days up to it.
        ({"to": "2026-01-31"}, (date(2025, 11, 3), date(2026, 1, 31))),
        # Only `from`: up to today; in the future, that one day.
        ({"from": "2026-03-01"}, (date(2026, 3, 1), TODAY)),
        ({"from": "2026-03-15"}, (TODAY, TODAY)),
        ({"from": "2030-01-01"}, (date(2030, 1, 1), date(2030, 1, 1))),
        ({"from": "2026-03-15", "to": "2026-03-15"}, (TODAY, TODAY)),
        # The longest range, LONGEST_RANGE_DAYS days, with one end or both.
        ({"from": "2021-03-12"}, (date(2021, 3, 12), TODAY)),
        (
            {"from": "2021-01-01", "to": "2026-01-04"},
            (date(2021, 1, 1), date(2026, 1, 4)),
        ),
        # The first and last days asked for.
        (
            {"from": "1900-01-01", "to": "1900-01-01"},
            (date(1900, 1, 1), date(1900, 1, 1)),
        ),
        ({"to": "1900-03-31"}, (date(1900, 1, 1), date(1900, 3, 31))),
        ({"from": "2999-12-31"}, (date(2999, 12, 31), date(2999, 12, 31))),
        (
            {"from": "2999-10-03", "to": "2999-12-31"},
            (date(2999, 10, 3), date(2999, 12, 31)),
        ),
    ],
)
@pytest.mark.now(NOON_TODAY)
def test_the_range_asked_for_with_its_defaults(params, expected):
    assert range_asked(params) == expected


def test_the_longest_range_is_five_years_of_leap_years():
    assert (date(2026, 1, 4) - date(2021, 1, 1)).days + 1 == LONGEST_RANGE_DAYS
    assert (TODAY - date(2021, 3, 12)).days + 1 == LONGEST_RANGE_DAYS


# 20:00 UTC on 15 March is the 16th in Shanghai.
@pytest.mark.now(datetime(2026, 3, 15, 20, tzinfo=UTC))
def test_the_default_range_ends_today_in_the_sites_zone(settings):
    settings.TIME_ZONE = "Asia/Shanghai"

    assert range_asked({}) == (date(2025, 12, 17), date(2026, 3, 16))
    assert range_asked({"from": "2026-03-16"}) == (date(2026, 3, 16), date(2026, 3, 16))


LONGEST = f"Ask for at most {LONGEST_RANGE_DAYS} days at once."
OUTSIDE = "Choose a day from 1900-01-01 to 2999-12-31."


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        (
            {"from": "2026-03-10", "to": "2026-03-09"},
            {"to": ["The range ends before it starts."]},
        ),
        (
            {"from": "2030-01-01", "to": "2026-01-01"},
            {"to": ["The range ends before it starts."]},
        ),
        # One day longer than the longest range, with both ends or only one.
        ({"from": "2021-01-01", "to": "2026-01-05"}, {"from_": [LONGEST]}),
        ({"from": "2021-03-11"}, {"from_": [LONGEST]}),
        ({"from": "1900-01-01", "interval": "day"}, {"from_": [LONGEST]}),
        ({"from": "2026-03-01", "to": "2999-12-31"}, {"from_": [LONGEST]}),
        # Days outside 1900-01-01…2999-12-31, on the field that holds them.
        ({"from": "1899-12-31", "to": "1900-01-01"}, {"from_": [OUTSIDE]}),
        ({"from": "2999-12-31", "to": "3000-01-01"}, {"to": [OUTSIDE]}),
        ({"from": "9999-12-31"}, {"from_": [OUTSIDE]}),
        ({"to": "0001-01-05"}, {"to": [OUTSIDE]}),
        ({"from": "0001-01-01", "to": "9999-12-31"}, {"from_": [OUTSIDE]}),
        ({"from": "2026-02-30"}, {"from_": ["Enter a valid date."]}),
    ],
)
@pytest.mark.now(NOON_TODAY)
def test_a_range_that_cannot_be_counted_is_refused(params, errors):
    form = MetricsQueryForm(params)

    assert not form.is_valid()
    assert form.errors == errors
    assert "from_" not in form.cleaned_data or "to" not in form.cleaned_data
