"""The pilots API's representations. Writes go through the services
(`pilots.services.definitions` for KPIs, `pilots.services.pilots` for
pilots); the serializers check shapes, the services the rules."""

import math
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import Channel, Stage
from lib.api import MAX_ID, IdListField, IdRelatedField, ModelSerializer, Serializer
from pilots.models import Kpi, Pilot
from pilots.services.kpis import KpiStatus

TIMESTAMPS = ["created_at", "updated_at"]
MAX_UNITS = 10_000


class FiniteFloatField(serializers.FloatField):
    """A number that is finite (JSON as Python reads it allows NaN and
    Infinity, which no statistic can use)."""

    def to_internal_value(self, data: Any) -> float:
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


class KpiFiltersSerializer(Serializer):
    survey = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    touchpoint = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    segment = serializers.CharField(max_length=50, required=False)
    staff = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)


class TrendPointSerializer(serializers.Serializer[Any]):
    week = serializers.DateField()
    n = serializers.IntegerField()
    value = serializers.FloatField(allow_null=True)


class KpiSerializer(ModelSerializer[Kpi]):
    """A KPI and its value over the last period of its review cadence (the
    last 7, 30 or 91 days): NPS in points, shares and rates in 0…100, times
    in hours (a median)."""

    filters = KpiFiltersSerializer(required=False)
    target = FiniteFloatField(required=False, allow_null=True)
    owner: IdRelatedField[Any] = IdRelatedField(read_only=True, allow_null=True)
    value = serializers.SerializerMethodField(method_name="value_of")
    n = serializers.SerializerMethodField()
    margin = serializers.SerializerMethodField()
    low_sample = serializers.SerializerMethodField()
    on_target = serializers.SerializerMethodField()
    period_start = serializers.SerializerMethodField()
    period_end = serializers.SerializerMethodField()
    trend = serializers.SerializerMethodField()

    class Meta:
        model = Kpi
        fields = [
            "id",
            "name",
            "formula",
            "filters",
            "target",
            "direction",
            "owner",
            "review_cadence",
            "value",
            "n",
            "margin",
            "low_sample",
            "on_target",
            "period_start",
            "period_end",
            "trend",
            *TIMESTAMPS,
        ]
        read_only_fields = TIMESTAMPS

    def status(self, kpi: Kpi) -> KpiStatus:
        statuses: dict[int, KpiStatus] = self.context["statuses"]
        return statuses[kpi.pk]

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def value_of(self, kpi: Kpi) -> float | None:
        return self.status(kpi).value

    def get_n(self, kpi: Kpi) -> int:
        return self.status(kpi).n

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_margin(self, kpi: Kpi) -> float | None:
        return self.status(kpi).margin

    def get_low_sample(self, kpi: Kpi) -> bool:
        return self.status(kpi).low_sample

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_on_target(self, kpi: Kpi) -> bool | None:
        return self.status(kpi).on_target

    @extend_schema_field(serializers.DateField())
    def get_period_start(self, kpi: Kpi) -> str:
        return self.status(kpi).start.isoformat()

    @extend_schema_field(serializers.DateField())
    def get_period_end(self, kpi: Kpi) -> str:
        return self.status(kpi).end.isoformat()

    @extend_schema_field(TrendPointSerializer(many=True))
    def get_trend(self, kpi: Kpi) -> Any:
        return TrendPointSerializer(self.status(kpi).trend, many=True).data


UNIT_VALUE_SCHEMA = {
    "oneOf": [
        {"type": "integer", "minimum": 1},
        {"type": "string", "minLength": 1, "maxLength": 50},
    ]
}


@extend_schema_field(UNIT_VALUE_SCHEMA)
class UnitValueField(serializers.Field):  # type: ignore[type-arg]
    """A unit's id, or a segment's text."""

    def to_internal_value(self, data: Any) -> int | str:
        if isinstance(data, bool) or not isinstance(data, int | str):
            raise serializers.ValidationError("Give an id or a segment's text.")
        if isinstance(data, int) and not 0 < data <= MAX_ID:
            raise serializers.ValidationError("Give a positive id.")
        if isinstance(data, str) and not 0 < len(data) <= 50:
            raise serializers.ValidationError("Give a text of 1 to 50 characters.")
        value: int | str = data
        return value

    def to_representation(self, value: Any) -> Any:
        return value


