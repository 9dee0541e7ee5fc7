from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers import consent, services

if TYPE_CHECKING:
    pass
from customers.models import (
    Channel,
    Company,
    ConsentEvent,
    ConsentPurpose,
    Customer,
    Interaction,
    Stage,
    Touchpoint,
)
from customers.search import MAX_SEARCH_WORDS, customer_matches
from lib import hooks
from lib.access_log import LogAccessAdmin
from lib.admin import HistoryInline, LargeTableAdmin, StaffPickerAdmin, ViewOnlyAdmin
from lib.forms import LocalSplitDateTimeField
from lib.validation import save_validated


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
        label=capfirst(_("tags")),
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
        label=capfirst(_("touchpoint")),
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


ACTION_CHOICES = [
    ("", "---------"),
    ("1", _("Granted")),
    ("0", _("Withdrawn")),
]


class RecordConsentForm(forms.ModelForm):  # type: ignore[type-arg]
    """A grant or withdrawal the customer gave staff (by phone, in person):
    recorded with source "staff" and the staff member as evidence."""

    granted = forms.TypedChoiceField(
        label=capfirst(_("consent")),
        choices=ACTION_CHOICES,
        coerce=lambda value: value == "1",
        empty_value=None,
    )

    class Meta:
        model = ConsentEvent
        fields = ["purpose", "granted"]


class RecordConsentInline(admin.StackedInline):  # type: ignore[type-arg]
    """A blank form on the customer page; staff who may change the customer
    may record their consent."""

    model = ConsentEvent
    form = RecordConsentForm
    extra = 1
    max_num = 1
    can_delete = False
    verbose_name = _("new consent event")
    verbose_name_plural = _("record consent")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ConsentEvent]:
        return ConsentEvent.objects.none()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An erased customer's history is closed (consent.record_consent).
        if obj is not None and obj.erased_at is not None:
            return False
        return request.user.has_perm("customers.change_customer")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_add_permission(request, obj)


class ConsentHistoryInline(HistoryInline):
    model = ConsentEvent
    fields = readonly_fields = (
        "created_at",
        "purpose",
        "action",
        "source",
        "policy_version",
        "staff_member",
        "ip_network",
        "user_agent",
    )
    ordering = ["-created_at", "-id"]
    show_change_link = False
    verbose_name_plural = _("consent history")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ConsentEvent]:
        return super().get_queryset(request).select_related("staff_member")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("customers.view_customer")

    @admin.display(description=_("consent"))
    def action(self, event: ConsentEvent) -> str:
        return str(_("Granted") if event.granted else _("Withdrawn"))


