"""The dashboard's query string: the form a person fills in, and the links
that keep its filters."""

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.translation import gettext_lazy

from customers.models import Touchpoint
from feedback.metrics.filters import AnswerFilter, MetricsQueryForm
from surveys.models import Kind
from text.reading import theme_name

# Query-string keys that only page through the answers list.
PAGING_KEYS = ("after", "before")


class DashboardForm(MetricsQueryForm):
    """The shared query-string form, with the inputs a person fills in: a
    blank choice for every optional select, dates as date inputs, and lists
    of the (bounded) touchpoints and staff. Companies can be a million, so
    the company is a number input."""

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        fields = self.fields
        blanks = {
            "kind": "—",
            "by": "—",
            "channel": gettext_lazy("all channels"),
            "stage": gettext_lazy("all stages"),
            "sentiment": gettext_lazy("all sentiments"),
            "language": gettext_lazy("all languages"),
        }
        for name, blank in blanks.items():
            field = cast(forms.ChoiceField, fields[name])
            field.choices = [("", blank), *cast(list[tuple[str, str]], field.choices)]
        survey = cast("forms.ModelChoiceField[Any]", fields["survey"])
        survey.empty_label = str(gettext_lazy("all surveys"))
        theme = cast("forms.ModelChoiceField[Any]", fields["theme"])
        theme.empty_label = str(gettext_lazy("all themes"))
        # The reader's language, English without a Chinese name.
        theme.label_from_instance = theme_name  # type: ignore[method-assign,assignment]
        for name in ("from_", "to"):
            fields[name].widget = forms.DateInput(
                attrs={"type": "date"}, format="%Y-%m-%d"
            )
        fields["touchpoint"].widget = forms.Select(
            choices=[
                ("", gettext_lazy("all touchpoints")),
                *Touchpoint.objects.order_by("name").values_list("pk", "name"),
            ]
        )
        fields["staff"].widget = forms.Select(
            choices=[("", gettext_lazy("all staff")), *staff_choices()]
        )
        fields["company"].widget.attrs["placeholder"] = gettext_lazy("company id")
        fields["segment"].widget.attrs["size"] = 10

    def show_range(self, answers: AnswerFilter) -> None:
        """Show the dates the figures are about in the date inputs, the
        default range too; call after `is_valid()` (only the inputs change)."""
        data = cast(QueryDict, self.data).copy()
        for name, day in (("from", answers.start), ("to", answers.end)):
            data[name] = "" if day is None else day.isoformat()
        self.data = data

    def choice_label(self, name: str, value: str | None) -> str:
        """The label a select shows for `value` ("" for none)."""
        field = cast(forms.ChoiceField, self.fields[name])
        labels = dict(cast(list[tuple[str, str]], field.choices))
        return str(labels.get(value or "", ""))

    def add_prefix(self, field_name: str) -> str:
        # `from` is the query-string name, `from_` the field's.
        return "from" if field_name == "from_" else super().add_prefix(field_name)


def staff_choices() -> list[tuple[int, str]]:
    users = get_user_model().objects.filter(is_staff=True).order_by("username")
    return [
        (pk, f"{first} {last}".strip() or username)
        for pk, username, first, last in users.values_list(
            "pk", "username", "first_name", "last_name"
        )
    ]


def read_form(request: HttpRequest) -> DashboardForm:
    """The form on the query string, with the defaults written in where a
    select shows them (they mean what an absent value means)."""
    data = request.GET.copy()
    defaults = {"interval": "week", "mode": "all"}
    if not data.get("survey"):
        defaults["kind"] = Kind.NPS
    for name, value in defaults.items():
        if not data.get(name):
            data[name] = value
    return DashboardForm(data)


def shared_query(request: HttpRequest) -> QueryDict:
    """The filters of this view, without empty values and paging: the base
    of every link it makes."""
    query = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        if key in PAGING_KEYS or key == "from_":
            continue
        kept = [value for value in values if value]
        if kept:
            query.setlist(key, kept[-1:])
    return query


def url_with(name: str, query: QueryDict, **changes: str | None) -> str:
    """The URL of view `name` with `query` changed: None removes a key.
    `from_` stands for `from` (a Python keyword)."""
    params = query.copy()
    for key, value in changes.items():
        key = "from" if key == "from_" else key
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return reverse(name) + (f"?{encoded}" if encoded else "")
