from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from feedback.deadlines import add_business_hours, first_contact_due
from feedback.models import Holiday

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
NINE_TO_SIX = (9, 18)


def add_in_berlin(start, hours, *, holidays=()):
    return add_business_hours(
        start, hours, zone=BERLIN, opening=NINE_TO_SIX, holidays=holidays
    )


@pytest.fixture
def business_hours_in_berlin(settings):
    settings.CASE_SLA_BUSINESS_HOURS = True
    settings.CASE_BUSINESS_HOURS = NINE_TO_SIX
    settings.CASE_BUSINESS_TIME_ZONE = "Europe/Berlin"
    settings.CASE_SLA_HOURS = {"normal": 48, "urgent": 4}


@pytest.fixture
def clock_hours(settings):
    settings.CASE_SLA_BUSINESS_HOURS = False
    settings.CASE_SLA_HOURS = {"normal": 48, "urgent": 4}


@pytest.mark.django_db
@pytest.mark.usefixtures("clock_hours")
@pytest.mark.now(datetime(2025, 6, 6, 17, 30, tzinfo=UTC))
@pytest.mark.parametrize(
    ("priority", "due_at"),
    [
        ("normal", datetime(2025, 6, 8, 17, 30, tzinfo=UTC)),
        ("urgent", datetime(2025, 6, 6, 21, 30, tzinfo=UTC)),
    ],
)
def test_in_clock_hours_the_deadline_is_the_priority_s_hours_later_weekend_or_not(
    django_assert_num_queries, priority, due_at
):
    Holiday.objects.create(date=date(2025, 6, 7), name="Not counted in clock hours")

    with django_assert_num_queries(0):
        assert first_contact_due(timezone.now(), priority=priority) == due_at


@pytest.mark.usefixtures("clock_hours")
def test_in_clock_hours_48_real_hours_pass_across_spring_forward_from_a_local_time():
    # 12:00 in Berlin on the Saturday before the clocks go forward.
    opened_at = datetime(2025, 3, 29, 12, 0, tzinfo=BERLIN)

    due_at = first_contact_due(opened_at, priority="normal")

    assert due_at == datetime(2025, 3, 31, 11, 0, tzinfo=UTC)
    assert due_at.astimezone(BERLIN).hour == 13
    assert due_at - opened_at == timedelta(hours=48)


@pytest.mark.django_db
@pytest.mark.usefixtures("business_hours_in_berlin")
@pytest.mark.now(datetime(2025, 4, 17, 16, 0, tzinfo=BERLIN))
def test_in_business_hours_holiday_rows_are_skipped_with_one_query(
    django_assert_num_queries,
):
    Holiday.objects.create(date=date(2025, 4, 18), name="Good Friday")
    Holiday.objects.create(date=date(2025, 4, 21), name="Easter Monday")

    with django_assert_num_queries(1):
        due_at = first_contact_due(timezone.now(), priority="urgent")

    # Thursday 16–18, then Tuesday 9–11: Friday and Monday are holidays.
    assert due_at == datetime(2025, 4, 22, 11, 0, tzinfo=BERLIN)


@pytest.mark.django_db
@pytest.mark.usefixtures("business_hours_in_berlin")
@pytest.mark.now(datetime(2025, 6, 2, 10, 0, tzinfo=BERLIN))
def test_in_business_hours_48_hours_take_five_days_and_three_hours():
    Holiday.objects.create(date=date(2025, 6, 1), name="Before the case, ignored")

    due_at = first_contact_due(timezone.now(), priority="normal")

    # Monday 8h, Tuesday to Friday 36h, then the next Monday 9–13.
    assert due_at == datetime(2025, 6, 9, 13, 0, tzinfo=BERLIN)


@pytest.mark.django_db
@pytest.mark.usefixtures("business_hours_in_berlin")
@pytest.mark.now(datetime(2025, 6, 6, 22, 30, tzinfo=UTC))
def test_in_business_hours_the_holidays_are_those_of_the_business_zone_s_dates():
    # Friday 22:30 in UTC is already Saturday 00:30 in Berlin.
    Holiday.objects.create(date=date(2025, 6, 9), name="Whit Monday")

    due_at = first_contact_due(timezone.now(), priority="urgent")

    assert due_at == datetime(2025, 6, 10, 13, 0, tzinfo=BERLIN)


def test_hours_count_from_a_start_in_the_middle_of_the_day():
    start = datetime(2025, 6, 3, 10, 0, tzinfo=BERLIN)

    assert add_in_berlin(start, 4) == datetime(2025, 6, 3, 14, 0, tzinfo=BERLIN)


