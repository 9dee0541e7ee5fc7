"""The tokens API's representations: a token never shows its key, except in
the answer to the request that created it."""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from lib.api import ModelSerializer
from tokens.models import ApiToken

FIELDS = [
    "id",
    "name",
    "prefix",
    "scope",
    "user",
    "created_at",
    "expires_at",
    "requests_per_minute",
    "last_used_at",
    "revoked_at",
]


class ApiTokenSerializer(ModelSerializer[ApiToken]):
    class Meta:
        model = ApiToken
        fields = FIELDS
        read_only_fields = FIELDS


class CreateApiTokenSerializer(ModelSerializer[ApiToken]):
    """The input of POST: the new token's name, scope and optional expiry."""

    class Meta:
        model = ApiToken
        fields = ["name", "scope", "expires_at", "requests_per_minute"]
        extra_kwargs = {"scope": {"required": False}}

    def validate_expires_at(self, value: datetime | None) -> datetime | None:
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError(
                _("The expiry must be in the future."), code="past"
            )
        return value


class CreatedApiTokenSerializer(ApiTokenSerializer):
    key = serializers.CharField(
        read_only=True,
        help_text="The key, for `Authorization: Bearer <key>`. Shown this once: "
        "only its hash is kept.",
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*FIELDS, "key"]
        read_only_fields = [*FIELDS, "key"]
