"""Query-string filters of the feedback API.

Every filter validates its value through a form field, so a bad value (an
unknown id, a NUL, a word that is not a choice) is a 400 with a message.
"""

from typing import Any, cast

import django_filters
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone
from django_filters.fields import ModelChoiceField
from drf_spectacular.utils import extend_schema_field

from customers.models import Customer
from feedback.models import Case, CaseQuerySet, RootCause
from lib.filters import IdFilter, StrictBooleanFilter, UpdatedSinceFilter

ME = "me"
NOBODY = "none"


class OwnerField(ModelChoiceField):  # type: ignore[misc]
    def to_python(self, value: Any) -> Any:
        if value == ME:
            return ME
        return super().to_python(value)


OWNER_LABEL = "Owner: a user id, `me` (the requester) or `none` (nobody)"


# A string in the schema, not the integer of a foreign key.
@extend_schema_field({"type": "string", "description": OWNER_LABEL})
class OwnerFilter(IdFilter):
    """A user's id; `me`, the requester; or `none`, the cases nobody owns."""

    field_class = OwnerField

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            queryset=User.objects.all(),
            null_label="Nobody",
            null_value=NOBODY,
            label=OWNER_LABEL,
            **kwargs,
        )

    def filter(self, queryset: QuerySet[Case], value: Any) -> QuerySet[Case]:
        if value == ME:
            return queryset.filter(owner_id=self.get_request().user.pk)
        result: QuerySet[Case] = super().filter(queryset, value)
        return result


class CaseFilter(django_filters.FilterSet):  # type: ignore[misc]
    owner = OwnerFilter()
    customer = IdFilter(queryset=Customer.objects.all())
    overdue = StrictBooleanFilter(
        method="filter_overdue",
        label="Open and past the first-contact deadline (true), or not (false)",
    )
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Case
        fields = ["status", "owner", "overdue", "customer", "reason", "priority"]

    def filter_overdue(
        self, queryset: QuerySet[Case], name: str, value: bool
    ) -> QuerySet[Case]:
        cases, now = cast(CaseQuerySet, queryset), timezone.now()
        if value:
            return cases.overdue(now)
        return cases.exclude(pk__in=Case.objects.overdue(now).values("pk"))


class RootCauseFilter(django_filters.FilterSet):  # type: ignore[misc]
    is_active = StrictBooleanFilter()

    class Meta:
        model = RootCause
        fields = ["is_active"]
