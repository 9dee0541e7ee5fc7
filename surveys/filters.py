"""Query-string filters of the surveys API, and the customer filter of a manual
send.

Every filter validates its value through a form field, so a bad value (an
unknown id, a NUL, a time that is not one) is a 400 with a message.
"""

from typing import Any

import django_filters
from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from customers.models import Company, Customer, Interaction
from lib.filters import (
    IdFilter,
    StrictBooleanFilter,
    UpdatedSinceFilter,
    UtcDateTimeField,
)
from surveys.models import Invitation, Survey, SurveyResponse


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):  # type: ignore[misc]
    field_class = UtcDateTimeField


class SurveyFilter(django_filters.FilterSet):  # type: ignore[misc]
    is_active = StrictBooleanFilter()
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Survey
        fields = ["kind", "trigger", "is_active"]


class InvitationFilter(django_filters.FilterSet):  # type: ignore[misc]
    customer = IdFilter(queryset=Customer.objects.all())
    survey = IdFilter(queryset=Survey.objects.all())
    interaction = IdFilter(queryset=Interaction.objects.all())
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = Invitation
        fields = ["customer", "survey", "interaction", "status", "suppressed_reason"]


class SurveyResponseFilter(django_filters.FilterSet):  # type: ignore[misc]
    customer = IdFilter(queryset=Customer.objects.all())
    survey = IdFilter(queryset=Survey.objects.all())
    answered_from = UtcDateTimeFilter(
        field_name="answered_at",
        lookup_expr="gte",
        label="Answered at or after this ISO 8601 time (e.g. 2025-01-01T00:00:00Z)",
    )
    answered_to = UtcDateTimeFilter(
        field_name="answered_at",
        lookup_expr="lt",
        label="Answered before this ISO 8601 time (exclusive, so that consecutive "
        "ranges never count an answer twice)",
    )
    updated_since = UpdatedSinceFilter()

    class Meta:
        model = SurveyResponse
        fields = ["customer", "survey", "kind", "band"]


def with_tag(customers: QuerySet[Customer], tag: str) -> QuerySet[Customer]:
    if connection.features.supports_json_field_contains:
        return customers.filter(tags__contains=[tag])
    # SQLite has no JSON containment: look through the array with json_each.
    # The table name is the model's own; only the tag is a parameter.
    table = connection.ops.quote_name(Customer._meta.db_table)
    has_tag = RawSQL(  # noqa: S611
        f"EXISTS (SELECT 1 FROM json_each({table}.tags) WHERE json_each.value = %s)",  # noqa: S608
        [tag],
        output_field=BooleanField(),
    )
    return customers.alias(has_tag=has_tag).filter(has_tag=True)


def customers_matching(
    *,
    segment: str | None = None,
    company: Company | None = None,
    stage: str | None = None,
    tag: str | None = None,
    language: str | None = None,
) -> QuerySet[Customer]:
    """The customers matching every criterion given."""
    criteria: dict[str, Any] = {
        "segment": segment,
        "company": company,
        "stage": stage,
        "language": language,
    }
    customers: QuerySet[Customer] = Customer.objects.filter(
        **{name: value for name, value in criteria.items() if value is not None}
    )
    if tag is not None:
        customers = with_tag(customers, tag)
    return customers
