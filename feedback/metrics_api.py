"""`/api/v1/metrics/`: the dashboard's figures for other tools.

Each endpoint reads the dashboard's query string (`MetricsQueryForm`) and
returns what the metric functions computed, serialized as they are: a figure
here is the figure on the dashboard, never computed a second time. Managers
only; someone else who is signed in gets a 403, with the reason.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.fields import Field, SkipField, get_attribute
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from customers.models import Channel, Stage
from feedback.metrics import scores
from feedback.metrics.filters import (
    DIMENSIONS,
    INTERVALS,
    AnswerFilter,
    MetricsQueryForm,
)
from feedback.metrics.funnel import funnel as invitation_funnel
from feedback.metrics.loop import GROUPINGS, loop_metrics
from feedback.services import cases
from surveys.models import Kind


class IsManager(permissions.BasePermission):
    message = gettext_lazy("Only managers may see the metrics.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return cases.is_manager(request.user)


# Figures


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string"}],
        "nullable": True,
        "description": "The id of the survey, touchpoint, company or staff "
        'member; the value itself for the others ("" for none).',
    }
)
class KeyField(serializers.Field):  # type: ignore[type-arg]
    def to_representation(self, value: Any) -> Any:
        return value


class ScoreField(serializers.FloatField):
    """The score under its kind's name (`nps`, `csat` or `ces`); absent under
    the other two names. Its source is the Score itself."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", allow_null=True, required=False, **kwargs)

    def get_attribute(self, instance: Any) -> Any:
        score: scores.Score = get_attribute(instance, self.source_attrs)
        if score.kind != self.field_name:
            raise SkipField
        return score.score


class FiguresSerializer(serializers.Serializer[Any]):
    # A row with a Score at `figures_path`, its figures flattened into the
    # row after the row's own fields. (A comment, not a docstring: the
    # schema would show it as every subclass's description.)

    figures_path = "figures"

    n = serializers.IntegerField(help_text="The number of answers.")
    promoters = serializers.IntegerField(
        help_text="Answers in the positive band: NPS 9–10, CSAT 4–5, CES 5–7."
    )
    passives = serializers.IntegerField(
        help_text="Answers in the middle band: NPS 7–8, CSAT 3, CES 4."
    )
    detractors = serializers.IntegerField(
        help_text="Answers in the negative band: NPS 0–6, CSAT 1–2, CES 1–3."
    )
    nps = ScoreField(help_text="NPS, −100 to 100 (only when the kind is nps).")
    csat = ScoreField(help_text="CSAT %, 0 to 100 (only when the kind is csat).")
    ces = ScoreField(help_text="CES %, 0 to 100 (only when the kind is ces).")
    margin = serializers.FloatField(
        allow_null=True,
        help_text="The 95% margin of error, in the score's points; null without "
        "answers.",
    )
    low_sample = serializers.BooleanField(
        help_text="Fewer answers than the minimum sample (METRICS_MIN_SAMPLE): "
        "show the score with a warning."
    )

    figure_names: tuple[str, ...] = (
        "n",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "csat",
        "ces",
        "margin",
        "low_sample",
    )

    def get_fields(self) -> dict[str, Field]:  # type: ignore[type-arg]
        fields = super().get_fields()
        figures = {}
        for name in self.figure_names:
            field = fields.pop(name)
            # A ScoreField's source is the Score; the others' its attributes.
            source = None if field.source == "*" else field.source or name
            path = self.figures_path
            field.source = path if source is None else f"{path}.{source}"
            figures[name] = field
        return {**fields, **figures}


class ChangeFiguresSerializer(FiguresSerializer):
    change = serializers.FloatField(
        allow_null=True,
        help_text="The score minus the score of the period (or range) before; "
        "null when either has no answers.",
    )
    is_significant = serializers.BooleanField(
        allow_null=True,
        help_text="Whether the change is larger than chance explains (95%); null "
        "when either side has no answers.",
    )

    figure_names = (*FiguresSerializer.figure_names, "change", "is_significant")


