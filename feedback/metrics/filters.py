"""Which answers a figure is about, read from a URL's query string.

The dashboard and `/api/v1/metrics/` take the same parameters, so a view can
be shared as a link and fetched by a tool with the same meaning:

    survey, kind, interval, from, to, mode (all | latest), by,
    channel, touchpoint, stage, segment, company, staff
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Channel, Stage
from surveys.models import Kind, Survey, SurveyResponse

Interval = Literal["day", "week", "month", "quarter"]
Dimension = Literal[
    "survey", "channel", "touchpoint", "stage", "segment", "company", "staff"
]
Mode = Literal["all", "latest"]

INTERVALS: tuple[Interval, ...] = get_args(Interval)
DIMENSIONS: tuple[Dimension, ...] = get_args(Dimension)
# The dimensions held as ids of other rows; the others are plain values.
RELATED_DIMENSIONS: frozenset[str] = frozenset(
    {"survey", "touchpoint", "company", "staff"}
)
DEFAULT_DAYS = 90
LONGEST_RANGE_DAYS = 366 * 5


@dataclass(frozen=True)
class AnswerFilter:
    """A set of answers: one kind (scores of two scales never mix), a range
    of days in `zone` (both ends included), and at most one value per
    dimension. `mode="latest"` keeps each customer's latest answer only."""

    kind: str = Kind.NPS
    start: date | None = None
    end: date | None = None
    survey: int | None = None
    dimensions: dict[str, str | int] = field(default_factory=dict)
    mode: Mode = "all"
    zone: ZoneInfo = field(default_factory=timezone.get_default_timezone)

    @property
    def start_at(self) -> datetime | None:
        return None if self.start is None else self.midnight(self.start)

    @property
    def end_before(self) -> datetime | None:
        """The first instant after the range (exclusive)."""
        return None if self.end is None else self.midnight(self.end + timedelta(1))

    def midnight(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.zone)

    def responses(self) -> QuerySet[SurveyResponse]:
        """The answers in this set, all of them (`mode` is applied by the
        figures, per period for a trend)."""
        answers = SurveyResponse.objects.filter(self.condition())
        return answers.order_by()

    def selected(self) -> QuerySet[SurveyResponse]:
        """The answers the figures count over the whole range: all of them,
        or in "latest" mode each customer's latest one (ties: the higher id)."""
        answers = self.responses()
        if self.mode == "all":
            return answers
        latest = answers.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("customer_id")],
                order_by=[F("answered_at").desc(), F("id").desc()],
            )
        ).filter(rank=1)
        return SurveyResponse.objects.filter(id__in=latest.values("id")).order_by()

    def condition(self) -> Q:
        condition = Q(kind=self.kind)
        if self.start_at is not None:
            condition &= Q(answered_at__gte=self.start_at)
        if self.end_before is not None:
            condition &= Q(answered_at__lt=self.end_before)
        if self.survey is not None:
            condition &= Q(survey_id=self.survey)
        for name, value in self.dimensions.items():
            column = f"{name}_id" if name in RELATED_DIMENSIONS else name
            condition &= Q(**{column: value})
        return condition

    def previous(self) -> "AnswerFilter | None":
        """The same set over the equally long range just before this one,
        for the change; None without both ends."""
        if self.start is None or self.end is None:
            return None
        length = self.end - self.start + timedelta(1)
        return replace(self, start=self.start - length, end=self.start - timedelta(1))


class MetricsQueryForm(forms.Form):
    """The query string of the dashboard and of `/api/v1/metrics/`; its
    errors are the 400 messages."""

    survey = forms.ModelChoiceField(
        label=_("survey"), queryset=Survey.objects.all(), required=False
    )
    kind = forms.ChoiceField(label=_("kind"), choices=Kind.choices, required=False)
    interval = forms.ChoiceField(
        label=_("interval"),
        choices=[
            ("day", _("day")),
            ("week", _("week")),
            ("month", _("month")),
            ("quarter", _("quarter")),
        ],
        required=False,
    )
    from_ = forms.DateField(label=_("from"), required=False)
    to = forms.DateField(label=_("to"), required=False)
    mode = forms.ChoiceField(
        label=_("answers"),
        choices=[
            ("all", _("all answers")),
            ("latest", _("latest answer per customer")),
        ],
        required=False,
    )
    by = forms.ChoiceField(
        label=_("break down by"),
        choices=[
            ("survey", _("survey")),
            ("channel", _("channel")),
            ("touchpoint", _("touchpoint")),
            ("stage", _("journey stage")),
            ("segment", _("segment")),
            ("company", _("company")),
            ("staff", _("staff member")),
        ],
        required=False,
    )
    channel = forms.ChoiceField(
        label=_("channel"), choices=Channel.choices, required=False
    )
    touchpoint = forms.IntegerField(label=_("touchpoint"), min_value=1, required=False)
    stage = forms.ChoiceField(
        label=_("journey stage"), choices=Stage.choices, required=False
    )
    segment = forms.CharField(label=_("segment"), max_length=50, required=False)
    company = forms.IntegerField(label=_("company"), min_value=1, required=False)
    staff = forms.IntegerField(label=_("staff member"), min_value=1, required=False)

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        # `from` is a Python keyword: the field is `from_`, the parameter `from`.
        if data is not None and "from" in data:
            data = data.copy()
            data["from_"] = data.get("from")
        super().__init__(data, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        survey, kind = cleaned.get("survey"), cleaned.get("kind")
        if survey is not None and kind and kind != survey.kind:
            raise forms.ValidationError(
                _("The survey asks %(survey_kind)s, not %(kind)s."),
                params={"survey_kind": survey.kind, "kind": kind},
            )
        start, end = cleaned.get("from_"), cleaned.get("to")
        if start and end:
            if start > end:
                self.add_error("to", _("The range ends before it starts."))
            elif (end - start).days > LONGEST_RANGE_DAYS:
                self.add_error(
                    "from_",
                    _("Ask for at most %(days)d days at once.")
                    % {"days": LONGEST_RANGE_DAYS},
                )
        return cleaned

    def answer_filter(self, *, today: date | None = None) -> AnswerFilter:
        """The answers asked for; call after `is_valid()`. Without `from`
        and `to`, the last DEFAULT_DAYS days up to today."""
        cleaned = self.cleaned_data
        zone = timezone.get_default_timezone()
        today = today or timezone.localdate(timezone=zone)
        survey: Survey | None = cleaned.get("survey")
        end = cleaned.get("to") or today
        start = cleaned.get("from_") or end - timedelta(DEFAULT_DAYS - 1)
        dimensions: dict[str, str | int] = {
            name: cleaned[name]
            for name in DIMENSIONS
            if name != "survey" and cleaned.get(name) not in (None, "")
        }
        return AnswerFilter(
            kind=survey.kind if survey else cleaned.get("kind") or Kind.NPS,
            start=start,
            end=end,
            survey=survey.pk if survey else None,
            dimensions=dimensions,
            mode=cleaned.get("mode") or "all",
            zone=zone,
        )

    @property
    def chosen_interval(self) -> Interval:
        return self.cleaned_data.get("interval") or "week"

    @property
    def dimension(self) -> Dimension | None:
        return self.cleaned_data.get("by") or None


def minimum_sample() -> int:
    return int(getattr(settings, "METRICS_MIN_SAMPLE", 30))