def test_fractional_hours_count_to_the_minute():
    start = datetime(2025, 6, 3, 10, 0, tzinfo=BERLIN)

    assert add_in_berlin(start, 1.75) == datetime(2025, 6, 3, 11, 45, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("start", "due_at"),
    [
        (
            datetime(2025, 6, 3, 22, 0, tzinfo=BERLIN),
            datetime(2025, 6, 4, 13, 0, tzinfo=BERLIN),
        ),
        (
            datetime(2025, 6, 4, 3, 0, tzinfo=BERLIN),
            datetime(2025, 6, 4, 13, 0, tzinfo=BERLIN),
        ),
        (
            datetime(2025, 6, 3, 18, 0, tzinfo=BERLIN),
            datetime(2025, 6, 4, 13, 0, tzinfo=BERLIN),
        ),
    ],
)
def test_a_start_at_night_counts_from_the_next_opening(start, due_at):
    assert add_in_berlin(start, 4) == due_at


def test_a_deadline_that_uses_up_a_day_falls_at_its_closing_time():
    start = datetime(2025, 6, 3, 9, 0, tzinfo=BERLIN)

    assert add_in_berlin(start, 9) == datetime(2025, 6, 3, 18, 0, tzinfo=BERLIN)


def test_friday_afternoon_rolls_over_the_weekend_to_monday():
    start = datetime(2025, 6, 6, 16, 0, tzinfo=BERLIN)

    assert add_in_berlin(start, 4) == datetime(2025, 6, 9, 11, 0, tzinfo=BERLIN)


def test_a_start_on_saturday_counts_from_monday_s_opening():
    start = datetime(2025, 6, 7, 11, 0, tzinfo=BERLIN)

    assert add_in_berlin(start, 4) == datetime(2025, 6, 9, 13, 0, tzinfo=BERLIN)


def test_holidays_are_skipped_like_a_weekend():
    start = datetime(2025, 12, 23, 16, 0, tzinfo=BERLIN)
    christmas = [date(2025, 12, 24), date(2025, 12, 25), date(2025, 12, 26)]

    due_at = add_in_berlin(start, 4, holidays=christmas)

    assert due_at == datetime(2025, 12, 29, 11, 0, tzinfo=BERLIN)


def test_a_start_on_a_holiday_counts_from_the_next_working_day():
    start = datetime(2025, 12, 25, 10, 0, tzinfo=BERLIN)

    due_at = add_in_berlin(start, 1, holidays={date(2025, 12, 25)})

    assert due_at == datetime(2025, 12, 26, 10, 0, tzinfo=BERLIN)


def test_ten_weeks_of_business_hours_end_on_the_tenth_friday_at_closing():
    start = datetime(2025, 6, 2, 9, 0, tzinfo=BERLIN)

    due_at = add_in_berlin(start, 10 * 5 * 9)

    assert due_at == datetime(2025, 8, 8, 18, 0, tzinfo=BERLIN)


def test_spring_forward_weekend_leaves_monday_s_wall_clock_alone():
    # Clocks go forward on Sunday 30 March 2025: Friday is +01:00, Monday +02:00.
    start = datetime(2025, 3, 28, 17, 0, tzinfo=BERLIN)

    due_at = add_in_berlin(start, 2)

    assert due_at == datetime(2025, 3, 31, 8, 0, tzinfo=UTC)
    assert due_at.astimezone(BERLIN).isoformat() == "2025-03-31T10:00:00+02:00"


def test_fall_back_weekend_leaves_monday_s_wall_clock_alone():
    # Clocks go back on Sunday 26 October 2025: Friday is +02:00, Monday +01:00.
    start = datetime(2025, 10, 24, 17, 0, tzinfo=BERLIN)

    due_at = add_in_berlin(start, 2)

    assert due_at == datetime(2025, 10, 27, 9, 0, tzinfo=UTC)
    assert due_at.astimezone(BERLIN).isoformat() == "2025-10-27T10:00:00+01:00"


def test_in_shanghai_a_friday_in_utc_can_be_the_local_weekend():
    # Friday 20:00 UTC is Saturday 04:00 in Shanghai (+08:00).
    start = datetime(2025, 6, 6, 20, 0, tzinfo=UTC)

    due_at = add_business_hours(
        start, 1, zone=SHANGHAI, opening=NINE_TO_SIX, holidays=()
    )

    assert due_at == datetime(2025, 6, 9, 2, 0, tzinfo=UTC)
    assert due_at == datetime(2025, 6, 9, 10, 0, tzinfo=SHANGHAI)


def test_in_shanghai_a_late_afternoon_rolls_over_to_the_next_local_morning():
    start = datetime(2025, 6, 3, 9, 30, tzinfo=UTC)

    due_at = add_business_hours(
        start, 2, zone=SHANGHAI, opening=NINE_TO_SIX, holidays=()
    )

    assert due_at == datetime(2025, 6, 4, 2, 30, tzinfo=UTC)


def test_in_los_angeles_a_saturday_in_utc_can_be_friday_business_time():
    # Saturday 00:30 UTC is Friday 17:30 in Los Angeles (-07:00), whose business
    # day runs from 16:00 to 01:00 UTC.
    start = datetime(2025, 6, 7, 0, 30, tzinfo=UTC)

    due_at = add_business_hours(
        start, 0.5, zone=LOS_ANGELES, opening=NINE_TO_SIX, holidays=()
    )

    assert due_at == datetime(2025, 6, 7, 1, 0, tzinfo=UTC)


