import json
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.paginator import Paginator
from django.core.validators import ProhibitNullCharactersValidator
from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from customers import services

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
from customers.models import Channel, Company, Customer, Interaction, Stage, Touchpoint
from lib.forms import LocalSplitDateTimeField

# Beyond this many matches an exact COUNT(*) costs more than the page itself.
EXACT_COUNT_LIMIT = 10_000


class EstimatedCountPaginator(Paginator):  # type: ignore[type-arg]
    """A paginator for changelists that may hold millions of rows.

    Counting up to EXACT_COUNT_LIMIT rows is cheap and exact. Past it, on
    PostgreSQL, the planner's row estimate stands in for the exact count, which
    would read every matching row on every page view.
    """

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if connection.vendor != "postgresql" or not isinstance(queryset, QuerySet):
            return super().count
        # Without ORDER BY: counting needs no sort and no walk of an ordered index.
        bounded = queryset.order_by()[: EXACT_COUNT_LIMIT + 1].count()
        if bounded <= EXACT_COUNT_LIMIT:
            return bounded
        plan = json.loads(queryset.order_by().explain(format="json"))
        return max(bounded, int(plan[0]["Plan"]["Plan Rows"]))


class LargeTableAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Defaults for tables that grow to millions of rows and hold history.

    No delete in the admin: a row here is history that reports and the audit
    trail rely on (customers are erased, not deleted), and the delete page of
    a row with a million dependants would list them all. No facet counts
    either: each one counts the whole table.
    """

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def chosen_ids(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        *,
        limit: int,
        too_many: "StrOrPromise",
    ) -> list[int] | None:
        """The ids a list action applies to; None, with `too_many` (formatted
        with max) as the message, past `limit`: an action names its rows in
        one task message or one transaction."""
        ids = list(queryset.values_list("id", flat=True)[: limit + 1])
        if len(ids) <= limit:
            return ids
        self.message_user(request, str(too_many) % {"max": limit}, messages.ERROR)
        return None

    def action_form_page(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        *,
        action: str,
        form: forms.Form,
        title: "StrOrPromise",
        template: str,
    ) -> TemplateResponse:
        """The page where a list action asks its question (a template that
        extends admin/action_form.html); the chosen rows go along."""
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "form": form,
            "queryset": queryset,
            "count": queryset.count(),
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, template, context)

    def response_action(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> HttpResponse | None:
        """Django looks the chosen rows up as posted: an id that is no number,
        or too long for the database, would make the page a 500."""
        chosen = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if any(not (value.isdecimal() and len(value) < 19) for value in chosen):
            self.message_user(request, _("Choose rows from the list."), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)


class ViewOnlyAdmin(LargeTableAdmin):
    """Rows that only services write: nobody adds or edits them by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# The customer page shows the latest rows of each history; the changelist
# filtered by customer has the rest.
HISTORY_ROWS = 20


class LatestRowsFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    def get_queryset(self) -> QuerySet[Any]:
        # Kept: the formset asks for it once per form, and a sliced queryset
        # cannot come from Django's own cache.
        if not hasattr(self, "_latest_rows"):
            self._latest_rows = super().get_queryset()[:HISTORY_ROWS]
        return self._latest_rows


class HistoryInline(admin.TabularInline):  # type: ignore[type-arg]
    """A read-only list of the latest rows that belong to the customer."""

    formset = LatestRowsFormSet
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


MAX_SEARCH_WORDS = 5
# Trigram indexes need three characters; shorter words (a Chinese surname, a
# given name of two characters) match names by prefix, through an index too.
TRIGRAM_LENGTH = 3
# Companies matched by name are passed to the customer query as a list, so that
# PostgreSQL can combine indexes on one table; past this many, as a subquery.
COMPANY_ID_LIST_LIMIT = 500


def customer_matches(word: str) -> Q:
    """Customers whose name, email, company or external id match one word."""
    companies = Company.objects.filter(name__icontains=word).values_list(
        "id", flat=True
    )
    company_ids = list(companies[: COMPANY_ID_LIST_LIMIT + 1])
    in_company = Q(
        company_id__in=companies
        if len(company_ids) > COMPANY_ID_LIST_LIMIT
        else company_ids
    )
    if len(word) < TRIGRAM_LENGTH:
        return Q(name__istartswith=word) | Q(external_id=word) | in_company
    return (
        Q(name__icontains=word)
        | Q(email__icontains=word)
        | Q(external_id=word)
        | in_company
    )


