"""The API's shared classes: the defaults named in settings.REST_FRAMEWORK and
the serializer base every app's serializers derive from.

Kept apart from `crm/api.py`: DRF imports these while its own views module
loads, so this module must not import views, viewsets or the router.
"""

import json
import re
from collections.abc import Mapping
from typing import IO, Any, TypeVar

from django.db import models
from rest_framework import exceptions, pagination, parsers, permissions, serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.pagination import Cursor
from rest_framework.request import Request

M = TypeVar("M", bound=models.Model)

# DRF's keys are 20 random bytes in hex. Anything else is refused before it
# reaches the database (PostgreSQL cannot even compare text holding a NUL).
TOKEN_KEY = re.compile(r"[0-9a-f]{40}")
CURSOR_POSITION = re.compile(r"[0-9]{1,19}")


class BearerTokenAuthentication(TokenAuthentication):
    """`Authorization: Bearer <key>`, the header every HTTP client knows."""

    keyword = "Bearer"

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        if not TOKEN_KEY.fullmatch(key):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)


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

    def decode_cursor(self, request: Request) -> Cursor | None:
        # DRF checks the cursor's offset but not its position, which goes
        # straight into `id > position`: a forged one must be a 404, not a 500.
        cursor = super().decode_cursor(request)
        if (
            cursor
            and cursor.position
            and not CURSOR_POSITION.fullmatch(str(cursor.position))
        ):
            raise exceptions.NotFound(self.invalid_cursor_message)
        return cursor


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


class ModelSerializer(serializers.ModelSerializer[M]):
    """DRF's ModelSerializer, refusing fields it does not know.

    Read-only fields a client echoes back (`id`, `created_at`, …) are known,
    and ignored.
    """

    serializer_related_field = IdRelatedField

    def to_internal_value(self, data: Any) -> Any:
        refuse_unknown_fields(data, self.fields)
        return super().to_internal_value(data)


class Serializer(serializers.Serializer[Any]):
    """DRF's plain Serializer, refusing fields it does not know."""

    def to_internal_value(self, data: Any) -> Any:
        refuse_unknown_fields(data, self.fields)
        return super().to_internal_value(data)
