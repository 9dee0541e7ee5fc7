"""KPIs and pilots in the admin. Both save through the services; a change
to a locked field of a live pilot is refused with a form error and the
attempt stays in the pilot's audit trail (shown read-only below it)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pilots.models import Kpi, Pilot, PilotEvent
from pilots.services import definitions
from pilots.services import pilots as pilot_services


def today() -> Any:
    return timezone.localdate(timezone=timezone.get_default_timezone())


class KpiForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Kpi
        fields = [
            "name",
            "formula",
            "filters",
            "target",
            "direction",
            "owner",
            "review_cadence",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            cleaned = definitions.validate_kpi(
                cleaned,
                check_matches=self.instance.pk is None
                or bool({"formula", "filters"} & set(self.changed_data)),
            )
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


@admin.register(Kpi)
class KpiAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = KpiForm
    list_display = ["name", "formula", "target", "direction", "owner", "review_cadence"]
    list_filter = ["formula", "review_cadence"]
    search_fields = ["name"]
    list_select_related = ["owner"]

    def save_model(
        self, request: HttpRequest, obj: Kpi, form: Any, change: bool
    ) -> None:
        fields = {name: form.cleaned_data[name] for name in KpiForm.Meta.fields}
        if change:
            definitions.update_kpi(obj, by=request.user, today=today(), **fields)
            return
        fields["owner"] = fields.get("owner") or request.user
        kpi = definitions.create_kpi(**fields)
        obj.pk = kpi.pk
        obj._state.adding = False
        obj._state.db = kpi._state.db

    def delete_model(self, request: HttpRequest, obj: Kpi) -> None:
        definitions.delete_kpi(obj)


class PilotEventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PilotEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "actor", "fields", "message"]
    readonly_fields = ["created_at", "action", "actor", "fields", "message"]
    ordering = ["created_at", "id"]
    verbose_name_plural = _("audit trail")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PilotForm(forms.ModelForm):  # type: ignore[type-arg]
    user: Any = None

    class Meta:
        model = Pilot
        # The design is every field locked at go-live.
        fields = ["name", *Pilot.LOCKED_FIELDS, "decision"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        pilot = self.instance
        day = today()
        if pilot.pk is not None and pilot.is_locked(day):
            locked = [name for name in self.changed_data if name in Pilot.LOCKED_FIELDS]
            if locked:
                # Recorded now: the admin's transaction commits a form error.
                error = pilot_services.refuse_locked_edit(
                    pilot, by=self.user, fields=locked
                )
                self.add_error(None, error)
                return cleaned
        if self.errors:
            return cleaned
        try:
            pilot_services.validate_design(
                {
                    **cleaned,
                    "guardrail_kpis": list(cleaned.get("guardrail_kpis") or []),
                },
                today=day,
                creating=pilot.pk is None or "planned_end" in self.changed_data,
                pilot_id=pilot.pk,
            )
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


@admin.register(Pilot)
class PilotAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = PilotForm
    list_display = ["name", "primary_kpi", "unit", "go_live", "planned_end", "analysis"]
    list_filter = ["unit", "analysis", "variant_setting"]
    search_fields = ["name"]
    list_select_related = ["primary_kpi"]
    filter_horizontal = ["guardrail_kpis"]
    inlines = [PilotEventInline]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user  # type: ignore[attr-defined]
        return form

    def save_model(
        self, request: HttpRequest, obj: Pilot, form: Any, change: bool
    ) -> None:
        fields = {
            name: form.cleaned_data[name]
            for name in PilotForm.Meta.fields
            if name in form.cleaned_data
        }
        guardrails = list(fields.pop("guardrail_kpis", []))
        if change:
            changes = {
                name: fields[name] for name in form.changed_data if name in fields
            }
            if "guardrail_kpis" in form.changed_data:
                changes["guardrail_kpis"] = guardrails
            pilot_services.update_pilot(obj, by=request.user, today=today(), **changes)
            return
        pilot = pilot_services.create_pilot(
            by=request.user, today=today(), guardrail_kpis=guardrails, **fields
        )
        # The admin goes on with its own instance (its relations, its
        # messages): make it the row the service wrote.
        obj.pk = pilot.pk
        obj._state.adding = False
        obj._state.db = pilot._state.db

    def save_related(
        self, request: HttpRequest, form: Any, formsets: Any, change: bool
    ) -> None:
        # The services set the guardrails; the inline is read only.
        return None
