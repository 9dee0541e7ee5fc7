"""When a case's first contact is due: clock hours, or business hours."""

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from feedback.models import Holiday

# Ten years of days: no real deadline needs more, so a holiday list that closes
# every day fails loudly instead of looping forever.
MAX_DAYS_SEARCHED = 3660

# Holidays read for one deadline; SLAs are hours or days, so two years is ample.
HOLIDAYS_AHEAD = timedelta(days=731)


def add_business_hours(
    start: datetime,
    hours: float,
    *,
    zone: ZoneInfo,
    opening: tuple[int, int],
    holidays: Collection[date],
) -> datetime:
    """The moment, in UTC, when `hours` of business time have passed since `start`.

    Business time runs on weekdays outside `holidays`, from the opening to the
    closing hour of `opening`, on the local wall clock of `zone`. A start outside
    those hours counts from the next opening; a deadline that uses up a day
    exactly falls at its closing time. `hours <= 0` gives `start` back.
    """
    if start.utcoffset() is None:
        raise ValueError("start must be an aware datetime")
    opening_hour, closing_hour = opening
    if not 0 <= opening_hour < closing_hour <= 24:
        raise ValueError(
            f"opening must be (open, close) with 0 ≤ open < close ≤ 24, got {opening!r}"
        )
    start = start.astimezone(UTC)
    if hours <= 0:
        return start
    remaining = timedelta(hours=hours)
    closed_days = frozenset(holidays)
    day = start.astimezone(zone).date()
    for _ in range(MAX_DAYS_SEARCHED):
        if day.weekday() < 5 and day not in closed_days:
            # Each end is a local wall-clock time converted on its own, so a day
            # whose window spans an offset change has its real length.
            opens_at = _wall_clock(day, opening_hour, zone=zone)
            closes_at = _wall_clock(day, closing_hour, zone=zone)
            counted_from = max(opens_at, start)
            if counted_from < closes_at:
                available = closes_at - counted_from
                if remaining <= available:
                    return counted_from + remaining
                remaining -= available
        day += timedelta(days=1)
    raise ValueError(
        f"no business time left within {MAX_DAYS_SEARCHED} days of {start.isoformat()}"
    )


def first_contact_due(
    opened_at: datetime, *, priority: str, hours: float | None = None
) -> datetime:
    """The first-contact deadline, in UTC, of a `priority` case opened then;
    `hours` in place of CASE_SLA_HOURS (a pilot's variant)."""
    if opened_at.utcoffset() is None:
        raise ValueError("opened_at must be an aware datetime")
    if hours is None:
        hours = settings.CASE_SLA_HOURS[priority]
    if not settings.CASE_SLA_BUSINESS_HOURS:
        # In UTC first: adding to a datetime in a zoneinfo zone moves the wall
        # clock, which is an hour off across a daylight-saving change.
        return opened_at.astimezone(UTC) + timedelta(hours=hours)
    zone = ZoneInfo(settings.CASE_BUSINESS_TIME_ZONE)
    first_day = opened_at.astimezone(zone).date()
    holidays = set(
        Holiday.objects.filter(
            date__gte=first_day, date__lt=first_day + HOLIDAYS_AHEAD
        ).values_list("date", flat=True)
    )
    return add_business_hours(
        opened_at,
        hours,
        zone=zone,
        opening=settings.CASE_BUSINESS_HOURS,
        holidays=holidays,
    )


def _wall_clock(day: date, hour: int, *, zone: ZoneInfo) -> datetime:
    # Midnight plus hours is wall-clock arithmetic in zoneinfo, and unlike
    # time(hour) it also accepts a closing hour of 24.
    return (
        datetime.combine(day, time(), tzinfo=zone) + timedelta(hours=hour)
    ).astimezone(UTC)
