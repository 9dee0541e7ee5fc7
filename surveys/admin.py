from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import truncatechars
from django.utils.translation import gettext_lazy as _

from customers.admin import HistoryInline, ViewOnlyAdmin
from customers.models import Channel
from surveys.models import Invitation, Survey, SurveyResponse


class InvitationInline(HistoryInline):
    model = Invitation
    fields = readonly_fields = (
        "survey",
        "status",
        "suppressed_reason",
        "scheduled_for",
        "sent_at",
        "reminders_sent",
        "answered_at",
    )
    ordering = ["-created_at"]
    verbose_name_plural = _("latest survey invitations")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invitation]:
        # The customer too: each row's title names it.
        return super().get_queryset(request).select_related("survey", "customer")


class SurveyResponseInline(HistoryInline):
    model = SurveyResponse
    fields = readonly_fields = (
        "answered_at",
        "survey",
        "score",
        "band",
        "comment",
        "touchpoint",
    )
    ordering = ["-answered_at"]
    verbose_name_plural = _("latest survey responses")

    def get_queryset(self, request: HttpRequest) -> QuerySet[SurveyResponse]:
        return (
            super()
            .get_queryset(request)
            .select_related("survey", "touchpoint", "customer")
        )


class SurveyForm(forms.ModelForm):  # type: ignore[type-arg]
    channels = forms.TypedMultipleChoiceField(
        label=_("channels"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every channel."),
    )

    class Meta:
        model = Survey
        fields = "__all__"  # noqa: DJ007 (the admin's fieldsets choose the fields)


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Surveys are deactivated, not deleted: their invitations and answers stay."""

    form = SurveyForm
    list_display = ["name", "kind", "trigger", "delay_minutes", "is_active"]
    list_filter = ["kind", "trigger", "is_active"]
    search_fields = ["name"]
    filter_horizontal = ["touchpoints"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    fieldsets = [
        (None, {"fields": ["name", "kind", "is_active"]}),
        (
            _("Question"),
            {
                "fields": ["question_en", "question_zh_hans"],
                "description": _(
                    "Leave blank to use the standard question of the kind."
                ),
            },
        ),
        (
            _("When to ask"),
            {
                "fields": [
                    "trigger",
                    "channels",
                    "touchpoints",
                    "delay_minutes",
                    "recurrence_days",
                    "throttle_days",
                ]
            },
        ),
        (
            _("Reminders and deadlines"),
            {
                "fields": [
                    "reminder_delay_days",
                    "max_reminders",
                    "expires_after_days",
                    "edit_window_hours",
                ]
            },
        ),
    ]


@admin.register(Invitation)
class InvitationAdmin(ViewOnlyAdmin):
    list_display = [
        "created_at",
        "customer",
        "survey",
        "status",
        "suppressed_reason",
        "scheduled_for",
        "sent_at",
        "answered_at",
    ]
    list_select_related = ["customer", "survey"]
    list_filter = ["status", "suppressed_reason", "survey"]
    search_fields = ["=customer__email"]
    ordering = ["-id"]
    sortable_by = ["created_at"]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ViewOnlyAdmin):
    list_display = [
        "answered_at",
        "customer",
        "survey",
        "score",
        "band",
        "short_comment",
        "channel",
        "touchpoint",
        "staff",
    ]
    list_select_related = ["customer", "survey", "touchpoint", "staff"]
    list_filter = ["kind", "band", "channel", "survey"]
    search_fields = ["=customer__email"]
    ordering = ["-answered_at"]
    sortable_by = ["answered_at", "score"]

    @admin.display(description=_("comment"))
    def short_comment(self, response: SurveyResponse) -> str:
        return truncatechars(response.comment, 80)
