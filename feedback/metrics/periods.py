"""Days, Monday weeks, months and quarters: their first day, the next one,
and their label."""

from datetime import date, datetime, timedelta

from feedback.metrics.filters import Interval


def period_start(day: date, interval: Interval) -> date:
    """The first day of the period holding `day`."""
    if interval == "day":
        return day
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)


def next_period(start: date, interval: Interval) -> date:
    if interval == "day":
        return start + timedelta(days=1)
    if interval == "week":
        return start + timedelta(weeks=1)
    months = 1 if interval == "month" else 3
    month = start.month - 1 + months
    return start.replace(year=start.year + month // 12, month=month % 12 + 1, day=1)


def previous_period(start: date, interval: Interval) -> date:
    return period_start(start - timedelta(days=1), interval)


def periods_between(first: date, last: date, interval: Interval) -> list[date]:
    """The starts of the periods from the one holding `first` to the one
    holding `last`."""
    starts = []
    start = period_start(first, interval)
    while start <= last:
        starts.append(start)
        start = next_period(start, interval)
    return starts


def period_end(start: date, interval: Interval) -> date:
    """The period's last day."""
    return next_period(start, interval) - timedelta(days=1)


def period_label(start: date | datetime, interval: Interval) -> str:
    if interval == "day":
        return f"{start:%Y-%m-%d}"
    if interval == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if interval == "month":
        return f"{start:%Y-%m}"
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
