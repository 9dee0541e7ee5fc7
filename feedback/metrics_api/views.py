"""The metrics endpoints: each reads the dashboard's query string, asks the
metric functions, and answers with the serializers next to it."""

from collections.abc import Mapping
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
)
from rest_framework import exceptions, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from customers.models import Channel, Stage
from feedback.metrics import scores, themes
from feedback.metrics.filters import (
    DIMENSIONS,
    INTERVALS,
    AnswerFilter,
    MetricsQueryForm,
)
from feedback.metrics.funnel import funnel as invitation_funnel
from feedback.metrics.loop import GROUPINGS, loop_metrics
from feedback.metrics_api.serializers import (
    DEFAULT_LIMIT,
    LARGEST_LIMIT,
    LimitSerializer,
    MetricsBreakdownSerializer,
    MetricsFunnelSerializer,
    MetricsJourneySerializer,
    MetricsLoopSerializer,
    MetricsThemesSerializer,
    MetricsTrendByGroupSerializer,
    MetricsTrendSerializer,
)
from feedback.permissions import is_manager
from surveys.models import Kind
from text.models import Label, Language


class IsManager(permissions.BasePermission):
    message = gettext_lazy("Only managers may see the metrics.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_manager(request.user)


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
    parameter("theme", int, "Only answers whose comment mentions this theme (id)."),
    parameter(
        "sentiment",
        str,
        "Only answers whose comment reads so (a staff member's correction first).",
        enum=Label.values,
    ),
    parameter(
        "language",
        str,
        "Only answers whose comment is in this language.",
        enum=Language.values,
    ),
]


def by_parameter(*, required: bool) -> OpenApiParameter:
    return parameter(
        "by",
        str,
        "The dimension to break the figures down by.",
        enum=DIMENSIONS,
        required=required,
    )


LIMIT = parameter(
    "limit",
    int,
    f"With `by`: at most this many groups, those with the most answers "
    f"(default {DEFAULT_LIMIT}, at most {LARGEST_LIMIT}).",
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

    @extend_schema(
        parameters=[SURVEY, KIND, INTERVAL, START, END, MODE, *FILTERS],
        responses={200: MetricsThemesSerializer, **ERRORS},
    )
    @action(detail=False, methods=["get"])
    def themes(self, request: Request) -> Response:
        """What the comments say: every active theme with the answers
        mentioning it, their share and score against the others' and its
        impact on the score (null below the minimum sample), most mentioned
        first; and per period of `interval` the share of each sentiment."""
        form = valid_form(request.query_params)
        answers = form.answer_filter()
        interval = form.chosen_interval
        data = envelope(
            answers,
            interval=interval,
            themes=themes.theme_figures(answers),
            sentiment=themes.sentiment_trend(answers, interval=interval),
        )
        return Response(MetricsThemesSerializer(data).data)