class MetricsPeriodSerializer(ChangeFiguresSerializer):
    """One period of a trend, with the change from the period before."""

    period = serializers.DateField(
        source="start", help_text="The period's first day (weeks start on Monday)."
    )
    label = serializers.CharField(  # type: ignore[assignment]
        help_text='"2026-11-23" (day), "2026-W48" (week), "2026-11", "2026-Q4".'
    )


class MetricsGroupSerializer(ChangeFiguresSerializer):
    """One value of a dimension, with the change from the range before."""

    key = KeyField()
    label = serializers.CharField(  # type: ignore[assignment]
        help_text='The value\'s name; "—" for none.'
    )


class MetricsSeriesSerializer(serializers.Serializer[Any]):
    """The trend of one value of a dimension."""

    key = KeyField()
    label = serializers.CharField(  # type: ignore[assignment]
        help_text='The value\'s name; "—" for none.'
    )
    periods = MetricsPeriodSerializer(many=True)


class MetricsJourneyCellSerializer(FiguresSerializer):
    """The answers about one touchpoint at one journey stage."""

    stage = serializers.CharField(
        help_text='The journey stage (awareness … advocacy); "" when unknown.'
    )
    touchpoint = serializers.IntegerField(allow_null=True)
    touchpoint_label = serializers.CharField(help_text='"—" without a touchpoint.')


class MetricsPainPointSerializer(FiguresSerializer):
    """A journey cell with negative answers, ranked by its impact."""

    figures_path = "cell.figures"

    stage = serializers.CharField(source="cell.stage")
    touchpoint = serializers.IntegerField(source="cell.touchpoint", allow_null=True)
    touchpoint_label = serializers.CharField(source="cell.touchpoint_label")
    impact = serializers.FloatField(
        help_text="The cell's negative answers among all answers on the map."
    )
    negative_share = serializers.FloatField(
        source="cell.figures.negative_share",
        help_text="The cell's negative answers among its own answers.",
    )


# Envelopes: what was asked for, and the figures.


class MetricsRangeSerializer(serializers.Serializer[Any]):
    # What the figures are about, ahead of them: the same first fields in
    # every endpoint's answer. (A comment: the schema would show a docstring
    # as every subclass's description.)

    kind = serializers.ChoiceField(choices=Kind.choices)
    mode_help_text = "All answers, or each customer's latest one."

    def get_fields(self) -> dict[str, Field]:  # type: ignore[type-arg]
        fields = super().get_fields()
        kind = fields.pop("kind")
        # `from` is a Python keyword: no class attribute can have its name.
        return {
            "kind": kind,
            **{name: fields.pop(name) for name in ("interval",) if name in fields},
            "from": serializers.DateField(
                source="start", help_text="The range's first day."
            ),
            "to": serializers.DateField(
                source="end", help_text="The range's last day (included)."
            ),
            "mode": serializers.ChoiceField(
                choices=["all", "latest"], help_text=self.mode_help_text
            ),
            **fields,
        }


@extend_schema_field(
    {
        "type": "string",
        "nullable": True,
        "maxLength": 0,
        "description": "Always null: the trend of all the answers, not by a "
        "dimension. It tells this shape from the one with `by` (whose results "
        "may be empty too).",
    }
)
class NoDimensionField(serializers.Field):  # type: ignore[type-arg]
    def to_representation(self, value: Any) -> None:
        return None


class MetricsTrendSerializer(MetricsRangeSerializer):
    """The score per period of the range."""

    interval = serializers.ChoiceField(choices=INTERVALS)
    by = NoDimensionField(source="*")
    results = MetricsPeriodSerializer(many=True)


class MetricsTrendByGroupSerializer(MetricsRangeSerializer):
    """The score per period of the range, for each value of `by`."""

    interval = serializers.ChoiceField(choices=INTERVALS)
    by = serializers.ChoiceField(choices=DIMENSIONS)
    limit = serializers.IntegerField(
        help_text="At most this many series: the values with the most answers."
    )
    results = MetricsSeriesSerializer(many=True)


