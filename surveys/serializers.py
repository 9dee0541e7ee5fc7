"""The surveys API's representations. Survey writes go through
`surveys.services.definitions`; invitations and responses are read only."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import Channel, Company, Customer, Language, Stage, Touchpoint
from lib.api import IdListField, IdRelatedField, ModelSerializer, Serializer
from surveys import filters
from surveys.models import Invitation, Survey, SurveyResponse
from surveys.services import definitions
from surveys.services.send_now import Outcome

TIMESTAMPS = ["created_at", "updated_at"]
MAX_LISTED_CUSTOMERS = 10_000
MAX_FILTERED_CUSTOMERS = 100_000
SEND_NOW_QUEUED = [Outcome.QUEUED.value, Outcome.ALREADY_QUEUED.value]
SEND_NOW_REFUSED = [o.value for o in Outcome if o.value not in SEND_NOW_QUEUED]


class SurveySerializer(ModelSerializer[Survey]):
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices),
        max_length=len(Channel.choices),
        required=False,
        help_text="Channels whose interactions trigger the survey; empty: all.",
    )
    touchpoints = IdListField(
        queryset=Touchpoint.objects.all(),
        max_length=1000,
        required=False,
        help_text="Ids of the touchpoints that trigger the survey; empty: all.",
    )

    class Meta:
        model = Survey
        fields = [
            "id",
            "name",
            "kind",
            "question_en",
            "question_zh_hans",
            "trigger",
            "channels",
            "touchpoints",
            "delay_minutes",
            "recurrence_days",
            "throttle_days",
            "reminder_delay_days",
            "max_reminders",
            "expires_after_days",
            "edit_window_hours",
            "case_at_most",
            "is_active",
            *TIMESTAMPS,
        ]
        read_only_fields = TIMESTAMPS

    def validate_channels(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError(
                _("Name each channel once."), code="duplicate"
            )
        return value

    def create(self, validated_data: dict[str, Any]) -> Survey:
        return definitions.create_survey(**validated_data)

    def update(self, instance: Survey, validated_data: dict[str, Any]) -> Survey:
        return definitions.update_survey(instance, **validated_data)


class AudienceSerializer(Serializer):
    """Which customers a manual send goes to; every key narrows the set."""

    segment = serializers.CharField(max_length=50, required=False)
    company: IdRelatedField[Company] = IdRelatedField(
        queryset=Company.objects.all(), required=False
    )
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    tag = serializers.CharField(max_length=50, required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(
                _("Give at least one of: %(keys)s.") % {"keys": ", ".join(self.fields)},
                code="empty",
            )
        return attrs


class SendSerializer(Serializer):
    """A manual send: a list of customers, or a filter that selects them.

    Validated, it holds `customer_ids`: the filter is resolved here, so the
    task gets the same customers the request was answered for.
    """

    customers = IdListField(
        queryset=Customer.objects.all(),
        min_length=1,
        max_length=MAX_LISTED_CUSTOMERS,
        required=False,
        help_text=f"Customer ids, 1 to {MAX_LISTED_CUSTOMERS:,}.",
    )
    filter = AudienceSerializer(
        required=False,
        help_text=(
            f"Customers matching every key given, at most {MAX_FILTERED_CUSTOMERS:,}."
        ),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("customers" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError(
                _('Give either "customers" (a list of ids) or "filter".'),
                code="audience",
            )
        if "customers" in attrs:
            return {"customer_ids": attrs["customers"]}
        matching = filters.customers_matching(**attrs["filter"])
        ids = list(
            matching.order_by("id").values_list("id", flat=True)[
                : MAX_FILTERED_CUSTOMERS + 1
            ]
        )
        if not ids:
            raise serializers.ValidationError(
                {"filter": [_("No customer matches this filter.")]}, code="empty"
            )
        if len(ids) > MAX_FILTERED_CUSTOMERS:
            raise serializers.ValidationError(
                {
                    "filter": [
                        _(
                            "More than %(limit)s customers match this filter; "
                            "narrow it down."
                        )
                        % {"limit": f"{MAX_FILTERED_CUSTOMERS:,}"}
                    ]
                },
                code="too_many",
            )
        return {"customer_ids": ids}


class SendResultSerializer(serializers.Serializer[Any]):
    survey = serializers.IntegerField()
    customers = serializers.IntegerField(help_text="How many customers are asked.")
    status = serializers.ChoiceField(choices=["queued"])


class InvitationSerializer(ModelSerializer[Invitation]):
    # Never `nonce` or `token_hash`: with the secret key they make a working link.
    class Meta:
        model = Invitation
        fields = [
            "id",
            "survey",
            "customer",
            "interaction",
            "status",
            "suppressed_reason",
            "occasion",
            "scheduled_for",
            "sent_at",
            "reminders_sent",
            "next_reminder_at",
            "expires_at",
            "opened_at",
            "answered_at",
            "attempts",
            "last_error",
            *TIMESTAMPS,
        ]
        read_only_fields = fields


class SendNowSerializer(InvitationSerializer):
    """A send now that queued the mail: the invitation, due now, and what
    was done."""

    result = serializers.SerializerMethodField(
        help_text=(
            "`queued`: queued to be sent now; `already_queued`: it was on the "
            "queue already (nothing queued twice). Either way the mail goes "
            "out through the dispatcher's claim and checks, within moments."
        )
    )
    message = serializers.SerializerMethodField(
        help_text="The result in words, in the requester's language."
    )

    class Meta(InvitationSerializer.Meta):
        fields = [*InvitationSerializer.Meta.fields, "result", "message"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=SEND_NOW_QUEUED))
    def get_result(self, invitation: Invitation) -> str:
        return str(self.context["result"])

    def get_message(self, invitation: Invitation) -> str:
        return str(self.context["message"])


class SendNowRefusalSerializer(Serializer):
    """Why a send now sent nothing. An Idempotency-Key conflict (also a
    409) has `detail` alone."""

    detail = serializers.CharField(help_text="Why, in the requester's language.")
    result = serializers.ChoiceField(
        choices=SEND_NOW_REFUSED,
        required=False,
        help_text=(
            "`sent`: sent already; `sending`: a worker is sending it; "
            "`not_pending`: not waiting to be sent (suppressed, cancelled, "
            "failed, expired); `held`: its interaction is open again; "
            "`refused`: the eligibility rules say no (see `reason`)."
        ),
    )
    reason = serializers.CharField(
        required=False,
        help_text=(
            "With `refused`: a suppression reason (`opted_out`, `no_email`, "
            "`erased`, `skipped_by_staff`, `throttled`, `survey_throttled`) "
            "or `survey_inactive`. The invitation is left as it was."
        ),
    )


class SurveyResponseSerializer(ModelSerializer[SurveyResponse]):
    band_label = serializers.CharField(
        source="get_band_display",
        read_only=True,
        help_text=(
            "The band's name on the answer's own scale, in the request's "
            "language: NPS Promoter / Passive / Detractor, CSAT Satisfied / "
            "Neutral / Dissatisfied, CES Easy / Neutral / Difficult."
        ),
    )

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "invitation",
            "customer",
            "survey",
            "kind",
            "score",
            "band",
            "band_label",
            "comment",
            "language",
            "answered_at",
            "updated_at",
            "channel",
            "touchpoint",
            "stage",
            "segment",
            "company",
            "staff",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "band": {
                "help_text": (
                    "The stored band code, the same on every scale: `promoter` "
                    "is the positive band (NPS 9–10, CSAT 4–5, CES 5–7), "
                    "`passive` the middle one, `detractor` the negative one "
                    "(NPS 0–6, CSAT 1–2, CES 1–3). `band_label` names it on "
                    "the answer's scale."
                )
            }
        }
