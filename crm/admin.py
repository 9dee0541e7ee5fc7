"""The customer page, put together here because it shows every app's view of
the customer and only the wiring may import all three apps; and the "Open a
case" links on the customer, interaction and answer pages, for the same
reason."""

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from customers.admin import CustomerAdmin, InteractionAdmin
from customers.models import Customer, Interaction
from feedback import permissions
from feedback.admin.cases import CaseInline
from privacy import access_log
from surveys.admin import (
    InvitationInline,
    SurveyResponseAdmin,
    SurveyResponseInline,
    invitations_url,
)
from surveys.models import Invitation, Survey, SurveyResponse
from surveys.services import decisions, scheduling

# A manual send names its customers in the task message; more belongs in a
# filter of the API, not a selection of rows.
MAX_MANUAL_SEND = 100_000
# Up to this many customers the action plans their invitations in the request
# and says what it decided, with links to them (a few queries per customer);
# more are planned by a task.
MAX_PLANNED_IN_REQUEST = 500
# What the customer page's save did beyond the customer: the interactions it
# logged and whether the customer's own fields changed (save_related tells
# response_change, within one request).
LOGGED = "touchloop_logged_interactions"
# Set while Django's own "The customer … was changed successfully." would
# be untrue: only an interaction was logged, and its message says so.
QUIET = "touchloop_quiet"


class SendSurveyForm(forms.Form):
    survey = forms.ModelChoiceField(
        label=_("survey"),
        queryset=Survey.objects.filter(is_active=True).order_by("name"),
    )


class OpenCaseLink:
    """A link on a page to open a case by hand from it (feedback's add form,
    prefilled), for the staff who may; an answer with its case links to it."""

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)  # type: ignore[misc]
        if obj is None or not permissions.may_open(request.user):
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [*options["fields"], "open_case"]}), *rest]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_readonly_fields(request, obj)  # type: ignore[misc]
        return fields if obj is None else [*fields, "open_case"]

    def case_prefill(self, obj: Any) -> dict[str, int]:
        raise NotImplementedError

    @admin.display(description=_("case"))
    def open_case(self, obj: Any) -> str:
        existing = (
            getattr(obj, "case", None) if isinstance(obj, SurveyResponse) else None
        )
        if existing is not None:
            return format_html(
                '<a href="{}">{}</a>',
                reverse("admin:feedback_case_change", args=[existing.pk]),
                _("Case #%(number)s") % {"number": existing.pk},
            )
        return format_html(
            '<a href="{}?{}">{}</a>',
            reverse("admin:feedback_case_add"),
            urlencode({k: v for k, v in self.case_prefill(obj).items() if v}),
            _("Open a case"),
        )


class WhoAccessed:
    """Managers see on the customer's page who read it, their answers and
    their cases (privacy.access_log): when, who and how."""

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)  # type: ignore[misc]
        if obj is None or not permissions.is_manager(request.user):
            return fieldsets
        panel = {"classes": ["collapse"], "fields": ["accessed_by"]}
        return [*fieldsets, (_("Who accessed this customer"), panel)]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_readonly_fields(request, obj)  # type: ignore[misc]
        return fields if obj is None else [*fields, "accessed_by"]

    @admin.display(description=_("latest reads"))
    def accessed_by(self, customer: Customer) -> SafeString:
        return access_log.access_panel(customer)