class MetricsBreakdownSerializer(MetricsRangeSerializer):
    """The score per value of `by` over the range."""

    by = serializers.ChoiceField(choices=DIMENSIONS)
    limit = serializers.IntegerField(
        help_text="At most this many groups: the values with the most answers."
    )
    results = MetricsGroupSerializer(many=True)


class MetricsFunnelSerializer(MetricsRangeSerializer):
    """The invitations created in the range, by how far they got."""

    mode_help_text = "Always all: the funnel counts invitations, not answers."

    scheduled = serializers.IntegerField(
        source="funnel.scheduled",
        help_text="Invitations planned, the suppressed ones included.",
    )
    suppressed = serializers.DictField(
        source="funnel.suppressed",
        child=serializers.IntegerField(),
        help_text="Invitations held back, by reason (only reasons with some).",
    )
    suppressed_total = serializers.IntegerField(source="funnel.suppressed_total")
    sent = serializers.IntegerField(source="funnel.sent")
    opened = serializers.IntegerField(source="funnel.opened")
    answered = serializers.IntegerField(source="funnel.answered")
    response_rate = serializers.FloatField(
        source="funnel.response_rate",
        allow_null=True,
        help_text="Answered among sent, in percent; null if none sent.",
    )


class MetricsJourneySerializer(MetricsRangeSerializer):
    """The journey map and its pain points."""

    cells = MetricsJourneyCellSerializer(many=True)
    pain_points = MetricsPainPointSerializer(many=True)


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string", "format": "date"}],
        "nullable": True,
        "description": "The owner's, root cause's or touchpoint's id (null for "
        "none and for the overall row), or the period's first day.",
    }
)
class LoopKeyField(serializers.Field):  # type: ignore[type-arg]
    def to_representation(self, value: Any) -> Any:
        # A period's key is its aware start in TIME_ZONE: its day is the key.
        return value.date().isoformat() if isinstance(value, datetime) else value


class MetricsLoopRowSerializer(serializers.Serializer[Any]):
    """The loop figures of one group of cases (or of all of them)."""

    key = LoopKeyField()
    label = serializers.CharField()  # type: ignore[assignment]
    opened = serializers.IntegerField()
    contacted = serializers.IntegerField()
    deadline_counted = serializers.IntegerField()
    from_responses = serializers.IntegerField()
    outcomes_known = serializers.IntegerField()
    median_hours_to_first_contact = serializers.FloatField(allow_null=True)
    contacted_within_deadline_pct = serializers.FloatField(allow_null=True)
    closed_pct = serializers.FloatField(allow_null=True)
    loop_closure_rate_pct = serializers.FloatField(allow_null=True)
    recovery_rate_pct = serializers.FloatField(allow_null=True)


class MetricsLoopSerializer(MetricsRangeSerializer):
    """The loop figures of the cases opened in the range from the answers
    asked for, in one row or one per group."""

    mode_help_text = "Always all: every case opened from the answers counts."

    interval = serializers.ChoiceField(
        choices=INTERVALS, help_text="The length of a period with `by=period`."
    )
    by = serializers.ChoiceField(
        choices=GROUPINGS,
        allow_null=True,
        help_text="What the rows are grouped by; null for one row of all cases.",
    )
    results = MetricsLoopRowSerializer(many=True)


# The query string


def parameter(
    name: str, kind: Any, description: str, **kwargs: Any
) -> OpenApiParameter:
    return OpenApiParameter(
        name, kind, OpenApiParameter.QUERY, description=description, **kwargs
    )


