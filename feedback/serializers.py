"""The feedback API's representations. Cases are read here and changed only
through `feedback.services.cases`: each action has a small input serializer
whose validated data are the service's keyword arguments."""

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from customers.models import Channel, Customer, Interaction
from feedback import permissions
from feedback.models import Case, CaseEvent, RootCause
from lib.api import (
    IdListField,
    IdRelatedField,
    ModelSerializer,
    Serializer,
    UtcDateTimeField,
)
from lib.validation import single_line
from surveys.models import SurveyResponse

MAX_TEXT_LENGTH = 10_000
MAX_ASSIGNED_CASES = 1_000


def case_owner(user: User | None) -> User | None:
    # The services refuse such an owner too, but under no field.
    if user is not None and not permissions.may_own_cases(user):
        raise serializers.ValidationError(
            _("%(user)s cannot own cases: only active staff can.") % {"user": user},
            code="invalid_owner",
        )
    return user


def note_field(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=MAX_TEXT_LENGTH, **kwargs)


class CaseSerializer(ModelSerializer[Case]):
    is_overdue = serializers.SerializerMethodField(
        help_text="Open and past its first-contact deadline (`due_at`)."
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "customer",
            "response",
            "interaction",
            "reason",
            "priority",
            "status",
            "owner",
            "due_at",
            "is_overdue",
            "first_contact_at",
            "contact_channel",
            "closed_at",
            "root_cause",
            "resolution",
            "escalation_level",
            "recovery_invitation",
            "outcome",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_is_overdue(self, case: Case) -> bool:
        now: datetime = self.context.get("now") or timezone.now()
        return case.is_overdue(now)


class CaseEventSerializer(ModelSerializer[CaseEvent]):
    class Meta:
        model = CaseEvent
        fields = ["id", "kind", "actor", "note", "data", "created_at"]
        read_only_fields = fields
        extra_kwargs = {"actor": {"help_text": "The user; null for the system."}}


class OpenCaseSerializer(Serializer):
    """A case opened by hand, about a customer, and perhaps one of their
    answers or interactions."""

    customer: IdRelatedField[Customer] = IdRelatedField(queryset=Customer.objects.all())
    response: IdRelatedField[SurveyResponse] = IdRelatedField(
        queryset=SurveyResponse.objects.all(), allow_null=True, default=None
    )
    interaction: IdRelatedField[Interaction] = IdRelatedField(
        queryset=Interaction.objects.all(), allow_null=True, default=None
    )
    priority = serializers.ChoiceField(
        choices=Case.Priority.choices, default=Case.Priority.NORMAL
    )
    owner: IdRelatedField[User] = IdRelatedField(
        queryset=User.objects.all(),
        allow_null=True,
        default=None,
        help_text="Omitted: the customer's owner, else the company's, else the "
        "fallback group in turn.",
    )
    note = note_field(allow_blank=True, default="")

    def validate_owner(self, value: User | None) -> User | None:
        return case_owner(value)


class ContactSerializer(Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    at = UtcDateTimeField(
        required=False, help_text="When the customer was reached; omitted: now."
    )
    note = note_field(allow_blank=True, default="")


class CloseSerializer(Serializer):
    root_cause: IdRelatedField[RootCause] = IdRelatedField(
        queryset=RootCause.objects.all(), help_text="An active root cause's id."
    )
    resolution = note_field()
    recovery_days = serializers.IntegerField(
        min_value=0,
        max_value=365,
        required=False,
        help_text="Days until the recovery re-survey; omitted: the default.",
    )
    resurvey = serializers.BooleanField(
        default=True,
        help_text="Ask the customer the same survey again (cases from an answer).",
    )

    def validate_root_cause(self, value: RootCause) -> RootCause:
        if not value.is_active:
            raise serializers.ValidationError(
                _("This root cause is inactive: choose an active one."),
                code="inactive",
            )
        return value


class ReopenSerializer(Serializer):
    note = note_field(allow_blank=True, default="")


class NoteSerializer(Serializer):
    note = note_field()


class AssignSerializer(Serializer):
    owner: IdRelatedField[User] = IdRelatedField(queryset=User.objects.all())

    def validate_owner(self, value: User) -> User | None:
        return case_owner(value)


class AssignManySerializer(Serializer):
    cases = IdListField(
        queryset=Case.objects.all(),
        min_length=1,
        max_length=MAX_ASSIGNED_CASES,
        help_text=f"Case ids, 1 to {MAX_ASSIGNED_CASES:,}.",
    )
    owner: IdRelatedField[User] = IdRelatedField(queryset=User.objects.all())

    def validate_owner(self, value: User) -> User | None:
        return case_owner(value)


class AssignManyResultSerializer(serializers.Serializer[Any]):
    owner = serializers.IntegerField()
    cases = serializers.ListField(child=serializers.IntegerField())
    changed = serializers.IntegerField(
        help_text="How many of the cases changed owner; the others had it already."
    )


class RootCauseSerializer(ModelSerializer[RootCause]):
    class Meta:
        model = RootCause
        fields = ["id", "name", "description", "is_active", "position"]
        # Listing the name's validators replaces the model's: single_line
        # too, or a line break would pass (the viewset saves without
        # full_clean).
        extra_kwargs = {
            "name": {
                "validators": [
                    single_line,
                    UniqueValidator(
                        queryset=RootCause.objects.all(),
                        message=gettext_lazy(
                            "A root cause with this name already exists."
                        ),
                    ),
                ]
            },
        }
