"""Form fields that several apps' forms share."""

from datetime import UTC, date, datetime, time

from django import forms
from django.utils import timezone


def passed_reading(local: datetime) -> datetime | None:
    """`local`, a wall-clock time in the current zone, made aware when it
    falls in the hour that repeats as daylight saving time ends; else None.

    Django refuses such a time as ambiguous, and so refused the form's own
    "now" for that hour. A time typed into these forms has passed: the later
    reading unless it is still to come, then the earlier one."""
    zone = timezone.get_current_timezone()
    readings = [local.replace(tzinfo=zone, fold=fold) for fold in (0, 1)]
    exists = [
        reading
        for reading in readings
        if reading.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == local
    ]
    earlier, later = readings
    if len(exists) != 2 or earlier.utcoffset() == later.utcoffset():
        return None
    # In UTC: an aware time with fold=1 compares unequal to any other zone's.
    later, earlier = later.astimezone(UTC), earlier.astimezone(UTC)
    return later if later <= timezone.now() else earlier


class LocalSplitDateTimeField(forms.SplitDateTimeField):
    """The admin's date and time inputs, read in the site's zone, that
    accept a time of the repeated hour when daylight saving time ends."""

    def compress(self, data_list: tuple[date, time] | None) -> datetime | None:
        # Either part may be missing (None): Django's own checks say which.
        if data_list and len(data_list) == 2:
            day, hour = data_list
            if isinstance(day, date) and isinstance(hour, time):
                resolved = passed_reading(datetime.combine(day, hour))
                if resolved is not None:
                    return resolved
        return super().compress(data_list)
