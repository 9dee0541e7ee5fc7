"""The admin's date and time inputs in the hour that daylight saving repeats."""

from datetime import UTC, datetime, timedelta

import pytest
from django import forms

from lib.forms import LocalSplitDateTimeField

# New York, 2026-11-01: at 02:00 EDT the clocks go back to 01:00 EST, so the
# wall-clock time 01:30 happens twice.
FIRST = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
SECOND = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST
REPEATED = ["2026-11-01", "01:30"]


@pytest.fixture(autouse=True)
def new_york(settings):
    settings.TIME_ZONE = "America/New_York"


def test_django_alone_refuses_the_repeated_hour(clock):
    clock.move_to(SECOND + timedelta(minutes=1), tick=False)

    with pytest.raises(forms.ValidationError, match="ambiguous"):
        forms.SplitDateTimeField().clean(REPEATED)


def test_in_the_second_pass_the_repeated_time_is_the_later_one(clock):
    clock.move_to(SECOND + timedelta(minutes=1), tick=False)

    assert LocalSplitDateTimeField().clean(REPEATED) == SECOND


def test_in_the_first_pass_the_repeated_time_is_the_earlier_one(clock):
    # The later reading is still to come: a time entered has passed.
    clock.move_to(FIRST + timedelta(minutes=1), tick=False)

    assert LocalSplitDateTimeField().clean(REPEATED) == FIRST


def test_any_other_time_reads_as_django_reads_it(clock):
    clock.move_to(SECOND, tick=False)

    assert LocalSplitDateTimeField().clean(["2026-11-01", "12:00"]) == datetime(
        2026, 11, 1, 17, 0, tzinfo=UTC
    )


def test_a_time_skipped_by_the_spring_change_is_a_form_error():
    with pytest.raises(forms.ValidationError, match="may not exist"):
        LocalSplitDateTimeField().clean(["2027-03-14", "02:30"])


def test_an_empty_value_is_none_when_not_required():
    assert LocalSplitDateTimeField(required=False).clean(["", ""]) is None