@admin.register(Customer)
class CustomerPageAdmin(OpenCaseLink, WhoAccessed, CustomerAdmin):
    inlines = [
        *CustomerAdmin.inlines,
        InvitationInline,
        SurveyResponseInline,
        CaseInline,
    ]
    actions = ["send_survey"]

    def case_prefill(self, customer: Customer) -> dict[str, int]:
        return {"customer": customer.pk}

    def has_send_survey_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("surveys.add_invitation")

    @admin.action(description=_("Send a survey…"), permissions=["send_survey"])
    def send_survey(
        self, request: HttpRequest, queryset: QuerySet[Customer]
    ) -> TemplateResponse | None:
        form = SendSurveyForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self.action_form_page(
                request,
                queryset,
                action="send_survey",
                form=form,
                title=_("Send a survey"),
                template="admin/customers/send_survey.html",
            )
        ids = self.chosen_ids(
            request,
            queryset,
            limit=MAX_MANUAL_SEND,
            too_many=_("Choose at most %(max)d customers at once."),
        )
        if ids is None:
            return None
        survey = form.cleaned_data["survey"]
        if len(ids) > MAX_PLANNED_IN_REQUEST:
            scheduling.queue_manual_send(survey, customer_ids=ids)
            self.message_user(
                request,
                ngettext(
                    "%(survey)s is being sent to %(count)d customer (after the "
                    "usual eligibility rules).",
                    "%(survey)s is being sent to %(count)d customers (after the "
                    "usual eligibility rules).",
                    len(ids),
                )
                % {"survey": survey, "count": len(ids)},
            )
            return None
        now = timezone.now()
        summary = scheduling.send_manually(
            survey, customers=Customer.objects.filter(id__in=ids), now=now
        )
        self.message_user(
            request,
            manual_send_message(survey, summary, now=now),
            messages.SUCCESS if summary.scheduled else messages.WARNING,
        )
        return None

    # After logging an interaction: what became of its survey.

    def save_related(
        self, request: HttpRequest, form: Any, formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        logged = [
            interaction
            for formset in formsets
            if formset.model is Interaction
            for interaction in getattr(formset, "new_objects", [])
        ]
        setattr(request, LOGGED, (logged, bool(form.changed_data)))

    def response_add(
        self, request: HttpRequest, obj: Customer, post_url_continue: str | None = None
    ) -> HttpResponse:
        logged, _customer_changed = logged_in(request)
        self.say_what_became_of_the_surveys(request, logged)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request: HttpRequest, obj: Customer) -> HttpResponse:
        logged, customer_changed = logged_in(request)
        self.say_what_became_of_the_surveys(request, logged)
        if not logged or customer_changed:
            return super().response_change(request, obj)
        setattr(request, QUIET, True)
        try:
            return super().response_change(request, obj)
        finally:
            setattr(request, QUIET, False)

    def say_what_became_of_the_surveys(
        self, request: HttpRequest, logged: list[Interaction]
    ) -> None:
        now = timezone.now()
        for interaction in logged:
            self.message_user(
                request,
                decisions.interaction_feedback(interaction, now=now),
                messages.SUCCESS,
            )

    def message_user(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        if not getattr(request, QUIET, False):
            super().message_user(request, *args, **kwargs)


def logged_in(request: HttpRequest) -> tuple[list[Interaction], bool]:
    """The interactions this request's save logged, and whether the
    customer's own fields changed too (as save_related found them)."""
    logged: tuple[list[Interaction], bool] = getattr(request, LOGGED, ([], True))
    return logged


def manual_send_message(
    survey: Survey, summary: scheduling.Summary, *, now: datetime
) -> SafeString:
    """The action's outcome, e.g. "After support: 1 scheduled; 1 not sent:
    asked 2 days ago (one survey per 30 days)." Each count links to its
    invitations."""
    parts = []
    scheduled = summary.ids.get("", [])
    if scheduled:
        count = len(scheduled)
        label = ngettext("%(count)d scheduled", "%(count)d scheduled", count)
        parts.append(linked(scheduled, label % {"count": count}))
    suppressed = sorted(
        ((reason, ids) for reason, ids in summary.ids.items() if reason),
        key=lambda item: (-len(item[1]), item[0]),
    )
    for reason, ids in suppressed:
        count = len(ids)
        label = ngettext("%(count)d not sent", "%(count)d not sent", count)
        parts.append(
            format_html(
                "{}: {}",
                linked(ids, label % {"count": count}),
                why_not_sent(survey, reason, ids, now=now),
            )
        )
    return format_html(
        str(_("{survey}: {outcomes}.")),
        survey=survey,
        outcomes=format_html_join("; ", "{}", ((part,) for part in parts)),
    )


def linked(invitation_ids: list[int], text: str) -> SafeString:
    return format_html('<a href="{}">{}</a>', invitations_url(invitation_ids), text)


def why_not_sent(
    survey: Survey, reason: str, invitation_ids: list[int], *, now: datetime
) -> str:
    """The reason; for one customer, with the mail that throttled them."""
    if len(invitation_ids) == 1:
        invitation = Invitation.objects.select_related("survey", "interaction").get(
            pk=invitation_ids[0]
        )
        return decisions.suppression_text(invitation, now=now)
    return decisions.reason_text(reason, survey=survey, now=now)


admin.site.unregister(Interaction)


@admin.register(Interaction)
class InteractionPageAdmin(OpenCaseLink, InteractionAdmin):
    def case_prefill(self, interaction: Interaction) -> dict[str, int]:
        return {"customer": interaction.customer_id, "interaction": interaction.pk}


admin.site.unregister(SurveyResponse)


@admin.register(SurveyResponse)
class SurveyResponsePageAdmin(OpenCaseLink, SurveyResponseAdmin):
    def case_prefill(self, response: SurveyResponse) -> dict[str, int]:
        return {"customer": response.customer_id, "response": response.pk}
