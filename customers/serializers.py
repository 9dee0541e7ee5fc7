"""The customers API's representations. Writes go through `customers.services`."""

from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from customers import services
from customers.models import (
    Company,
    ConsentEvent,
    ConsentPurpose,
    Customer,
    Interaction,
    Touchpoint,
)
from lib.api import ModelSerializer, Serializer, UtcDateTimeField
from lib.validation import single_line

TIMESTAMPS = ["created_at", "updated_at"]


class CompanySerializer(ModelSerializer[Company]):
    class Meta:
        model = Company
        fields = [
            "id",
            "name",
            "domain",
            "segment",
            "owner",
            "external_id",
            *TIMESTAMPS,
        ]
        read_only_fields = TIMESTAMPS
        extra_kwargs = {
            "owner": {"queryset": User.objects.filter(is_staff=True)},
            "external_id": {
                "validators": [
                    UniqueValidator(
                        queryset=Company.objects.exclude(external_id=""),
                        message=_("A company with this external id already exists."),
                    )
                ]
            },
        }

    def create(self, validated_data: dict[str, Any]) -> Company:
        return services.create_company(**validated_data)

    def update(self, instance: Company, validated_data: dict[str, Any]) -> Company:
        return services.update_company(instance, **validated_data)


class CustomerSerializer(ModelSerializer[Customer]):
    # A list of short labels; a JSONField would take any document, NULs included.
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=50, required=False
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "company",
            "segment",
            "stage",
            "language",
            "timezone",
            "owner",
            "external_id",
            "tags",
            "jurisdiction",
            "email_opted_out_at",
            "erased_at",
            *TIMESTAMPS,
        ]
        read_only_fields = ["email_opted_out_at", "erased_at", *TIMESTAMPS]
        extra_kwargs = {
            "owner": {"queryset": User.objects.filter(is_staff=True)},
            "external_id": {
                "validators": [
                    UniqueValidator(
                        queryset=Customer.objects.exclude(external_id=""),
                        message=_("A customer with this external id already exists."),
                    )
                ]
            },
        }

    def validate_email(self, value: str) -> str:
        # The model's constraint would report a duplicate under no field.
        if not value:
            return value
        others = Customer.objects.with_email(value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(
                _("A customer with this email already exists."), code="unique"
            )
        return value

    def create(self, validated_data: dict[str, Any]) -> Customer:
        return services.create_customer(**validated_data)

    def update(self, instance: Customer, validated_data: dict[str, Any]) -> Customer:
        return services.update_customer(instance, **validated_data)


class TouchpointSerializer(ModelSerializer[Touchpoint]):
    class Meta:
        model = Touchpoint
        fields = ["id", "name", "stage", "default_channel", "is_active", *TIMESTAMPS]
        read_only_fields = TIMESTAMPS
        extra_kwargs = {
            "name": {
                "validators": [
                    UniqueValidator(
                        queryset=Touchpoint.objects.all(),
                        message=_("A touchpoint with this name already exists."),
                    )
                ]
            },
        }

    def create(self, validated_data: dict[str, Any]) -> Touchpoint:
        return services.create_touchpoint(**validated_data)

    def update(
        self, instance: Touchpoint, validated_data: dict[str, Any]
    ) -> Touchpoint:
        return services.update_touchpoint(instance, **validated_data)


class InteractionSerializer(ModelSerializer[Interaction]):
    class Meta:
        model = Interaction
        fields = [
            "id",
            "customer",
            "touchpoint",
            "channel",
            "direction",
            "subject",
            "notes",
            "occurred_at",
            "logged_by",
            "status",
            "survey_mode",
            "resolved_at",
            *TIMESTAMPS,
        ]
        # `logged_by` is the requester and `resolved_at` follows `status`.
        read_only_fields = ["logged_by", "resolved_at", *TIMESTAMPS]

    def create(self, validated_data: dict[str, Any]) -> Interaction:
        return services.log_interaction(**validated_data)

    def update(
        self, instance: Interaction, validated_data: dict[str, Any]
    ) -> Interaction:
        return services.update_interaction(instance, **validated_data)


class ConsentEventSerializer(ModelSerializer[ConsentEvent]):
    class Meta:
        model = ConsentEvent
        fields = [
            "id",
            "customer",
            "purpose",
            "granted",
            "source",
            "policy_version",
            "ip_network",
            "user_agent",
            "staff_member",
            "created_at",
        ]
        read_only_fields = fields


class ConsentStateSerializer(Serializer):
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    granted = serializers.BooleanField()
    is_default = serializers.BooleanField(
        help_text=_("No event yet: the purpose's default.")
    )
    since = UtcDateTimeField(allow_null=True)


class ConsentSerializer(Serializer):
    """The customer's consent: each purpose's state, then every event,
    newest first."""

    state = ConsentStateSerializer(many=True)
    events = ConsentEventSerializer(many=True)


class RecordConsentSerializer(Serializer):
    """A grant or withdrawal to record (source `api`). The evidence, when the
    calling system has it (the customer's own request), is truncated before
    it is stored: the IP address to its network, the user agent to 200
    characters."""

    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    granted = serializers.BooleanField()
    ip_address = serializers.IPAddressField(required=False, allow_blank=True)
    user_agent = serializers.CharField(
        required=False, allow_blank=True, max_length=1000
    )
    policy_version = serializers.CharField(
        required=False, allow_blank=True, max_length=50, validators=[single_line]
    )