def stage_order() -> Case:
    """Journey stages in the order customers live them, for ORDER BY."""
    return Case(
        *(
            When(stage=stage, then=Value(index))
            for index, stage in enumerate(Stage.values)
        ),
        default=Value(len(Stage.values)),
        output_field=IntegerField(),
    )


class MineFilter(admin.SimpleListFilter):
    title = _("owner")
    parameter_name = "mine"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("1", str(_("Mine")))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "1":
            return queryset.filter(owner=request.user)
        return queryset


MAX_TAGS = 50
MAX_TAG_LENGTH = 50


class TagsField(forms.Field):
    """Tags typed as "vip, beta" and stored as a JSON list."""

    widget = forms.TextInput

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:
        tags = (tag.strip() for tag in str(value or "").split(","))
        return list(dict.fromkeys(tag for tag in tags if tag))

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        for tag in value:
            ProhibitNullCharactersValidator()(tag)
        # The same limits as the API's.
        if len(value) > MAX_TAGS or any(len(tag) > MAX_TAG_LENGTH for tag in value):
            raise forms.ValidationError(
                _("At most %(count)s tags of at most %(length)s characters each."),
                params={"count": MAX_TAGS, "length": MAX_TAG_LENGTH},
            )


class CustomerForm(forms.ModelForm):  # type: ignore[type-arg]
    tags = TagsField(
        label=_("tags"),
        required=False,
        help_text=_("Separated by commas."),
    )

    class Meta:
        model = Customer
        fields = "__all__"  # noqa: DJ007 (the admin's fieldsets choose the fields)


class TouchpointChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Active touchpoints in journey order, each labelled with its stage."""

    def label_from_instance(self, obj: Touchpoint) -> str:
        return f"{obj.get_stage_display()} · {obj.name}"


class LogInteractionForm(forms.ModelForm):  # type: ignore[type-arg]
    touchpoint = TouchpointChoiceField(
        label=_("touchpoint"),
        required=False,
        queryset=Touchpoint.objects.filter(is_active=True).order_by(
            stage_order(), "name"
        ),
    )

    class Meta:
        model = Interaction
        fields = [
            "channel",
            "touchpoint",
            "direction",
            "subject",
            "notes",
            "occurred_at",
            "status",
            "survey_mode",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2, "cols": 40})}
        # Its initial "now" is valid in the hour that daylight saving repeats.
        field_classes = {"occurred_at": LocalSplitDateTimeField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Most logged interactions are phone calls; one less click for them.
        self.fields["channel"].initial = Channel.PHONE


class LogInteractionInline(admin.StackedInline):  # type: ignore[type-arg]
    """A blank form on the customer page: occurred now, logged by whoever saves it."""

    model = Interaction
    form = LogInteractionForm
    extra = 1
    can_delete = False
    verbose_name = _("new interaction")
    verbose_name_plural = _("log an interaction")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Interaction]:
        return Interaction.objects.none()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_add_permission(request, obj)


class InteractionHistoryInline(HistoryInline):
    model = Interaction
    fields = readonly_fields = (
        "occurred_at",
        "channel",
        "touchpoint",
        "subject",
        "status",
        "survey_mode",
        "logged_by",
    )
    ordering = ["-occurred_at"]
    verbose_name_plural = _("latest interactions")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Interaction]:
        return super().get_queryset(request).select_related("touchpoint", "logged_by")


class CustomerAdmin(LargeTableAdmin):
    """The support desk's main screen. Registered in crm/admin.py, which adds
    the inlines of the apps above this one (invitations, responses, cases)."""

    list_display = [
        "name",
        "email",
        "company",
        "segment",
        "stage",
        "language",
        "owner",
        "created_at",
    ]
    form = CustomerForm
    list_select_related = ["company", "owner"]
    list_filter = [MineFilter, "stage", "language"]
    search_fields = ["name", "email", "company__name", "external_id"]
    search_help_text = _("Name, email, company or external id.")
    sortable_by = ["name"]
    ordering = ["-id"]
    autocomplete_fields = ["company"]
    readonly_fields = [
        "history",
        "email_opted_out_at",
        "erased_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["name", "email", "phone", "company", "owner", "history"]}),
        (
            _("Profile"),
            {
                "fields": [
                    "segment",
                    "stage",
                    "language",
                    "timezone",
                    "tags",
                    "external_id",
                ]
            },
        ),
        (
            _("Consent and history"),
            {
                "classes": ["collapse"],
                "fields": [
                    "email_opted_out_at",
                    "erased_at",
                    "created_at",
                    "updated_at",
                ],
            },
        ),
    ]
    inlines = [LogInteractionInline, InteractionHistoryInline]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Customer], search_term: str
    ) -> tuple[QuerySet[Customer], bool]:
        for word in search_term.split()[:MAX_SEARCH_WORDS]:
            queryset = queryset.filter(customer_matches(word))
        return queryset, False

    @admin.display(description=_("history"))
    def history(self, customer: Customer) -> str:
        if customer.pk is None:
            return "—"
        links = [
            (reverse(f"admin:{page}_changelist"), label)
            for page, label in [
                ("customers_interaction", _("all interactions")),
                ("surveys_invitation", _("all survey invitations")),
                ("surveys_surveyresponse", _("all responses")),
                ("feedback_case", _("all cases")),
            ]
        ]
        return format_html_join(
            " · ",
            '<a href="{}?customer__id__exact={}">{}</a>',
            ((url, customer.pk, label) for url, label in links),
        )

    def save_formset(
        self, request: HttpRequest, form: Any, formset: Any, change: bool
    ) -> None:
        if formset.model is not Interaction:
            super().save_formset(request, form, formset, change)
            return
        for interaction in formset.save(commit=False):
            services.log_interaction(
                customer=form.instance,
                channel=interaction.channel,
                logged_by=request.user,  # type: ignore[arg-type]
                **{
                    name: getattr(interaction, name)
                    for name in LogInteractionForm.Meta.fields
                    if name != "channel"
                },
            )

    def save_model(
        self, request: HttpRequest, obj: Customer, form: Any, change: bool
    ) -> None:
        services.save_validated(obj)


@admin.register(Company)
class CompanyAdmin(LargeTableAdmin):
    list_display = [
        "name",
        "domain",
        "segment",
        "owner",
        "external_id",
        "customers_link",
    ]
    list_select_related = ["owner"]
    list_filter = [MineFilter]
    search_fields = ["name", "domain", "=external_id"]
    ordering = ["name"]

    @admin.display(description=_("customers"))
    def customers_link(self, company: Company) -> str:
        url = reverse("admin:customers_customer_changelist")
        return format_html(
            '<a href="{}?company__id__exact={}">{}</a>', url, company.pk, _("View")
        )

    def save_model(
        self, request: HttpRequest, obj: Company, form: Any, change: bool
    ) -> None:
        services.save_validated(obj)


@admin.register(Touchpoint)
class TouchpointAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The catalog of touchpoints, listed in journey order. Touchpoints are
    deactivated, not deleted: answers were given at them."""

    list_display = ["name", "stage", "default_channel", "is_active"]
    list_filter = ["stage", "is_active", "default_channel"]
    search_fields = ["name"]
    sortable_by = ()

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        return [stage_order(), "name"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Interaction)
class InteractionAdmin(LargeTableAdmin):
    list_display = [
        "occurred_at",
        "customer",
        "channel",
        "touchpoint",
        "subject",
        "status",
        "survey_mode",
        "logged_by",
    ]
    list_select_related = ["customer", "touchpoint", "logged_by"]
    list_filter = ["status", "channel", "survey_mode"]
    search_fields = ["customer__email"]
    search_help_text = _("The customer's email address.")
    ordering = ["-occurred_at"]
    sortable_by = ["occurred_at"]
    raw_id_fields = ["customer"]
    autocomplete_fields = ["touchpoint"]
    readonly_fields = ["logged_by", "resolved_at", "created_at", "updated_at"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Interaction], search_term: str
    ) -> tuple[QuerySet[Interaction], bool]:
        if not search_term.strip():
            return queryset, False
        return queryset.filter(
            customer__in=Customer.objects.with_email(search_term)
        ), False

    def save_model(
        self, request: HttpRequest, obj: Interaction, form: Any, change: bool
    ) -> None:
        if not change:
            obj.logged_by = request.user  # type: ignore[assignment]
        services.save_interaction(obj)