class CustomerAdmin(LogAccessAdmin, StaffPickerAdmin, LargeTableAdmin):
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
        "created",
    ]
    form = CustomerForm
    list_select_related = ["company", "owner"]
    list_filter = [MineFilter, "stage", "language"]
    search_fields = ["name", "email", "company__name", "external_id"]
    search_help_text = _("Name, email, company or external id.")
    sortable_by = ["name"]
    ordering = ["-id"]
    autocomplete_fields = ["company"]
    staff_autocomplete_fields = ["owner"]
    readonly_fields = [
        "history",
        "pilot_panels",
        "consent_summary",
        "email_opted_out_at",
        "erased_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "email",
                    "phone",
                    "company",
                    "owner",
                    "history",
                    "pilot_panels",
                ]
            },
        ),
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
                    "jurisdiction",
                ]
            },
        ),
        (
            _("Consent and history"),
            {
                "classes": ["collapse"],
                "fields": [
                    "consent_summary",
                    "email_opted_out_at",
                    "erased_at",
                    "created_at",
                    "updated_at",
                ],
            },
        ),
    ]
    inlines = [
        LogInteractionInline,
        InteractionHistoryInline,
        RecordConsentInline,
        ConsentHistoryInline,
    ]

    @admin.display(description=pgettext_lazy("the day a record was made", "Created"))
    def created(self, customer: Customer) -> str:
        # The day is what the list is read for; the time (on the customer's
        # page) would cost the list's narrow screens a column.
        return date_format(localtime(customer.created_at))

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
                ("customers_consentevent", _("all consent events")),
            ]
        ]
        return format_html_join(
            " · ",
            '<a href="{}?customer__id__exact={}">{}</a>',
            ((url, customer.pk, label) for url, label in links),
        )

    @admin.display(description=_("pilots"))
    def pilot_panels(self, customer: Customer) -> str:
        """What apps above add about the customer (the pilots they are in:
        settings.HOOKS["customer_panels"]), HTML fragments."""
        if customer.pk is None:
            return "—"
        panels = hooks.gather("customer_panels", customer=customer)
        return format_html_join("", "{}", ((panel,) for panel in panels)) or "—"

    @admin.display(description=_("consent"))
    def consent_summary(self, customer: Customer) -> str:
        """Each purpose's state, from the history (one query)."""
        if customer.pk is None:
            return "—"
        states = consent.consent_state(customer)
        return format_html_join(
            " · ",
            "{}: {}{}",
            (
                (
                    ConsentPurpose(state.purpose).label,
                    _("granted") if state.granted else _("not granted"),
                    _(" (default)") if state.is_default else "",
                )
                for state in states.values()
            ),
        )

    def save_formset(
        self, request: HttpRequest, form: Any, formset: Any, change: bool
    ) -> None:
        if formset.model is ConsentEvent:
            formset.new_objects = [
                consent.record_consent(
                    form.instance,
                    purpose=event.purpose,
                    granted=event.granted,
                    source=consent.Source.STAFF,
                    staff_member=request.user,  # type: ignore[arg-type]
                )
                for event in formset.save(commit=False)
            ]
            return
        if formset.model is not Interaction:
            super().save_formset(request, form, formset, change)
            return
        # The rows saved, in place of the formset's unsaved copies: the change
        # message names them, and the page says what became of them.
        formset.new_objects = [
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
            for interaction in formset.save(commit=False)
        ]

    def save_model(
        self, request: HttpRequest, obj: Customer, form: Any, change: bool
    ) -> None:
        save_validated(obj)


@admin.register(Company)
class CompanyAdmin(StaffPickerAdmin, LargeTableAdmin):
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
    staff_autocomplete_fields = ["owner"]

    @admin.display(description=_("customers"))
    def customers_link(self, company: Company) -> str:
        url = reverse("admin:customers_customer_changelist")
        return format_html(
            '<a href="{}?company__id__exact={}">{}</a>', url, company.pk, _("View")
        )

    def save_model(
        self, request: HttpRequest, obj: Company, form: Any, change: bool
    ) -> None:
        save_validated(obj)


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
class InteractionAdmin(LogAccessAdmin, LargeTableAdmin):
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
    autocomplete_fields = ["customer", "touchpoint"]
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


@admin.register(ConsentEvent)
class ConsentEventAdmin(ViewOnlyAdmin):
    """Every consent event, read-only: the history is appended to from the
    customer page, the unsubscribe link, the API and imports."""

    list_display = [
        "created_at",
        "customer",
        "purpose",
        "granted",
        "source",
        "policy_version",
        "staff_member",
    ]
    list_select_related = ["customer", "staff_member"]
    list_filter = ["purpose", "granted", "source"]
    search_fields = ["customer__email"]
    search_help_text = _("The customer's email address.")
    ordering = ["-created_at", "-id"]
    sortable_by = ["created_at"]
    readonly_fields = [
        "customer",
        "purpose",
        "granted",
        "source",
        "policy_version",
        "ip_network",
        "user_agent",
        "staff_member",
        "created_at",
    ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[ConsentEvent], search_term: str
    ) -> tuple[QuerySet[ConsentEvent], bool]:
        if not search_term.strip():
            return queryset, False
        return queryset.filter(
            customer__in=Customer.objects.with_email(search_term)
        ), False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("customers.view_customer")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
