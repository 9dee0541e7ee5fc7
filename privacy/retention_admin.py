"""The retention rules in the admin: staff see them, managers (those who
may change cases, feedback.permissions.is_manager) edit the age, the action
and whether a rule is on; the rows themselves come from the migration, one
per category, and are never added or deleted here. The dry run shows what
each rule would touch now and writes nothing."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback.permissions import is_manager
from privacy.models import ALLOWED_ACTIONS, RetentionRule
from privacy.services import retention


class RetentionRuleForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = RetentionRule
        fields = ["age_days", "action", "is_enabled"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the actions that make sense for this category.
        allowed = ALLOWED_ACTIONS.get(self.instance.category, [])
        if "action" in self.fields:
            self.fields["action"].choices = [  # type: ignore[attr-defined]
                (value, label)
                for value, label in RetentionRule.Action.choices
                if value in allowed
            ]


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = RetentionRuleForm
    list_display = [
        "category",
        "age_days",
        "anchor",
        "action",
        "is_enabled",
        "updated_by",
        "updated_at",
    ]
    list_select_related = ["updated_by"]
    fields = [
        "category",
        "anchor",
        "age_days",
        "action",
        "is_enabled",
        "updated_by",
        "updated_at",
    ]
    readonly_fields = ["category", "anchor", "updated_by", "updated_at"]
    show_facets = admin.ShowFacets.NEVER

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: RetentionRule | None = None
    ) -> bool:
        return False

    def has_view_permission(
        self, request: HttpRequest, obj: RetentionRule | None = None
    ) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff)

    def has_change_permission(
        self, request: HttpRequest, obj: RetentionRule | None = None
    ) -> bool:
        return is_manager(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def save_model(
        self, request: HttpRequest, obj: RetentionRule, form: Any, change: bool
    ) -> None:
        if not is_manager(request.user):
            raise PermissionDenied
        obj.updated_by = request.user  # type: ignore[assignment]
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "dry-run/",
                self.admin_site.admin_view(self.dry_run_view),
                name="privacy_retentionrule_dry_run",
            )
        ]
        return own + super().get_urls()

    def dry_run_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        outcomes = {
            outcome.category: outcome
            for outcome in retention.dry_run(now=timezone.now())
        }
        rows = [
            (rule, outcomes.get(rule.category)) for rule in retention.ordered_rules()
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Retention: dry run"),
            "opts": self.opts,
            "rows": rows,
        }
        return TemplateResponse(
            request, "admin/privacy/retentionrule/dry_run.html", context
        )
