"""The webhooks API's representations. Writes go through `webhooks.services`."""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from lib.api import ModelSerializer, UtcDateTimeField
from webhooks import services
from webhooks.models import EVENT_TYPES, Delivery, DeliveryAttempt, Subscription

STATE = [
    "consecutive_failures",
    "last_succeeded_at",
    "disabled_at",
    "disabled_reason",
    "created_at",
    "updated_at",
]


class SubscriptionSerializer(ModelSerializer[Subscription]):
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES),
        min_length=1,
        max_length=len(EVENT_TYPES),
        help_text="The events to receive.",
    )

    class Meta:
        model = Subscription
        # No secret: it is shown once, in the answers of create and
        # rotate-secret (SubscriptionWithSecretSerializer), never in a GET.
        fields = ["id", "owner", "url", "event_types", "is_active", *STATE]
        # The owner is the requester.
        read_only_fields = ["owner", *STATE]
        extra_kwargs = {
            "url": {"help_text": "Where events are POSTed: an http or https URL."},
            "is_active": {
                "help_text": "Switching a disabled subscription on again starts "
                "its failure count afresh."
            },
        }

    def to_internal_value(self, data: Any) -> Any:
        # The secret is generated: one a client sends (say, echoing the
        # answer of create) is ignored, as the other read-only fields are.
        if isinstance(data, Mapping) and "secret" in data:
            data = {name: value for name, value in data.items() if name != "secret"}
        return super().to_internal_value(data)

    def validate_event_types(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError(
                _("Name each event type once."), code="duplicate"
            )
        return value

    def create(self, validated_data: dict[str, Any]) -> Subscription:
        return services.create_subscription(**validated_data)

    def update(
        self, instance: Subscription, validated_data: dict[str, Any]
    ) -> Subscription:
        return services.update_subscription(instance, **validated_data)


class SubscriptionWithSecretSerializer(SubscriptionSerializer):
    """A subscription just created or given a new secret: the one time its
    secret is shown. It is generated; a secret sent by the client is
    ignored."""

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = [*SubscriptionSerializer.Meta.read_only_fields, "secret"]
        extra_kwargs = {
            **SubscriptionSerializer.Meta.extra_kwargs,
            "secret": {
                "help_text": "Signs every request. Shown only now: keep it; "
                "POST …/rotate-secret/ makes a new one."
            },
        }


class DeliveryAttemptSerializer(ModelSerializer[DeliveryAttempt]):
    class Meta:
        model = DeliveryAttempt
        fields = ["attempted_at", "status_code", "response_ms", "error"]
        read_only_fields = fields


class DeliverySerializer(ModelSerializer[Delivery]):
    event = serializers.UUIDField(source="event_id", read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)
    event_created_at = UtcDateTimeField(source="event.created_at", read_only=True)
    attempt_log = DeliveryAttemptSerializer(
        many=True, read_only=True, help_text="Every POST, oldest first."
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event",
            "event_type",
            "event_created_at",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "attempt_log",
        ]
        read_only_fields = fields
