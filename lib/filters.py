"""Query-string filters every app's API shares. Each validates its value
through a form field, so a bad value (an unknown id, a NUL, a date that is
not one) is a 400 with a message."""

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_filters.fields import IsoDateTimeField


class UtcDateTimeField(IsoDateTimeField):  # type: ignore[misc]
    """An ISO 8601 time, in UTC so that the database can compare it; a time
    without an offset is UTC, as in the API's bodies and answers, whatever
    TIME_ZONE is.

    SQLite's adapter converts to UTC itself and fails with a 500 on
    `9999-12-31T23:59:59-10:00`: out of range is a validation error here.
    """

    def to_python(self, value: Any) -> datetime | None:
        with timezone.override(UTC):
            result: datetime | None = super().to_python(value)
        if result is None:
            return None
        try:
            return result.astimezone(UTC)
        except OverflowError:
            raise ValidationError(
                "Enter a date/time between the years 1 and 9999.", code="overflow"
            ) from None


class UpdatedSinceFilter(django_filters.IsoDateTimeFilter):  # type: ignore[misc]
    field_class = UtcDateTimeField

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            field_name="updated_at",
            lookup_expr="gte",
            label="Updated at or after this ISO 8601 time (e.g. 2025-01-31T08:00:00Z)",
            **kwargs,
        )


class StrictBooleanField(forms.Field):
    widget = forms.TextInput

    def to_python(self, value: Any) -> bool | None:
        if value in self.empty_values:
            return None
        if value not in ("true", "false"):
            raise ValidationError('Enter "true" or "false".', code="invalid")
        return bool(value == "true")


class StrictBooleanFilter(django_filters.BooleanFilter):  # type: ignore[misc]
    """`true` or `false`. django-filter's own reads any other value as "no
    filter", so a typo would list every row; here it is a 400."""

    field_class = StrictBooleanField


class IdFilter(django_filters.ModelChoiceFilter):  # type: ignore[misc]
    """A related row by id, typed in: the browsable API's filter form would
    otherwise render every customer as an <option>."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(widget=forms.TextInput, **kwargs)