SURVEY = parameter(
    "survey", int, "Only this survey's answers (its kind is the kind, too)."
)
KIND = parameter("kind", str, "nps (the default), csat or ces.", enum=Kind.values)
INTERVAL = parameter(
    "interval", str, "One period of a trend (default week).", enum=INTERVALS
)
START = parameter(
    "from", OpenApiTypes.DATE, "The range's first day (default: `to` − 89 days)."
)
END = parameter("to", OpenApiTypes.DATE, "The range's last day (default today).")
MODE = parameter(
    "mode",
    str,
    "all (default) answers, or each customer's latest one (per period in a trend).",
    enum=["all", "latest"],
)
FILTERS = [
    parameter("channel", str, "Only answers about this channel.", enum=Channel.values),
    parameter("touchpoint", int, "Only answers about this touchpoint."),
    parameter("stage", str, "Only answers at this journey stage.", enum=Stage.values),
    parameter("segment", str, "Only answers from this segment."),
    parameter("company", int, "Only answers from this company's customers."),
    parameter("staff", int, "Only answers about this staff member's interactions."),
]


def by_parameter(*, required: bool) -> OpenApiParameter:
    return parameter(
        "by",
        str,
        "The dimension to break the figures down by.",
        enum=DIMENSIONS,
        required=required,
    )


# A breakdown by company can have a row per company: at most this many.
DEFAULT_LIMIT = 100
LARGEST_LIMIT = 1000
LIMIT = parameter(
    "limit",
    int,
    f"With `by`: at most this many groups, those with the most answers "
    f"(default {DEFAULT_LIMIT}, at most {LARGEST_LIMIT}).",
)


class LimitSerializer(serializers.Serializer[Any]):
    limit = serializers.IntegerField(
        min_value=1, max_value=LARGEST_LIMIT, default=DEFAULT_LIMIT
    )


def errors_of(form: MetricsQueryForm) -> dict[str, list[str]]:
    """The form's errors under the query's names."""
    names = {"from_": "from", NON_FIELD_ERRORS: api_settings.NON_FIELD_ERRORS_KEY}
    return {
        names.get(name, name): [str(message) for message in messages]
        for name, messages in form.errors.items()
    }


def valid_form(query: Mapping[str, Any]) -> MetricsQueryForm:
    form = MetricsQueryForm(query)
    if not form.is_valid():
        raise exceptions.ValidationError(errors_of(form))
    return form


def valid_limit(query: Mapping[str, Any]) -> int:
    """How many groups a breakdown or trend by a dimension may return: a
    breakdown by company can have a row per company."""
    limits = LimitSerializer(data=query)
    limits.is_valid(raise_exception=True)
    limit: int = limits.validated_data["limit"]
    return limit


def envelope(answers: AnswerFilter, **fields: Any) -> dict[str, Any]:
    """What the figures are about, then the figures; `fields` may override
    the mode (the funnel and the loop count all invitations and cases)."""
    return {
        "kind": answers.kind,
        "start": answers.start,
        "end": answers.end,
        "mode": answers.mode,
        **fields,
    }


BAD_REQUEST = OpenApiResponse(
    description='Invalid parameters: {"parameter": ["message"]}; errors about '
    'several parameters under "non_field_errors".'
)
ERRORS = {
    400: BAD_REQUEST,
    401: OpenApiResponse(description="Not signed in."),
    403: OpenApiResponse(description="Signed in, but not a manager."),
}


