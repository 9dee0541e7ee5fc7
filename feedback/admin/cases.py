"""The case desk: the case page with its quick actions, the list of cases, the
manual case form, and the customer page's latest cases.

Every change to a case goes through the case services (feedback/services/
cases.py), which check who may make it and write the timeline; the admin
only shows forms and reports what the services said.
"""

import copy
import re
from datetime import datetime
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers, widgets
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.timesince import timeuntil
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from customers.models import Customer, Interaction
from customers.search import MAX_SEARCH_WORDS, customer_matches
from feedback import permissions
from feedback.forms import (
    QUICK_ACTIONS,
    OpenCaseForm,
    ReassignForm,
    StaffChoiceField,
    active_staff,
    add_service_error,
    error_text,
    quick_actions_for,
    staff_name,
)
from feedback.models import Case, CaseEvent, CaseQuerySet
from feedback.services import cases
from lib.access_log import LogAccessAdmin
from lib.admin import (
    HistoryInline,
    StaffAutocompleteSelect,
    StaffAutocompleteView,
    StaffPickerAdmin,
    ViewOnlyAdmin,
)
from surveys.models import SurveyResponse, band_for
from text import reading
from text.models import CommentAnalysis, comment_digest

Status = Case.Status
# The case page shows this many of the customer's latest interactions and
# answers; the changelists filtered by customer have the rest.
RECENT_ROWS = 10
# A bulk reassignment locks every chosen case in one transaction.
MAX_BULK_REASSIGN = 1000


def only_ids(value: Any) -> list[Any]:
    """Django's autocomplete looks the chosen value up as given, and a value
    that is no id (typed into the URL or the POST) makes the page a 500."""
    return [item for item in value if str(item).isdecimal() and len(str(item)) < 19]


class CustomerAutocomplete(widgets.AutocompleteSelect):
    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        return super().optgroups(name, only_ids(value), attr)


class OwnerPicker(StaffAutocompleteSelect):
    """The searchable picker of a case's owner (CaseAdmin's staff
    autocomplete), as wide as its box: the quick action's panel is folded
    when select2 measures it. `placeholder` says what no choice means."""

    def __init__(self, admin_site: Any, *, placeholder: str | Promise = "") -> None:
        super().__init__(
            Case._meta.get_field("owner"), admin_site, attrs={"data-width": "100%"}
        )
        self.placeholder = placeholder

    def build_attrs(self, base_attrs: Any, extra_attrs: Any = None) -> Any:
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs["data-placeholder"] = str(self.placeholder)
        return attrs

    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        return super().optgroups(name, only_ids(value), attr)


class CaseOwnerAutocompleteView(StaffAutocompleteView):
    """The owner picker offers those who may own a case, not every staff
    member: the form would refuse the others."""

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().filter(id__in=active_staff().values("id"))


def use_owner_picker(form: forms.Form, admin_site: Any) -> None:
    """The form's `owner` drop-down becomes the searchable picker."""
    field = cast(forms.ModelChoiceField, form.fields["owner"])  # type: ignore[type-arg]
    picker = OwnerPicker(admin_site)
    picker.choices = field.choices
    picker.is_required = field.required
    field.widget = picker


# Cases needing a first contact first, overdue ones at the top, then contacted
# ones, closed ones last; each by deadline. "open" > "contacted" > "closed" as
# text, and an index in this order (case_attention_idx) serves any page of it.
URGENCY_ORDER = ["-status", "due_at", "id"]


def describe_time_left(case: Case, *, now: datetime) -> str:
    """Time to the first-contact deadline; a contact stops the clock."""
    if case.status != Status.OPEN or case.due_at is None:
        return "—"
    if case.due_at < now:
        overdue = timeuntil(now, case.due_at)
        return format_html(
            '<strong class="case-overdue">{}</strong>',
            _("%(time)s overdue") % {"time": overdue},
        )
    return str(_("%(time)s left") % {"time": timeuntil(case.due_at, now)})


def opening_score(case: Case) -> int | None:
    """The score that opened the case, as its opening event keeps it; None
    for a case opened by hand."""
    data = (
        case.events.filter(kind=CaseEvent.Kind.OPENED)
        .order_by("id")
        .values_list("data", flat=True)
        .first()
    )
    score = data.get("score") if isinstance(data, dict) else None
    return score if isinstance(score, int) else None


