"""Privacy requests in the admin: recorded by support staff (the add form,
also reached from the customer's page), then verified, fulfilled, extended
or refused by managers, each on its own page that says what will happen.
Fulfilling an erasure shows exactly what it will do, in counts, and says so
when open cases will be closed as erased. Everything else is read-only: the
request is the record of how the right was served."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.models import ErasureRecord, PrivacyRequest, past_deadline
from privacy.retention_admin import RetentionRuleAdmin  # noqa: F401 (registers it)
from privacy.services import downloads, requests
from privacy.services.preview import erasure_preview

MANAGE = "privacy.change_privacyrequest"


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[PrivacyRequest]
    ) -> QuerySet[PrivacyRequest]:
        late = Q(status__in=PrivacyRequest.OPEN) & past_deadline(timezone.now())
        if self.value() == "yes":
            return queryset.filter(late)
        if self.value() == "no":
            return queryset.exclude(late)
        return queryset


class RecordForm(forms.ModelForm):  # type: ignore[type-arg]
    email = forms.EmailField(
        label=_("Requester's email"),
        required=False,
        help_text=_(
            "When the request names no customer: the address it came from. "
            'Someone we do not hold is answered "no data held"; only the '
            "address's keyed hash is kept."
        ),
    )

    class Meta:
        model = PrivacyRequest
        fields = ["kind", "customer", "mode"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("customer") and not cleaned.get("email"):
            raise forms.ValidationError(
                _("Name the customer, or the email the request came from.")
            )
        if cleaned.get("mode") and cleaned.get("kind") != PrivacyRequest.Kind.ERASURE:
            self.add_error("mode", _("A mode applies to erasure requests only."))
        return cleaned


class VerifyForm(forms.Form):
    how = forms.CharField(
        label=_("How the requester's identity was checked"),
        max_length=200,
        help_text=_("For example: a reply from the address on file, a call back."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3})
    )


class ExtendForm(ReasonForm):
    days = forms.IntegerField(
        label=_("Days added to the deadline"),
        min_value=1,
        max_value=requests.MAX_EXTENSION_DAYS,
        initial=30,
    )


class FulfilForm(forms.Form):
    """Nothing to fill in: the page is the confirmation."""


@dataclass(frozen=True)
class Step:
    title: Any
    form_class: type[forms.Form]
    button: Any
    done: Any
    perform: Callable[[PrivacyRequest, Any, dict[str, Any]], Any]


STEPS: dict[str, Step] = {
    "verify": Step(
        _("Verify the requester"),
        VerifyForm,
        _("Record the verification"),
        _("The verification was recorded."),
        lambda obj, user, data: requests.verify(
            obj, by=user, how=data["how"], now=timezone.now()
        ),
    ),
    "fulfil": Step(
        _("Fulfil the request"),
        FulfilForm,
        _("Fulfil"),
        _("Queued: the request is done in a moment."),
        lambda obj, user, data: requests.ask_fulfil(obj, now=timezone.now()),
    ),
    "extend": Step(
        _("Extend the deadline"),
        ExtendForm,
        _("Extend"),
        _("The deadline was extended."),
        lambda obj, user, data: requests.extend(
            obj, reason=data["reason"], days=data["days"], now=timezone.now()
        ),
    ),
    "refuse": Step(
        _("Refuse the request"),
        ReasonForm,
        _("Refuse"),
        _("The request was refused."),
        lambda obj, user, data: requests.refuse(
            obj, reason=data["reason"], by=user, now=timezone.now()
        ),
    ),
}


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "id",
        "kind",
        "status",
        "customer",
        "received_at",
        "deadline_shown",
        "outcome",
    ]
    list_filter = ["status", OverdueFilter, "kind", "outcome"]
    list_select_related = ["customer"]
    raw_id_fields = ["customer"]
    date_hierarchy = "received_at"
    ordering = ["-received_at", "-id"]
    readonly_fields = [
        "kind",
        "customer",
        "mode",
        "status",
        "outcome",
        "received_at",
        "due_at",
        "extended_due_at",
        "extension_reason",
        "refusal_reason",
        "verified_by",
        "verified_how",
        "verified_at",
        "fulfil_requested_at",
        "completed_at",
        "delivered_digest",
        "download_link",
        "downloaded_at",
        "escalated_at",
        "created_by",
    ]

    @admin.display(description=_("deadline"), ordering="due_at")
    def deadline_shown(self, obj: PrivacyRequest) -> str:
        deadline = timezone.localtime(obj.deadline).strftime("%Y-%m-%d %H:%M")
        if obj.is_overdue(timezone.now()):
            return f"⚠ {deadline} ({_('overdue')})"
        return deadline

    @admin.display(description=_("download link"))
    def download_link(self, obj: PrivacyRequest) -> str:
        return downloads.download_url(obj, now=timezone.now()) or "—"

    def get_form(
        self,
        request: HttpRequest,
        obj: Any | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        if obj is None:
            kwargs["form"] = RecordForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["kind", "customer", "email", "mode"]
        return self.readonly_fields

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        customer = request.GET.get("customer", "")
        if customer.isdigit():
            initial["customer"] = customer
        return initial

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: PrivacyRequest, form: Any, change: bool
    ) -> None:
        if change:  # nothing is editable; the steps change a request
            return
        data = form.cleaned_data
        try:
            created = requests.record(
                kind=data["kind"],
                customer=data.get("customer"),
                email=data.get("email", ""),
                mode=data.get("mode", ""),
                by=request.user,  # type: ignore[arg-type]
                now=timezone.now(),
            )
        except requests.RequestError as error:
            raise PermissionDenied(str(error)) from None
        obj.pk = created.pk
        obj._state.adding = False
        obj._state.db = created._state.db

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        steps = self.steps_for(request, obj) if obj else []
        extra = {
            **(extra_context or {}),
            "steps": [(name, STEPS[name].title) for name in steps],
            "erasures": ErasureRecord.objects.filter(request=obj) if obj else [],
        }
        return super().change_view(request, object_id, form_url, extra)

    def steps_for(self, request: HttpRequest, obj: PrivacyRequest) -> list[str]:
        if not request.user.has_perm(MANAGE) or not obj.is_open:
            return []
        if obj.status == PrivacyRequest.Status.RECEIVED:
            steps = ["verify"]
        else:
            steps = ["fulfil"]
        if obj.extended_due_at is None:
            steps.append("extend")
        return [*steps, "refuse"]

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                f"<int:request_id>/{name}/",
                self.admin_site.admin_view(self.step_view),
                {"step": name},
                name=f"privacy_privacyrequest_{name}",
            )
            for name in STEPS
        ] + super().get_urls()

    def step_view(
        self, request: HttpRequest, request_id: int, step: str
    ) -> HttpResponse:
        obj = self.get_object(request, str(request_id))
        if obj is None:
            raise Http404
        if step not in self.steps_for(request, obj):
            if not request.user.has_perm(MANAGE):
                raise PermissionDenied
            self.message_user(
                request,
                _("This step does not apply to the request now."),
                messages.ERROR,
            )
            return HttpResponseRedirect(self.change_url(obj))
        chosen = STEPS[step]
        form = chosen.form_class(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                chosen.perform(obj, request.user, form.cleaned_data)
            except requests.RequestError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(request, str(chosen.done), messages.SUCCESS)
                return HttpResponseRedirect(self.change_url(obj))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": chosen.title,
            "form": form,
            "button": self.button_of(obj, step, chosen),
            "step": step,
            "preview": self.preview_of(obj) if step == "fulfil" else None,
        }
        return render(request, "admin/privacy/privacyrequest/step.html", context)

    def button_of(self, obj: PrivacyRequest, step: str, chosen: Step) -> Any:
        if (
            step == "fulfil"
            and obj.kind == PrivacyRequest.Kind.ERASURE
            and obj.customer
        ):
            return _("Erase the customer")
        return chosen.button

    def preview_of(self, obj: PrivacyRequest) -> Any:
        customer = obj.customer
        if obj.kind != PrivacyRequest.Kind.ERASURE or customer is None:
            return None
        return erasure_preview(customer, mode=obj.mode)

    def change_url(self, obj: PrivacyRequest) -> str:
        return reverse("admin:privacy_privacyrequest_change", args=[obj.pk])