def test_in_los_angeles_friday_afternoon_rolls_over_to_monday():
    start = datetime(2025, 6, 6, 16, 0, tzinfo=LOS_ANGELES)

    due_at = add_business_hours(
        start, 4, zone=LOS_ANGELES, opening=NINE_TO_SIX, holidays=()
    )

    assert due_at == datetime(2025, 6, 9, 18, 0, tzinfo=UTC)
    assert due_at == datetime(2025, 6, 9, 11, 0, tzinfo=LOS_ANGELES)


def test_a_business_day_with_an_offset_change_inside_it_has_its_real_length():
    # Belgium left German time for WET at 11:00 UTC on Monday 11 November 1918,
    # noon local time: 9:00 to 18:00 that day lasted ten real hours. No
    # inhabited zone has changed clocks inside 9:00–18:00 on a weekday since 1970.
    brussels = ZoneInfo("Europe/Brussels")
    start = datetime(1918, 11, 11, 9, 0, tzinfo=brussels)

    nine_hours_later = add_business_hours(
        start, 9, zone=brussels, opening=NINE_TO_SIX, holidays=()
    )
    ten_hours_later = add_business_hours(
        start, 10, zone=brussels, opening=NINE_TO_SIX, holidays=()
    )

    assert nine_hours_later == datetime(1918, 11, 11, 17, 0, tzinfo=UTC)
    assert ten_hours_later == datetime(1918, 11, 11, 18, 0, tzinfo=UTC)
    assert ten_hours_later.astimezone(brussels).hour == 18


def test_a_spring_forward_inside_the_business_window_shortens_the_day():
    # Israel's clocks went from 02:00 to 03:00 on Friday 29 March 2024, inside a
    # midnight-to-eight window: that window held seven real hours.
    jerusalem = ZoneInfo("Asia/Jerusalem")
    start = datetime(2024, 3, 29, 0, 0, tzinfo=jerusalem)

    due_at = add_business_hours(start, 7, zone=jerusalem, opening=(0, 8), holidays=())

    assert due_at == datetime(2024, 3, 29, 5, 0, tzinfo=UTC)
    assert due_at.astimezone(jerusalem).hour == 8


@pytest.mark.parametrize("hours", [0, -3, -0.5])
def test_zero_or_negative_hours_give_the_start_back_even_at_the_weekend(hours):
    start = datetime(2025, 6, 7, 11, 0, tzinfo=BERLIN)

    due_at = add_in_berlin(start, hours)

    assert due_at == datetime(2025, 6, 7, 9, 0, tzinfo=UTC)
    assert due_at.tzinfo is UTC


def test_a_holiday_list_that_closes_every_day_raises_instead_of_looping():
    start = datetime(2025, 6, 2, 9, 0, tzinfo=BERLIN)
    every_day = {date(2025, 6, 2) + timedelta(days=n) for n in range(3700)}

    with pytest.raises(ValueError, match="no business time left within 3660 days"):
        add_in_berlin(start, 1, holidays=every_day)


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError, match="start must be an aware datetime"):
        add_in_berlin(datetime(2025, 6, 3, 10, 0), 1)  # noqa: DTZ001


def test_a_naive_opened_at_is_refused():
    with pytest.raises(ValueError, match="opened_at must be an aware datetime"):
        first_contact_due(datetime(2025, 6, 3, 10, 0), priority="normal")  # noqa: DTZ001


@pytest.mark.parametrize("opening", [(18, 9), (9, 9), (-1, 18), (9, 25)])
def test_an_opening_that_is_not_a_day_window_is_refused(opening):
    start = datetime(2025, 6, 3, 10, 0, tzinfo=BERLIN)

    with pytest.raises(ValueError, match="opening must be"):
        add_business_hours(start, 1, zone=BERLIN, opening=opening, holidays=())


def test_a_window_closing_at_24_runs_to_midnight():
    start = datetime(2025, 6, 3, 22, 0, tzinfo=BERLIN)

    due_at = add_business_hours(start, 3, zone=BERLIN, opening=(0, 24), holidays=())

    assert due_at == datetime(2025, 6, 4, 1, 0, tzinfo=BERLIN)


@pytest.mark.django_db
@pytest.mark.parametrize("business_hours", [False, True])
@pytest.mark.parametrize(
    "opened_at",
    [
        datetime(2025, 6, 3, 10, 0, tzinfo=BERLIN),
        datetime(2025, 6, 3, 10, 0, tzinfo=SHANGHAI),
        datetime(2025, 6, 7, 23, 0, tzinfo=LOS_ANGELES),
    ],
)
def test_every_deadline_is_aware_and_in_utc(settings, business_hours, opened_at):
    settings.CASE_SLA_BUSINESS_HOURS = business_hours
    settings.CASE_BUSINESS_TIME_ZONE = "Europe/Berlin"

    due_at = first_contact_due(opened_at, priority="normal")

    assert due_at.tzinfo is UTC
    assert due_at > opened_at
