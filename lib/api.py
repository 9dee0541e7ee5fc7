"""The API's shared classes: the defaults named in settings.REST_FRAMEWORK and
the serializer base every app's serializers derive from.

Kept apart from `lib/api_errors.py` and `crm/api.py`: DRF imports these
while its own views module loads, so this module must not import views,
viewsets or the router.
"""

import json
import re
from collections.abc import Mapping, MutableMapping, Sequence
from datetime import UTC, tzinfo
from typing import IO, Any, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from rest_framework import (
    exceptions,
    filters,
    pagination,
    parsers,
    permissions,
    serializers,
)
from rest_framework.fields import empty
from rest_framework.pagination import Cursor
from rest_framework.request import Request

M = TypeVar("M", bound=models.Model)

CURSOR_POSITION = re.compile(r"[0-9]{1,19}")


class ModelPermissions(permissions.DjangoModelPermissions):
    """The user's Django permissions, with `view` required for reads too."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class IdCursorPagination(pagination.CursorPagination):
    """Stable, index-backed pages: `?cursor=` never skips or repeats a row."""

    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 500

    model: type[models.Model] | None = None

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        # The model tells decode_cursor what a position of the ordering is.
        self.model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        # DRF checks the cursor's offset but not its position, which goes
        # straight into `id > position` (or `updated_at > position`): a forged
        # one must be a 404, not a 500.
        cursor = super().decode_cursor(request)
        if cursor and cursor.position and not self.valid_position(cursor.position):
            raise exceptions.NotFound(self.invalid_cursor_message)
        return cursor

    def valid_position(self, position: Any) -> bool:
        name = self.ordering[0].lstrip("-")
        if name in ("id", "pk") or self.model is None:
            return bool(CURSOR_POSITION.fullmatch(str(position)))
        field = self.model._meta.get_field(name)
        if not isinstance(field, models.Field):
            return False
        try:
            value = field.to_python(position)
        except DjangoValidationError:
            return False
        # A time without its zone would be read in the server's.
        return not isinstance(field, models.DateTimeField) or (
            value is not None and value.tzinfo is not None
        )


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=` one of the view's `ordering_fields`, `-` for descending.

    Cursor pages need a total order, so one field is honoured (the first
    valid one) and `id` in the same direction breaks its ties: the cursor
    never skips or repeats a row. Every field offered is backed by an index
    ending in `id` (`updated_at`, …) or lives in a small table.
    """

    ordering_description = (
        "Order by one field, `-` for descending; ties are broken by id in the "
        "same direction. Unknown fields are ignored (the order is then by id)."
    )

    def get_ordering(
        self, request: Request, queryset: QuerySet[Any], view: Any
    ) -> Sequence[str] | None:
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        first = ordering[0]
        if first.lstrip("-") in ("id", "pk"):
            return [first]
        return [first, "-id" if first.startswith("-") else "id"]

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        (parameter,) = super().get_schema_operation_parameters(view)
        fields = list(getattr(view, "ordering_fields", None) or [])
        choices = [choice for name in fields for choice in (name, f"-{name}")]
        return [{**parameter, "schema": {"type": "string", "enum": choices}}]


class SearchFilter(filters.SearchFilter):
    """`?search=` words, each matching one of the view's `search_fields`
    (every word must match). Only indexed columns are searched."""

    def get_search_terms(self, request: Request) -> list[str]:
        try:
            terms: list[str] = super().get_search_terms(request)
        except serializers.ValidationError as error:
            # DRF answers a bad term (a NUL) with a bare list: name the field.
            raise serializers.ValidationError(
                {self.search_param: error.detail}
            ) from None
        return terms

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        (parameter,) = super().get_schema_operation_parameters(view)
        fields = ", ".join(
            name.lstrip("^=").removesuffix("__exact").replace("__", ".")
            for name in getattr(view, "search_fields", None) or []
        )
        return [{**parameter, "description": f"Words to search in: {fields}."}]


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with a 400 for the two documents it answers with a 500.

    Nesting deeper than Python's recursion limit, and lone surrogate escapes
    (`"\\ud800"`), which no UTF-8 response or database can hold: a field
    validator would refuse one in a value, but not in a field name, echoed in
    the "Unknown field." error.
    """

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                "JSON parse error - nested too deeply."
            ) from None
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise exceptions.ParseError(
                "JSON parse error - lone surrogate escapes are not allowed."
            ) from None
        return data


class IdRelatedField(serializers.PrimaryKeyRelatedField[M]):
    """A foreign key as the related row's integer id.

    DRF would pass `1.5` (as 1) or `1e400` (a 500) to the database: the id must
    be an integer first.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("pk_field", serializers.IntegerField())
        super().__init__(**kwargs)