class GroupFilterSerializer(Serializer):
    """A group as a filter: the units matching every name given, resolved
    when the result is computed."""

    segment = serializers.CharField(max_length=50, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    touchpoint = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    company = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(
                _("Give at least one of segment, channel, stage, touchpoint, company.")
            )
        return attrs


GROUP_FILTER_SCHEMA = {
    "type": "object",
    "properties": {
        "filter": {
            "type": "object",
            "properties": {
                "segment": {"type": "string", "minLength": 1, "maxLength": 50},
                "channel": {"type": "string", "enum": Channel.values},
                "stage": {"type": "string", "enum": Stage.values},
                "touchpoint": {"type": "integer", "minimum": 1},
                "company": {"type": "integer", "minimum": 1},
            },
            "additionalProperties": False,
            "minProperties": 1,
        }
    },
    "required": ["filter"],
    "additionalProperties": False,
}
GROUP_SCHEMA = {
    "oneOf": [
        {"type": "array", "items": UNIT_VALUE_SCHEMA, "maxItems": MAX_UNITS},
        GROUP_FILTER_SCHEMA,
    ]
}


class GroupField(serializers.Field):  # type: ignore[type-arg]
    """A group: a list of unit ids (or segments), or {"filter": {...}}."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            if set(data) != {"filter"}:
                raise serializers.ValidationError(
                    _('Give a group as a list of units or as {"filter": {…}}.')
                )
            filters = GroupFilterSerializer(data=data["filter"])
            if not filters.is_valid():
                raise serializers.ValidationError({"filter": filters.errors})
            return {"filter": dict(filters.validated_data)}
        values = serializers.ListField(
            child=UnitValueField(), max_length=MAX_UNITS
        ).run_validation(data)
        return values

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field(GROUP_SCHEMA)
class TreatmentField(GroupField):
    pass


@extend_schema_field({**GROUP_SCHEMA, "nullable": True})
class ControlField(GroupField):
    pass


class PilotSerializer(ModelSerializer[Pilot]):
    primary_kpi: IdRelatedField[Kpi] = IdRelatedField(queryset=Kpi.objects.all())
    guardrail_kpis = IdListField(
        queryset=Kpi.objects.all(), max_length=50, required=False
    )
    treatment = TreatmentField(
        required=False,
        help_text=(
            "Unit ids (or segments) of the treatment group, or "
            '{"filter": {"segment", "channel", "stage", "touchpoint", '
            '"company"}} resolved to the matching units when the result is '
            "computed; for a randomised pilot, the customers to assign now "
            "(optional)."
        ),
    )
    control = ControlField(
        required=False,
        allow_null=True,
        help_text=(
            "Unit ids (or segments) of the control group, or a filter as for "
            "the treatment; null: matched."
        ),
    )
    treated_share = FiniteFloatField(
        required=False,
        allow_null=True,
        help_text=(
            "Set to let Touchloop randomise customers itself (this share "
            "treated): the only pilots labelled randomised."
        ),
    )
    variant_value = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text=(
            "The treated customers' value of `variant_setting` while the pilot "
            'runs. survey_mail_text: {"survey": id, "question_en": text, '
            '"question_zh_hans": text}; reminder_delay: {"hours": h, '
            '"survey": id or null}; case_sla: {"normal": h, "urgent": h}; '
            'assignment_rule: {"rule": "owners_first" | "round_robin", '
            '"group": name}. Only on a randomised pilot.'
        ),
    )
    min_effect = FiniteFloatField(min_value=1e-6, max_value=1e6)
    alpha = FiniteFloatField(required=False)
    power = FiniteFloatField(required=False)
    created_by: IdRelatedField[Any] = IdRelatedField(read_only=True, allow_null=True)
    is_locked = serializers.SerializerMethodField()
    phase = serializers.SerializerMethodField(
        help_text="design (before go-live), running (to the planned end), ended."
    )

    class Meta:
        model = Pilot
        fields = [
            "id",
            "name",
            # The design: every field locked at go-live.
            *Pilot.LOCKED_FIELDS,
            "decision",
            "is_locked",
            "phase",
            "created_by",
            *TIMESTAMPS,
        ]
        read_only_fields = TIMESTAMPS

    def get_is_locked(self, pilot: Pilot) -> bool:
        return pilot.is_locked(self.context["today"])

    @extend_schema_field(
        serializers.ChoiceField(choices=["design", "running", "ended"])
    )
    def get_phase(self, pilot: Pilot) -> str:
        return pilot.phase_on(self.context["today"])


class CellSerializer(serializers.Serializer[Any]):
    group = serializers.ChoiceField(choices=["treated", "control"])
    period = serializers.ChoiceField(choices=["before", "after"])
    n = serializers.IntegerField()
    value = serializers.FloatField(allow_null=True)
    se = serializers.FloatField(allow_null=True)


class EffectSerializer(serializers.Serializer[Any]):
    estimate = serializers.FloatField()
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)
    method = serializers.ChoiceField(
        choices=["difference_in_differences", "difference"]
    )
    label = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["observational", "randomised"]
    )
    n_treated = serializers.IntegerField()
    n_control = serializers.IntegerField()
    interim = serializers.BooleanField()
    cells = CellSerializer(many=True)
    se = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField()
    inference = serializers.ChoiceField(
        choices=["independent", "cluster_robust", "permutation"]
    )
    sequential = serializers.BooleanField()


class GuardrailSerializer(EffectSerializer):
    kpi = serializers.CharField()
    p_adjusted = serializers.FloatField()
    harmed = serializers.BooleanField()


class ResultSerializer(serializers.Serializer[Any]):
    """NPS in points (−100…100), shares and rates in 0…100, times in hours."""

    primary = EffectSerializer()
    guardrails = GuardrailSerializer(many=True)
    checks = serializers.DictField(
        help_text=(
            "pre_trend, regression_to_mean, sample_ratio (randomised pilots), "
            "balance (matched controls), low_sample (cells below the minimum "
            "sample); null where a check does not apply."
        )
    )


class PowerSerializer(serializers.Serializer[Any]):
    kpi = serializers.CharField()
    formula = serializers.CharField()
    window = serializers.DictField(child=serializers.DateField())
    n_treated = serializers.IntegerField()
    n_control = serializers.IntegerField()
    answers_per_week = serializers.DictField(child=serializers.FloatField())
    variance = serializers.FloatField()
    difference_in_differences = serializers.BooleanField()
    n_per_group = serializers.IntegerField()
    weeks_treated = serializers.FloatField(allow_null=True)
    weeks_control = serializers.FloatField(allow_null=True)
    weeks_needed = serializers.FloatField(allow_null=True)
    weeks_available = serializers.FloatField()
    ends_too_soon = serializers.BooleanField()
    suggestion = serializers.DictField(allow_null=True)
