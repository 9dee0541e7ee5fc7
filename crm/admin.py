"""The customer page, put together here because it shows every app's view of
the customer and only the wiring may import all three apps; and the "Open a
case" links on the customer, interaction and answer pages, for the same
reason."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from customers.admin import CustomerAdmin, InteractionAdmin
from customers.models import Customer, Interaction
from feedback import permissions
from feedback.admin.cases import CaseInline
from surveys.admin import InvitationInline, SurveyResponseAdmin, SurveyResponseInline
from surveys.models import Survey, SurveyResponse
from surveys.services import scheduling

# A manual send names its customers in the task message; more belongs in a
# filter of the API, not a selection of rows.
MAX_MANUAL_SEND = 100_000


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


@admin.register(Customer)
class CustomerPageAdmin(OpenCaseLink, CustomerAdmin):
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
