"""The shapes of `/api/v1/metrics/`'s answers, and the query's `limit`.

drf-spectacular names the schema's components after these classes, and
shows their docstrings as descriptions: a new name or docstring changes the
published schema.
"""

from datetime import datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import Field, SkipField, get_attribute

from feedback.metrics.filters import DIMENSIONS, INTERVALS
from feedback.metrics.loop import GROUPINGS
from feedback.metrics.statistics import Score
from surveys.models import Kind

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
        score: Score = get_attribute(instance, self.source_attrs)
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


class MetricsThemeSerializer(serializers.Serializer[Any]):
    """One active theme among the answers whose comment was read."""

    id = serializers.IntegerField()
    key = serializers.CharField()
    name = serializers.CharField(
        help_text="In the request's language (English without a Chinese name)."
    )
    n = serializers.IntegerField(
        source="figures.n", help_text="Answers whose comment mentions the theme."
    )
    share = serializers.FloatField(
        source="figures.share",
        allow_null=True,
        help_text="Their percentage of the answers with a read comment; null "
        "without any.",
    )
    score_with = serializers.FloatField(
        source="figures.score_with",
        allow_null=True,
        help_text="The score (NPS, CSAT % or CES %, per `kind`) of the answers "
        "mentioning the theme; null below the minimum sample.",
    )
    score_without = serializers.FloatField(
        source="figures.score_without",
        allow_null=True,
        help_text="The score of the read answers not mentioning it; null below "
        "the minimum sample.",
    )
    impact = serializers.FloatField(
        source="figures.impact",
        allow_null=True,
        help_text="(score_with − score_without) × share / 100, in the score's "
        "points; null below the minimum sample.",
    )
    margin = serializers.FloatField(
        source="figures.margin",
        allow_null=True,
        help_text="The 95% margin of score_with − score_without; null below the "
        "minimum sample.",
    )
    low_sample = serializers.BooleanField(
        source="figures.low_sample",
        help_text="Fewer answers than the minimum sample with or without the "
        "theme: too few answers to tell.",
    )


class MetricsSentimentShareSerializer(serializers.Serializer[Any]):
    """One sentiment's share of a period's answers with a read comment."""

    label = serializers.CharField(  # type: ignore[assignment]
        help_text="negative, neutral, positive or mixed."
    )
    count = serializers.IntegerField()
    share = serializers.FloatField(
        allow_null=True, help_text="In percent; null without read comments."
    )
    margin = serializers.FloatField(
        allow_null=True, help_text="The 95% margin, in percentage points."
    )


class MetricsSentimentPeriodSerializer(serializers.Serializer[Any]):
    """The sentiments of one period (a staff member's correction counts
    instead of the reading)."""

    period = serializers.DateField(
        source="start", help_text="The period's first day (weeks start on Monday)."
    )
    label = serializers.CharField()  # type: ignore[assignment]
    n = serializers.IntegerField(help_text="Answers with a read comment.")
    low_sample = serializers.BooleanField()
    shares = MetricsSentimentShareSerializer(many=True)


class MetricsThemesSerializer(MetricsRangeSerializer):
    """Every active theme's volume and impact on the score, most mentioned
    first, and the sentiment of the comments per period."""

    interval = serializers.ChoiceField(choices=INTERVALS)
    themes = MetricsThemeSerializer(many=True)
    sentiment = MetricsSentimentPeriodSerializer(many=True)


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


# The query's `limit` (the views read the rest of the query string)


# A breakdown by company can have a row per company: at most this many.
DEFAULT_LIMIT = 100
LARGEST_LIMIT = 1000


class LimitSerializer(serializers.Serializer[Any]):
    limit = serializers.IntegerField(
        min_value=1, max_value=LARGEST_LIMIT, default=DEFAULT_LIMIT
    )
