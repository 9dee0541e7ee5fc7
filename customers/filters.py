"""Query-string filters of the customers API.

Every filter validates its value through a form field, so a bad value (an
unknown id, a NUL, a date that is not one) is a 400 with a message.
"""

from typing import cast

import django_filters
from django.db.models import QuerySet

from customers.models import (
    Company,
    Customer,
    CustomerQuerySet,
    Interaction,
    Touchpoint,
)
from lib.filters import (
    IdFilter,
    StrictBooleanFilter,
    UpdatedSinceFilter,
)


class CompanyFilter(django_filters.FilterSet):  # type: ignore[misc]
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Company
        fields = ["external_id"]


class CustomerFilter(django_filters.FilterSet):  # type: ignore[misc]
    email = django_filters.CharFilter(
        method="filter_email", label="Email, ignoring case"
    )
    company = IdFilter(queryset=Company.objects.all())
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Customer
        fields = ["email", "external_id", "company"]

    def filter_email(
        self, queryset: QuerySet[Customer], name: str, value: str
    ) -> QuerySet[Customer]:
        return cast(CustomerQuerySet, queryset).with_email(value)


class TouchpointFilter(django_filters.FilterSet):  # type: ignore[misc]
    is_active = StrictBooleanFilter()
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Touchpoint
        fields = ["stage", "is_active"]


class InteractionFilter(django_filters.FilterSet):  # type: ignore[misc]
    customer = IdFilter(queryset=Customer.objects.all())
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Interaction
        fields = ["customer", "channel", "status"]
