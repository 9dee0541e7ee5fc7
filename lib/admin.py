"""The admin's base classes for tables that grow to millions of rows and hold
history, and the staff member picker, shared by every app's admin."""

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

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
        # As the admin's own forms: "Survey:", not the model's "survey:".
        for field in form.fields.values():
            field.label = capfirst(field.label)
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


class StaffAutocompleteSelect(AutocompleteSelect):
    """Django's searchable picker (select2) for a foreign key to a staff
    member, asking the page's own admin (StaffPickerAdmin) for matches."""

    def get_url(self) -> str:
        opts = self.field.model._meta
        return reverse(
            f"{self.admin_site.name}:"
            f"{opts.app_label}_{opts.model_name}_staff_autocomplete"
        )


class StaffAutocompleteView(AutocompleteJsonView):
    """Django's autocomplete (the User admin's search), for the staff fields
    of one admin and whoever may view its rows: their plain drop-down listed
    every staff member to them anyway. Django's own view asks for the
    permission to view users, which no role has."""

    source_admin: Any = None
    source_field: Any  # set by AutocompleteJsonView.get()

    def has_perm(self, request: HttpRequest, obj: Any = None) -> bool:
        field = self.source_field
        return bool(
            field.model is self.source_admin.model
            and field.name in self.source_admin.staff_autocomplete_fields
            and self.source_admin.has_view_permission(request)
        )

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().filter(is_staff=True)


class StaffPickerAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Searchable pickers for the foreign keys to staff members named in
    `staff_autocomplete_fields`, as `autocomplete_fields` gives for others."""

    staff_autocomplete_fields: Sequence[str] = ()

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name in self.staff_autocomplete_fields:
            kwargs["widget"] = StaffAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_urls(self) -> list[URLPattern]:
        opts = self.model._meta
        view = StaffAutocompleteView.as_view(
            admin_site=self.admin_site, source_admin=self
        )
        return [
            path(
                "staff-autocomplete/",
                self.admin_site.admin_view(view),
                name=f"{opts.app_label}_{opts.model_name}_staff_autocomplete",
            ),
            *super().get_urls(),
        ]
