"""Which answers a figure is about, read from a URL's query string.

The dashboard and `/api/v1/metrics/` take the same parameters, so a view can
be shared as a link and fetched by a tool with the same meaning:

    survey, kind, interval, from, to, mode (all | latest), by,
    channel, touchpoint, stage, segment, company, staff,
    theme, sentiment, language (what the answer's comment was read to say)
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db.models import F, Q, QuerySet, Window
from django.db.models.expressions import BaseExpression
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Channel, Stage
from feedback.models import Case
from surveys.models import Kind, Survey, SurveyResponse
from text.models import CommentTheme, Label, Language, Theme

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
# Far enough from date.min and date.max that widening a range to whole
# quarters and reading the range before it stay valid dates.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)


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
    # What the comment was read to say: a Theme's id it mentions, its
    # sentiment (a staff member's correction first) and its language.
    theme: int | None = None
    sentiment: str | None = None
    language: str | None = None

    @property
    def reads_comments(self) -> bool:
        """Whether the set depends on the comments' reading (which the
        rollup does not count by)."""
        return (self.theme, self.sentiment, self.language) != (None, None, None)

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
        or in "latest" mode those that are their customer's latest answer of
        this kind (and survey) in the range and match the dimensions."""
        if self.mode == "all":
            return self.responses()
        return self.latest_per_customer()

    def latest_per_customer(
        self, *, period: BaseExpression | None = None
    ) -> QuerySet[SurveyResponse]:
        """Each customer's latest answer of the kind (and survey) in the
        range — in each `period` when given — kept when it matches the
        dimensions (ties: the higher id).

        The latest answer stands for the customer: a customer whose latest
        answer was at another touchpoint is not counted at this one, so that
        a breakdown's rows add up to the whole and each row lists what it
        counted."""
        partition: list[BaseExpression | F] = [F("customer_id")]
        if period is not None:
            partition.append(period)
        latest = (
            SurveyResponse.objects.filter(self.condition(with_dimensions=False))
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=partition,
                    order_by=[F("answered_at").desc(), F("id").desc()],
                )
            )
            .filter(rank=1)
        )
        return SurveyResponse.objects.filter(
            self.dimension_condition(), id__in=latest.values("id")
        ).order_by()

    def condition(self, *, with_dimensions: bool = True) -> Q:
        condition = Q(kind=self.kind) & self.range_condition("answered_at")
        if self.survey is not None:
            condition &= Q(survey_id=self.survey)
        if with_dimensions:
            condition &= self.dimension_condition()
        return condition

    def range_condition(self, field_name: str) -> Q:
        """The range on a date-time field, as [start's midnight, the midnight
        after end) in the zone."""
        condition = Q()
        if self.start_at is not None:
            condition &= Q(**{f"{field_name}__gte": self.start_at})
        if self.end_before is not None:
            condition &= Q(**{f"{field_name}__lt": self.end_before})
        return condition

    def dimension_condition(self) -> Q:
        condition = Q()
        for name, value in self.dimensions.items():
            column = f"{name}_id" if name in RELATED_DIMENSIONS else name
            condition &= Q(**{column: value})
        return condition & self.comment_condition()

    def comment_condition(self, prefix: str = "") -> Q:
        """The theme, sentiment and language asked for, on the answers
        (`prefix` "response__" from a case)."""
        condition = Q()
        if self.theme is not None:
            mentioning = CommentTheme.objects.filter(
                theme_id=self.theme, is_present=True
            ).values("analysis_id")
            condition &= Q(**{f"{prefix}id__in": mentioning})
        if self.sentiment is not None:
            corrected = f"{prefix}analysis__corrected_label"
            condition &= Q(**{corrected: self.sentiment}) | Q(
                **{corrected: "", f"{prefix}analysis__label": self.sentiment}
            )
        if self.language is not None:
            condition &= Q(**{f"{prefix}analysis__language": self.language})
        return condition

    def cases(self) -> QuerySet[Case]:
        """The cases opened in the range from answers of this kind (and
        survey) that match the dimensions, for the loop metrics. Cases
        opened by hand have no answer, so they count only without filters
        — in `loop_metrics(cases=None)`."""
        answer = Q(kind=self.kind)
        if self.survey is not None:
            answer &= Q(response__survey_id=self.survey)
        for name, value in self.dimensions.items():
            column = f"{name}_id" if name in RELATED_DIMENSIONS else name
            answer &= Q(**{f"response__{column}": value})
        answer &= self.comment_condition("response__")
        return Case.objects.filter(answer, self.range_condition("created_at"))

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
    theme = forms.ModelChoiceField(
        label=_("theme"), queryset=Theme.objects.all(), required=False
    )
    sentiment = forms.ChoiceField(
        label=_("sentiment"), choices=Label.choices, required=False
    )
    language = forms.ChoiceField(
        label=_("comment language"), choices=Language.choices, required=False
    )

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
        if "from_" in cleaned and "to" in cleaned:
            self.clean_range(cleaned)
        return cleaned

    def clean_range(self, cleaned: dict[str, Any]) -> None:
        """The range asked for, with the defaults filled in: without `to`,
        today; without `from`, DEFAULT_DAYS days up to `to`. Refused when it
        ends before it starts, is longer than LONGEST_RANGE_DAYS, or leaves
        EARLIEST_DAY…LATEST_DAY (whose neighbours must stay computable)."""
        today = timezone.localdate(timezone=timezone.get_default_timezone())
        start, end = cleaned["from_"], cleaned["to"]
        for name, day in (("from_", start), ("to", end)):
            if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
                self.add_error(
                    name,
                    _("Choose a day from %(earliest)s to %(latest)s.")
                    % {"earliest": EARLIEST_DAY, "latest": LATEST_DAY},
                )
                return
        if end is None:
            end = max(today, start) if start is not None else today
        if start is None:
            start = max(end - timedelta(DEFAULT_DAYS - 1), EARLIEST_DAY)
        if start > end:
            self.add_error("to", _("The range ends before it starts."))
        elif (end - start).days >= LONGEST_RANGE_DAYS:
            self.add_error(
                "from_",
                _("Ask for at most %(days)d days at once.")
                % {"days": LONGEST_RANGE_DAYS},
            )
        else:
            cleaned["from_"], cleaned["to"] = start, end

    def answer_filter(self) -> AnswerFilter:
        """The answers asked for; call after `is_valid()`."""
        cleaned = self.cleaned_data
        survey: Survey | None = cleaned.get("survey")
        dimensions: dict[str, str | int] = {
            name: cleaned[name]
            for name in DIMENSIONS
            if name != "survey" and cleaned.get(name) not in (None, "")
        }
        return AnswerFilter(
            kind=survey.kind if survey else cleaned.get("kind") or Kind.NPS,
            start=cleaned["from_"],
            end=cleaned["to"],
            survey=survey.pk if survey else None,
            dimensions=dimensions,
            mode=cleaned.get("mode") or "all",
            zone=timezone.get_default_timezone(),
            theme=cleaned["theme"].pk if cleaned.get("theme") else None,
            sentiment=cleaned.get("sentiment") or None,
            language=cleaned.get("language") or None,
        )

    @property
    def chosen_interval(self) -> Interval:
        return self.cleaned_data.get("interval") or "week"

    @property
    def dimension(self) -> Dimension | None:
        return self.cleaned_data.get("by") or None


def minimum_sample() -> int:
    return int(getattr(settings, "METRICS_MIN_SAMPLE", 30))