def refuse_unknown_fields(data: Any, fields: Mapping[str, Any]) -> None:
    """A misspelt field would otherwise be dropped without a word."""
    if isinstance(data, Mapping):
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise serializers.ValidationError(
                {name: ["Unknown field."] for name in unknown}, code="unknown"
            )


class UtcDateTimeField(serializers.DateTimeField):
    """A time in UTC ("…Z") whatever TIME_ZONE says, and a time given without
    an offset read as UTC: a tool reads the same instant the same way from
    every deployment, and after a change of the site's zone."""

    # The stubs say str; DRF's own returns a tzinfo, as here.
    def default_timezone(self) -> tzinfo:  # type: ignore[override]
        return UTC


class ModelSerializer(serializers.ModelSerializer[M]):
    """DRF's ModelSerializer, refusing fields it does not know.

    Read-only fields a client echoes back (`id`, `created_at`, …) are known,
    and ignored.
    """

    serializer_related_field = IdRelatedField
    # The model's times in UTC (UtcDateTimeField). Said here, not in the
    # docstring: drf-spectacular shows that in the schema of every serializer
    # without a docstring of its own.
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UtcDateTimeField,
    }

    def include_extra_kwargs(
        self, kwargs: MutableMapping[str, Any], extra_kwargs: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        allow_blank = kwargs.get("allow_blank")
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        # DRF drops `allow_blank` from read-only fields, but a blank choice
        # (no suppressed reason yet) is still answered: the schema must say so.
        if allow_blank and "choices" in kwargs:
            kwargs["allow_blank"] = True
        return kwargs

    def to_internal_value(self, data: Any) -> Any:
        refuse_unknown_fields(data, self.fields)
        return super().to_internal_value(data)


class Serializer(serializers.Serializer[Any]):
    """DRF's plain Serializer, refusing fields it does not know."""

    def to_internal_value(self, data: Any) -> Any:
        refuse_unknown_fields(data, self.fields)
        return super().to_internal_value(data)


def list_filters() -> list[type[Any]]:
    """The filter backends of a list endpoint: its filterset, `?search=` and
    `?ordering=`. Imported when called: DRF loads this module early."""
    from django_filters.rest_framework import DjangoFilterBackend

    return [DjangoFilterBackend, SearchFilter, OrderingFilter]


# Ids are BigAutoField values: anything larger is not one (and would not fit
# in PostgreSQL's bigint).
MAX_ID = 2**63 - 1


class IdListField(serializers.ListField):
    """Ids of related rows, checked in one query; renders the ids of a
    to-many relation (prefetch it, or each row costs a query)."""

    def __init__(self, *, queryset: QuerySet[Any], **kwargs: Any) -> None:
        self.queryset = queryset
        super().__init__(
            child=serializers.IntegerField(min_value=1, max_value=MAX_ID), **kwargs
        )

    def get_attribute(self, instance: Model) -> list[int]:
        related: Any = super().get_attribute(instance)  # the related manager
        return [row.pk for row in related.all()]

    def to_representation(self, data: list[int]) -> list[int]:
        return data

    def run_validation(self, data: Any = empty) -> Any:
        # After the length check: a list too long is refused without a query.
        value = super().run_validation(data)
        if not isinstance(value, list):
            return value
        ids = list(dict.fromkeys(value))
        known = set(self.queryset.filter(pk__in=ids).values_list("pk", flat=True))
        unknown = [id_ for id_ in ids if id_ not in known]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown ids: %(ids)s.") % {"ids": ", ".join(map(str, unknown))},
                code="does_not_exist",
            )
        return ids
