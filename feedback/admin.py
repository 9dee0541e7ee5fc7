from typing import Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timeuntil
from django.utils.translation import gettext_lazy as _

from customers.admin import HistoryInline, ViewOnlyAdmin
from feedback.models import Case, CaseEvent, CaseQuerySet, RootCause


class MyOpenCasesFilter(admin.SimpleListFilter):
    title = _("mine")
    parameter_name = "mine"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("open", str(_("My open cases")))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "open":
            mine = cast(CaseQuerySet, queryset).filter(owner_id=request.user.pk)
            return mine.unresolved()
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("1", str(_("Overdue")))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "1":
            return cast(CaseQuerySet, queryset).overdue(timezone.now())
        return queryset


def describe_time_left(case: Case, *, now: Any) -> str:
    if case.status == Case.Status.CLOSED or case.due_at is None:
        return "—"
    if case.due_at < now:
        overdue = timeuntil(now, case.due_at)
        return format_html(
            '<strong style="color:#ba2121">{}</strong>', _("%s overdue") % overdue
        )
    return str(_("%s left") % timeuntil(case.due_at, now))


class CaseEventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CaseEvent
    fields = readonly_fields = (
        "created_at",
        "kind",
        "actor",
        "note",
    )
    ordering = ["created_at"]
    extra = 0
    can_delete = False
    verbose_name_plural = _("timeline")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseEvent]:
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CaseInline(HistoryInline):
    """The customer's latest cases, on the customer page."""

    model = Case
    fk_name = "customer"
    fields = readonly_fields = (
        "created_at",
        "reason",
        "priority",
        "status",
        "owner",
        "due_at",
    )
    ordering = ["-created_at"]
    verbose_name_plural = _("latest cases")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        # The customer too: each row's title names it.
        return super().get_queryset(request).select_related("owner", "customer")


@admin.register(Case)
class CaseAdmin(ViewOnlyAdmin):
    """Cases are opened, contacted and closed by the case services (with their
    timeline events), so the admin shows them and changes nothing by hand."""

    list_display = [
        "id",
        "customer",
        "reason",
        "priority",
        "status",
        "owner",
        "due_at",
        "time_left",
        "escalation_level",
    ]
    list_display_links = ["id", "customer"]
    list_select_related = ["customer", "owner"]
    list_filter = [MyOpenCasesFilter, OverdueFilter, "status", "reason", "priority"]
    search_fields = ["=customer__email"]
    ordering = ["due_at"]
    sortable_by = ["due_at", "id"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "customer",
                    "response",
                    "reason",
                    "priority",
                    "owner",
                    "due_at",
                ]
            },
        ),
        (_("Status"), {"fields": ["status", "first_contact_at", "escalation_level"]}),
        (_("Closing the loop"), {"fields": ["root_cause", "resolution", "closed_at"]}),
        (_("Recovery"), {"fields": ["recovery_invitation", "outcome"]}),
    ]
    inlines = [CaseEventInline]

    @admin.display(description=_("time left"), ordering="due_at")
    def time_left(self, case: Case) -> str:
        return describe_time_left(case, now=timezone.now())


@admin.register(RootCause)
class RootCauseAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["name"]