class MetricsViewSet(viewsets.ViewSet):
    """The manager dashboard's figures, with its filters as query parameters.
    Every answer starts with what its figures are about: `kind`, `from`,
    `to` and `mode`."""

    permission_classes = [permissions.IsAuthenticated, IsManager]

    @extend_schema(
        parameters=[
            SURVEY,
            KIND,
            INTERVAL,
            START,
            END,
            MODE,
            by_parameter(required=False),
            LIMIT,
            *FILTERS,
        ],
        responses={
            200: PolymorphicProxySerializer(
                component_name="MetricsTrendOrSeries",
                serializers=[MetricsTrendSerializer, MetricsTrendByGroupSerializer],
                resource_type_field_name=None,
            ),
            **ERRORS,
        },
    )
    @action(detail=False, methods=["get"])
    def trend(self, request: Request) -> Response:
        """The score per period, every period of the range included (empty
        ones with n 0). The range is widened to whole periods. With `by`, one
        series per value of the dimension (at most `limit`), most answers
        first."""
        form = valid_form(request.query_params)
        limit = valid_limit(request.query_params)
        answers = form.answer_filter()
        interval = form.chosen_interval
        if form.dimension is None:
            periods = scores.trend(answers, interval=interval)
            data = envelope(answers, interval=interval, results=periods)
            return Response(MetricsTrendSerializer(data).data)
        # Most answers first: the first `limit` are those with the most.
        series = scores.trend_by(answers, by=form.dimension, interval=interval)
        data = envelope(
            answers,
            interval=interval,
            by=form.dimension,
            limit=limit,
            results=series[:limit],
        )
        return Response(MetricsTrendByGroupSerializer(data).data)

    @extend_schema(
        parameters=[
            SURVEY,
            KIND,
            START,
            END,
            MODE,
            by_parameter(required=True),
            LIMIT,
            *FILTERS,
        ],
        responses={200: MetricsBreakdownSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def breakdown(self, request: Request) -> Response:
        """The score per value of one dimension over the range, best first,
        with the change from the equally long range before; at most `limit`
        values, those with the most answers."""
        form = valid_form(request.query_params)
        limit = valid_limit(request.query_params)
        if form.dimension is None:
            raise exceptions.ValidationError(
                {"by": [_("Choose the dimension to break the figures down by.")]}
            )
        answers = form.answer_filter()
        groups = scores.breakdown(answers, by=form.dimension, limit=limit)
        data = envelope(answers, by=form.dimension, limit=limit, results=groups)
        return Response(MetricsBreakdownSerializer(data).data)

    @extend_schema(
        parameters=[SURVEY, KIND, START, END, *FILTERS],
        responses={200: MetricsFunnelSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def funnel(self, request: Request) -> Response:
        """The invitations created in the range, by how far they got."""
        answers = valid_form(request.query_params).answer_filter()
        data = envelope(answers, mode="all", funnel=invitation_funnel(answers))
        return Response(MetricsFunnelSerializer(data).data)

    @extend_schema(
        parameters=[SURVEY, KIND, START, END, MODE, *FILTERS],
        responses={200: MetricsJourneySerializer, **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def journey(self, request: Request) -> Response:
        """The journey map (one cell per journey stage and touchpoint with
        answers) and its pain points, highest impact first."""
        answers = valid_form(request.query_params).answer_filter()
        cells = scores.journey(answers)
        data = envelope(answers, cells=cells, pain_points=scores.pain_points(cells))
        return Response(MetricsJourneySerializer(data).data)

    @extend_schema(
        parameters=[
            SURVEY,
            KIND,
            START,
            END,
            parameter(
                "interval",
                str,
                "The length of a period with `by=period` (default week).",
                enum=INTERVALS,
            ),
            parameter(
                "by",
                str,
                "Group the cases by owner, root cause, touchpoint or period of "
                "`interval`; without it, one row of all cases.",
                enum=GROUPINGS,
            ),
            *FILTERS,
        ],
        responses={200: MetricsLoopSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def loop(self, request: Request) -> Response:
        """How fast and how well the cases opened in the range from the
        answers asked for (survey or kind, and the filters) close the loop.
        Cases opened by hand have no answer: they are not counted."""
        query = request.query_params.copy()
        # The loop's own groupings: not the dimensions the form knows as `by`.
        by = query.pop("by", [""])[-1] or None
        if by is not None and by not in GROUPINGS:
            raise exceptions.ValidationError(
                {
                    "by": [
                        _("Group cases by one of: %(groupings)s.")
                        % {"groupings": ", ".join(GROUPINGS)}
                    ]
                }
            )
        form = valid_form(query)
        answers = form.answer_filter()
        rows = loop_metrics(
            answers.cases(),
            start=answers.start_at,
            end=answers.end_before,
            by=by,  # type: ignore[arg-type]  # checked against GROUPINGS above
            interval=form.chosen_interval,
            zone=answers.zone,
        )
        data = envelope(
            answers,
            mode="all",
            interval=form.chosen_interval,
            by=by,
            results=rows,
        )
        return Response(MetricsLoopSerializer(data).data)