def describe_score_change(case: Case, response: SurveyResponse) -> str:
    """The score that opened the case next to the answer's score now, when
    the customer has changed it since: the reason and the conversation were
    about the first."""
    opened = opening_score(case)
    if opened is None or opened == response.score:
        return ""
    opened_band = band_for(response.kind, opened)
    text = _("Opened at %(opened)s, now %(now)s.") % {
        "opened": f"{opened} ({opened_band.label})",
        "now": f"{response.score} ({response.get_band_display()})",
    }
    return format_html('<div class="case-score-change"><strong>{}</strong></div>', text)


CASE_NUMBER = re.compile(r"#?\d{1,18}")

# Filters


class MyOpenCasesFilter(admin.SimpleListFilter):
    title = _("my cases")
    parameter_name = "mine"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("open", str(_("My open cases"))), ("all", str(_("All my cases")))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "open":
            mine = queryset.filter(owner_id=request.user.pk)
            return cast(CaseQuerySet, mine).unresolved()
        if self.value() == "all":
            return queryset.filter(owner_id=request.user.pk)
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


class StatusFilter(admin.SimpleListFilter):
    """The statuses, and "not closed" (open or contacted) for the work to do."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("unresolved", str(_("Not closed"))),
            *((value, str(label)) for value, label in Status.choices),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "unresolved":
            return cast(CaseQuerySet, queryset).unresolved()
        if value in Status.values:
            return queryset.filter(status=value)
        return queryset


class CaseEventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CaseEvent
    fields = readonly_fields = ("created_at", "kind", "who", "what")
    ordering = ["created_at", "id"]
    extra = 0
    can_delete = False
    verbose_name_plural = _("timeline")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseEvent]:
        return super().get_queryset(request).select_related("actor")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The timeline is part of the case: whoever sees the case sees it.
        return permissions.may_view(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("by"))
    def who(self, event: CaseEvent) -> str:
        return str(_("system")) if event.actor is None else staff_name(event.actor)

    @admin.display(description=_("note"))
    def what(self, event: CaseEvent) -> str:
        """The note; for an assignment, to whom and by which rule."""
        if event.kind != CaseEvent.Kind.ASSIGNED:
            return event.note
        to = self.assignees(event.case_id).get(event.data.get("to"))
        rule = event.data.get("rule", "")
        if rule in Case.AssignmentRule.values:
            rule = str(Case.AssignmentRule(rule).label)
        said = _("To %(owner)s (%(rule)s).") % {
            "owner": staff_name(to) if to else _("nobody"),
            "rule": rule or _("no rule"),
        }
        return f"{said} {event.note}".strip()

    def assignees(self, case_id: int) -> dict[int, User]:
        """The users the case was ever assigned to, in one query per page
        (the inline is made anew for each request)."""
        if not hasattr(self, "_assignees"):
            ids = [
                data.get("to")
                for data in CaseEvent.objects.filter(
                    case_id=case_id, kind=CaseEvent.Kind.ASSIGNED
                ).values_list("data", flat=True)
                if isinstance(data, dict)
            ]
            self._assignees = User.objects.in_bulk([i for i in ids if i])
        return self._assignees


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


# Everything the case page shows, in the query that reads the case.
CASE_PAGE_RELATIONS = [
    "customer",
    "owner",
    "root_cause",
    "response__survey",
    "interaction__touchpoint",
    "recovery_invitation__survey",
    "recovery_invitation__response",
]


@admin.register(Case)
class CaseAdmin(LogAccessAdmin, StaffPickerAdmin, ViewOnlyAdmin):
    """Cases change through the case services only: the case page is read-only
    and offers the quick actions its user may take, each a small form posted
    to a URL of its own; the add page opens a case by hand."""

    list_display = [
        "id",
        "customer",
        "reason",
        "priority",
        "status",
        "owner",
        "due",
        "time_left",
        "escalations",
    ]
    list_display_links = ["id", "customer"]
    list_select_related = ["customer", "owner"]
    ordering = URGENCY_ORDER
    list_per_page = 50
    list_filter = [
        MyOpenCasesFilter,
        OverdueFilter,
        StatusFilter,
        "reason",
        "priority",
        "owner",
    ]
    # Searched by get_search_results; Django shows the box when this is set.
    search_fields = ["customer__name"]
    search_help_text = _(
        "A case number (42 or #42), or the customer's name, email or company."
    )
    sortable_by = ["due", "id"]
    autocomplete_fields = ["customer"]
    staff_autocomplete_fields = ["owner"]
    raw_id_fields = ["interaction", "response"]
    readonly_fields = [
        "owner_name",
        "time_left",
        "answer",
        "interaction_summary",
        "recovery_survey",
        "recovery_answer",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "customer",
                    ("reason", "priority"),
                    ("status", "owner_name"),
                    ("due_at", "time_left"),
                    ("first_contact_at", "contact_channel"),
                    ("created_at", "escalation_level"),
                ]
            },
        ),
        (_("What led to it"), {"fields": ["answer", "interaction_summary"]}),
        (_("Closing the loop"), {"fields": ["root_cause", "resolution", "closed_at"]}),
        (
            _("Recovery"),
            {"fields": ["recovery_survey", "recovery_answer", "outcome"]},
        ),
    ]
    add_fieldsets = [
        (
            None,
            {
                "fields": [
                    "customer",
                    "interaction",
                    "response",
                    "priority",
                    "owner",
                    "note",
                ]
            },
        ),
    ]
    inlines = [CaseEventInline]
    actions = ["reassign"]

    # Who may do what: the case services decide; these only choose what to show.

    def has_add_permission(self, request: HttpRequest) -> bool:
        return permissions.may_open(request.user)

    def has_reassign_permission(self, request: HttpRequest) -> bool:
        # Owners reassign their own cases, managers any: the service checks
        # each chosen case.
        return permissions.may_view(request.user)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.add_fieldsets if obj is None else self.fieldsets

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "owner":
            usual_rule = _("The usual rule (customer's owner, company's owner…)")
            return StaffChoiceField(
                label=capfirst(db_field.verbose_name),
                queryset=active_staff(),
                required=False,
                widget=OwnerPicker(self.admin_site, placeholder=usual_rule),
                empty_label=usual_rule,
                help_text=_("Type a name; leave empty for the usual rule."),
            )
        if db_field.name == "customer":
            kwargs["widget"] = CustomerAutocomplete(db_field, self.admin_site)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Case | None:
        queryset = self.get_queryset(request).select_related(*CASE_PAGE_RELATIONS)
        try:
            case: Case = queryset.get(pk=int(object_id))
        except (Case.DoesNotExist, ValueError, OverflowError):
            return None
        return case

    def get_urls(self) -> list[URLPattern]:
        # Ahead of StaffPickerAdmin's view of the same path and name: the
        # first match answers.
        owners = CaseOwnerAutocompleteView.as_view(
            admin_site=self.admin_site, source_admin=self
        )
        own = [
            path(
                "staff-autocomplete/",
                self.admin_site.admin_view(owners),
                name="feedback_case_staff_autocomplete",
            ),
        ] + [
            path(
                f"<int:case_id>/{name}/",
                self.admin_site.admin_view(self.quick_action_view),
                {"action": name},
                name=f"feedback_case_{name}",
            )
            for name in QUICK_ACTIONS
        ]
        return own + super().get_urls()

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Case], search_term: str
    ) -> tuple[QuerySet[Case], bool]:
        """A number finds that case; words find the customers' cases, each
        word matching as on the customer list (through its indexes)."""
        term = search_term.strip()
        if CASE_NUMBER.fullmatch(term):
            return queryset.filter(pk=int(term.lstrip("#"))), False
        for word in term.split()[:MAX_SEARCH_WORDS]:
            customers = Customer.objects.filter(customer_matches(word))
            queryset = queryset.filter(customer__in=customers.values("pk"))
        return queryset, False

    # The list

    @admin.display(description=_("first contact due"), ordering="due_at")
    def due(self, case: Case) -> str:
        if case.due_at is None:
            return "—"
        return date_format(timezone.localtime(case.due_at), "SHORT_DATETIME_FORMAT")

    @admin.display(description=_("time left"))
    def time_left(self, case: Case) -> str:
        return describe_time_left(case, now=timezone.now())

    # The field's own label, "escalation level", is the widest header of a
    # list that must fit a 1366-pixel screen.
    @admin.display(description=_("Escalations"), ordering="escalation_level")
    def escalations(self, case: Case) -> int:
        return case.escalation_level

    @admin.action(description=_("Reassign…"), permissions=["reassign"])
    def reassign(
        self, request: HttpRequest, queryset: QuerySet[Case]
    ) -> TemplateResponse | None:
        form = ReassignForm(request.POST if "apply" in request.POST else None)
        use_owner_picker(form, self.admin_site)
        if not form.is_valid():
            return self.action_form_page(
                request,
                queryset,
                action="reassign",
                form=form,
                title=_("Reassign cases"),
                template="admin/feedback/case/reassign.html",
            )
        ids = self.chosen_ids(
            request,
            queryset,
            limit=MAX_BULK_REASSIGN,
            too_many=_("Choose at most %(max)d cases at once."),
        )
        if ids is None:
            return None
        owner = form.cleaned_data["owner"]
        try:
            changed = cases.assign_cases(ids, owner=owner, by=request.user)
        except (PermissionDenied, ValidationError) as error:
            self.message_user(request, message_of(error), messages.ERROR)
            return None
        self.message_user(
            request,
            ngettext(
                "%(count)d case was reassigned to %(owner)s.",
                "%(count)d cases were reassigned to %(owner)s.",
                changed,
            )
            % {"count": changed, "owner": staff_name(owner)},
        )
        return None

    # The case page

    @admin.display(description=_("owner"))
    def owner_name(self, case: Case) -> str:
        return staff_name(case.owner)

    @admin.display(description=_("the answer"))
    def answer(self, case: Case) -> str:
        response = case.response
        if response is None:
            return str(_("None: the case was opened by hand."))
        if not response.comment:
            quote = format_html('<div class="case-quote">{}</div>', _("No comment."))
        else:
            # The words behind the comment's sentiment and themes, marked.
            analysis = CommentAnalysis.objects.filter(
                response=response, comment_digest=comment_digest(response.comment)
            ).first()
            quote = format_html(
                '<div class="case-quote">{}</div><div class="case-reading">{}</div>',
                reading.marked_comment(response.comment, analysis),
                reading.summary(analysis),
            )
        return format_html(
            '<a href="{}">{}: {} ({})</a>{}{}',
            reverse("admin:surveys_surveyresponse_change", args=[response.pk]),
            response.survey.name,
            response.score,
            response.get_band_display(),
            describe_score_change(case, response),
            quote,
        )

    @admin.display(description=_("interaction"))
    def interaction_summary(self, case: Case) -> str:
        interaction = case.interaction
        if interaction is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · {} · {} · {}',
            reverse("admin:customers_interaction_change", args=[interaction.pk]),
            interaction,
            interaction.get_channel_display(),
            interaction.touchpoint.name if interaction.touchpoint else "—",
            date_format(timezone.localtime(interaction.occurred_at), "DATETIME_FORMAT"),
        )

    @admin.display(description=_("recovery survey"))
    def recovery_survey(self, case: Case) -> str:
        invitation = case.recovery_invitation
        if invitation is None:
            return "—"
        due = invitation.sent_at or invitation.scheduled_for
        return format_html(
            '<a href="{}">{}</a> · {} · {}',
            reverse("admin:surveys_invitation_change", args=[invitation.pk]),
            invitation.survey.name,
            invitation.get_status_display(),
            date_format(timezone.localtime(due), "DATETIME_FORMAT") if due else "—",
        )

    @admin.display(description=_("recovery answer"))
    def recovery_answer(self, case: Case) -> str:
        invitation = case.recovery_invitation
        response = getattr(invitation, "response", None) if invitation else None
        if response is None:
            return "—" if invitation is None else str(_("Not answered yet."))
        return format_html(
            '{}: {} ({})<div class="case-quote">{}</div>',
            invitation.survey.name if invitation else "",
            response.score,
            response.get_band_display(),
            response.comment or _("No comment."),
        )

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None:
            context.update(self.case_page_context(request, obj, context))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def case_page_context(
        self, request: HttpRequest, case: Case, context: dict[str, Any]
    ) -> dict[str, Any]:
        failed_name, failed_form = context.get("failed_action", (None, None))
        panels = []
        media = context["media"]
        for action in quick_actions_for(request.user, case):
            form = (
                failed_form
                if action.name == failed_name
                else action.form_class(prefix=action.name)
            )
            if "owner" in form.fields:
                use_owner_picker(form, self.admin_site)
            media += form.media
            panels.append(
                {
                    "action": action,
                    "form": form,
                    "url": reverse(
                        f"admin:feedback_case_{action.name}", args=[case.pk]
                    ),
                    "is_open": action.is_main or action.name == failed_name,
                }
            )
        customer = case.customer_id
        return {
            "media": media,
            "quick_actions": panels,
            "offers_resurvey": case.response_id is not None,
            "recent_interactions": list(
                Interaction.objects.filter(customer_id=customer)
                .select_related("touchpoint", "logged_by")
                .order_by("-occurred_at", "-id")[:RECENT_ROWS]
            ),
            "recent_responses": list(
                SurveyResponse.objects.filter(customer_id=customer)
                .select_related("survey")
                .order_by("-answered_at", "-id")[:RECENT_ROWS]
            ),
            "interactions_url": reverse("admin:customers_interaction_changelist")
            + f"?customer__id__exact={customer}",
            "responses_url": reverse("admin:surveys_surveyresponse_changelist")
            + f"?customer__id__exact={customer}",
        }

    def quick_action_view(
        self, request: HttpRequest, case_id: int, action: str
    ) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        case = self.get_object(request, str(case_id))
        if case is None:
            raise Http404
        if not self.has_view_permission(request, case):
            raise PermissionDenied
        quick_action = QUICK_ACTIONS[action]
        case_url = reverse("admin:feedback_case_change", args=[case.pk])
        form = quick_action.form_class(request.POST, prefix=action)
        if form.is_valid():
            try:
                quick_action.perform(case, request.user, form.cleaned_data)
            except PermissionDenied as error:
                self.message_user(request, message_of(error), messages.ERROR)
                return HttpResponseRedirect(case_url)
            except ValidationError as error:
                add_service_error(form, error)
            else:
                self.message_user(request, str(quick_action.done), messages.SUCCESS)
                return HttpResponseRedirect(case_url)
        if quick_action not in quick_actions_for(request.user, case):
            # The form is not on the page (the case moved on, or is not the
            # user's to work on): the errors go in a message instead.
            message = (
                error_text(form)
                if permissions.may_work_on(request.user, case)
                else _("Only the case's owner or a manager may work on this case.")
            )
            self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(case_url)
        # The case page again, as a GET would show it, with this form's errors.
        page_request = copy.copy(request)
        page_request.method = "GET"
        return self.change_view(
            page_request, str(case.pk), extra_context={"failed_action": (action, form)}
        )

    # The add page: a case opened by hand

    def add_view(
        self,
        request: HttpRequest,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form_class = self.get_form(request, None, change=False, form=OpenCaseForm)
        if request.method == "POST":
            form = form_class(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    case = cases.open_case(
                        customer=data["customer"],
                        by=request.user,
                        response=data["response"],
                        interaction=data["interaction"],
                        priority=data["priority"],
                        owner=data["owner"],
                        note=data["note"],
                    )
                except PermissionDenied as error:
                    self.message_user(request, message_of(error), messages.ERROR)
                    return HttpResponseRedirect(
                        reverse("admin:feedback_case_changelist")
                    )
                except ValidationError as error:
                    add_service_error(form, error)
                else:
                    self.log_addition(request, case, [{"added": {}}])
                    self.message_user(
                        request,
                        _("Case #%(id)d was opened for %(customer)s.")
                        % {"id": case.pk, "customer": case.customer},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:feedback_case_change", args=[case.pk])
                    )
        else:
            form = form_class(initial=self.get_changeform_initial_data(request))
        admin_form = helpers.AdminForm(
            form,
            list(self.get_fieldsets(request)),
            {},
            [],
            model_admin=self,
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Open a case"),
            "subtitle": None,
            "adminform": admin_form,
            "object_id": None,
            "original": None,
            "is_popup": False,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            "show_save_and_add_another": False,
            "show_save_and_continue": False,
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=True, form_url=form_url)


def message_of(error: PermissionDenied | ValidationError) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or str(_("You may not do this."))
