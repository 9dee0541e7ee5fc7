"""The settings of the case workflow, kept by managers: the root causes a
case closes with, the holidays the deadline clock skips, and each staff
member's mail language and weekly digest."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from feedback.forms import active_staff
from feedback.models import Holiday, RootCause, StaffPreference
from lib.admin import StaffPickerAdmin


@admin.register(RootCause)
class RootCauseAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["name"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Days the business-hours deadline clock skips; managers keep the list."""

    list_display = ["date", "name"]
    ordering = ["-date"]
    search_fields = ["name"]
    date_hierarchy = "date"


@admin.register(StaffPreference)
class StaffPreferenceAdmin(StaffPickerAdmin):
    """The language of each staff member's mail, and whether a manager
    receives the weekly digest."""

    list_display = ["user", "language", "receives_weekly_digest"]
    list_select_related = ["user"]
    list_filter = ["language", "receives_weekly_digest"]
    search_fields = ["user__username", "user__email"]
    ordering = ["user__username"]
    staff_autocomplete_fields = ["user"]

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "user":
            kwargs["queryset"] = active_staff()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
