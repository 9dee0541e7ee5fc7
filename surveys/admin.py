from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import truncatechars
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from customers.models import Channel, Language
from lib.access_log import LogAccessAdmin
from lib.admin import HistoryInline, ViewOnlyAdmin
from surveys.models import Invitation, Survey, SurveyResponse
from surveys.services import decisions, previews, scheduling
from surveys.services.dry_run import dry_run
from surveys.services.send_now import Result, may_send_now, send_invitations_now

DRY_RUN_DAYS = 30
# A send now locks the chosen rows (and their customers) in one transaction.
MAX_SEND_NOW = 100
# A message names this many invitations, then counts the rest.
NAMED_IN_MESSAGE = 10


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

    # Managers may send a waiting invitation now, from the customer's page.

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)
        return [*fields, "send_now_link"] if may_send_now(request.user) else fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_fields(request, obj)

    @admin.display(description=_("send now"))
    def send_now_link(self, invitation: Invitation) -> str:
        if not is_waiting(invitation):
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:surveys_invitation_send_now", args=[invitation.pk]),
            _("Send now…"),
        )


def is_waiting(invitation: Invitation) -> bool:
    return (
        invitation.status == Invitation.Status.SCHEDULED
        and invitation.scheduled_for is not None
    )


def invitations_url(ids: list[int]) -> str:
    """The invitation list showing these invitations."""
    query = urlencode({"id__in": ",".join(str(pk) for pk in ids)})
    return f"{reverse('admin:surveys_invitation_changelist')}?{query}"


class BandNameColumn:
    @admin.display(description=_("band"), ordering="band")
    def band_name(self, response: SurveyResponse) -> str:
        """The band on the answer's own scale (the field's choice label is
        the NPS name, "Promoter", for every kind)."""
        return response.get_band_display()


class SurveyResponseInline(BandNameColumn, HistoryInline):
    model = SurveyResponse
    fields = readonly_fields = (
        "answered_at",
        "survey",
        "score",
        "band_name",
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
        label=capfirst(_("channels")),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every channel."),
    )

    move_scheduled = forms.BooleanField(
        label=_("Also move the scheduled invitations to the new delay"),
        required=False,
    )

    class Meta:
        model = Survey
        fields = "__all__"  # noqa: DJ007 (the admin's fieldsets choose the fields)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offer_to_move_scheduled()

    def offer_to_move_scheduled(self) -> None:
        """A new delay applies to invitations planned after it; those already
        waiting keep their time unless this is ticked. Hidden when none waits."""
        field = self.fields["move_scheduled"]
        survey = self.instance
        waiting = scheduling.movable_to_new_delay(survey).count() if survey.pk else 0
        if not waiting:
            field.widget = forms.HiddenInput()
            return
        field.label = ngettext(
            "Also move the %(count)d scheduled invitation to the new delay",
            "Also move the %(count)d scheduled invitations to the new delay",
            waiting,
        ) % {"count": waiting}
        field.help_text = _(
            "Each is then due at its interaction's resolution plus the new "
            "delay, or now if that time has passed. Unticked, they keep their time."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        recurring = data.get("trigger") == Survey.Trigger.RECURRING
        if recurring and not data.get("recurrence_days"):
            self.add_error(
                "recurrence_days", _("A recurring survey needs its period in days.")
            )
        survey = self.instance
        changes_kind = survey.pk and data.get("kind", survey.kind) != survey.kind
        if changes_kind and survey.invitations.exists():
            self.add_error(
                "kind",
                _(
                    "This survey has invitations: its kind cannot change. "
                    "Create a new survey instead."
                ),
            )
        return data


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Surveys are deactivated, not deleted: their invitations and answers stay."""

    form = SurveyForm
    list_display = ["name", "kind", "trigger", "delay_minutes", "is_active"]
    list_filter = ["kind", "trigger", "is_active"]
    search_fields = ["name"]
    filter_horizontal = ["touchpoints"]
    readonly_fields = ["mail_preview"]
    actions = ["send_test_mail", "show_dry_run"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: Survey, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        new_delay = change and "delay_minutes" in form.changed_data
        if new_delay and form.cleaned_data.get("move_scheduled"):
            moved = scheduling.move_to_new_delay(obj, now=timezone.now())
            self.message_user(
                request,
                ngettext(
                    "%(count)d scheduled invitation moved to the new delay.",
                    "%(count)d scheduled invitations moved to the new delay.",
                    moved,
                )
                % {"count": moved},
            )

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:survey_id>/preview/<str:language>/",
                self.admin_site.admin_view(self.preview_view),
                name="surveys_survey_preview",
            ),
            path(
                "<int:survey_id>/dry-run/",
                self.admin_site.admin_view(self.dry_run_view),
                name="surveys_survey_dry_run",
            ),
        ]
        return own + super().get_urls()

    @admin.display(description=_("mail preview"))
    def mail_preview(self, survey: Survey) -> str:
        if survey.pk is None:
            return str(_("Save the survey to preview its mail."))
        return format_html_join(
            " · ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:surveys_survey_preview", args=[survey.pk, code]), label)
                for code, label in Language.choices
            ),
        )

    def preview_view(
        self, request: HttpRequest, survey_id: int, language: str
    ) -> HttpResponse:
        survey = get_object_or_404(Survey, id=survey_id)
        if not self.has_view_permission(request, survey):
            raise PermissionDenied
        if language not in Language.values:
            language = Language.EN
        message = previews.sample_mail(
            survey, language=language, name="Ann Example", email="ann@example.com"
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Mail preview: %(survey)s") % {"survey": survey},
            "opts": self.opts,
            "original": survey,
            "survey": survey,
            "message": message,
            "html": previews.html_part(message),
            "languages": [
                (
                    code,
                    label,
                    reverse("admin:surveys_survey_preview", args=[survey.pk, code]),
                )
                for code, label in Language.choices
            ],
            "language": language,
        }
        return TemplateResponse(request, "admin/surveys/survey/preview.html", context)

    def dry_run_view(self, request: HttpRequest, survey_id: int) -> HttpResponse:
        survey = get_object_or_404(Survey, id=survey_id)
        if not self.has_view_permission(request, survey):
            raise PermissionDenied
        days_text = request.GET.get("days", str(DRY_RUN_DAYS))
        days = (
            int(days_text)
            if days_text.isdigit() and 1 <= int(days_text) <= 365
            else DRY_RUN_DAYS
        )
        result = dry_run(survey, days=days, now=timezone.now())
        reasons = [
            (Invitation.SuppressedReason(reason).label, count)
            for reason, count in result.not_asked.most_common()
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Dry run: %(survey)s") % {"survey": survey},
            "opts": self.opts,
            "original": survey,
            "result": result,
            "reasons": reasons,
            "days": days,
        }
        return TemplateResponse(request, "admin/surveys/survey/dry_run.html", context)

    @admin.action(description=_("Send a test mail to me"), permissions=["view"])
    def send_test_mail(self, request: HttpRequest, queryset: QuerySet[Survey]) -> None:
        user = request.user
        assert isinstance(user, User)  # noqa: S101 (the admin has logged it in)
        if not user.email:
            self.message_user(
                request, _("Your user has no email address."), messages.ERROR
            )
            return
        language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
        if language not in Language.values:
            language = Language.EN
        for survey in queryset:
            message = previews.sample_mail(
                survey,
                language=language,
                name=user.get_full_name() or user.get_username(),
                email=user.email,
            )
            message.send()  # not in a transaction: the admin has no atomic requests
        self.message_user(
            request,
            ngettext(
                "Sent %(count)d test mail to %(email)s.",
                "Sent %(count)d test mails to %(email)s.",
                queryset.count(),
            )
            % {"count": queryset.count(), "email": user.email},
        )

    @admin.action(
        description=_("Dry run: who would it have asked?"), permissions=["view"]
    )
    def show_dry_run(
        self, request: HttpRequest, queryset: QuerySet[Survey]
    ) -> HttpResponseRedirect:
        survey = queryset.order_by("id").first()
        assert survey is not None  # noqa: S101 (an action always has a selection)
        return HttpResponseRedirect(
            reverse("admin:surveys_survey_dry_run", args=[survey.pk])
        )

    fieldsets = [
        (None, {"fields": ["name", "kind", "is_active", "mail_preview"]}),
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
                    "move_scheduled",
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
        (_("Follow-up cases"), {"fields": ["case_at_most"]}),
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
    actions = ["send_again", "send_now"]

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:invitation_id>/send-now/",
                self.admin_site.admin_view(self.send_now_view),
                name="surveys_invitation_send_now",
            ),
        ]
        return own + super().get_urls()

    def has_send_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("surveys.change_invitation")

    def has_send_now_permission(self, request: HttpRequest) -> bool:
        return may_send_now(request.user)

    @admin.action(description=_("Send now"), permissions=["send_now"])
    def send_now(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        ids = self.chosen_ids(
            request,
            queryset,
            limit=MAX_SEND_NOW,
            too_many=_("Choose at most %(max)d invitations at once."),
        )
        if ids is not None:
            self.send_now_and_report(request, ids)

    def send_now_view(self, request: HttpRequest, invitation_id: int) -> HttpResponse:
        """The customer page's "Send now…": asks on GET; on POST sends, says
        what happened and goes back to the customer's page."""
        if not self.has_send_now_permission(request):
            raise PermissionDenied
        invitation = get_object_or_404(
            Invitation.objects.select_related("survey", "customer"), id=invitation_id
        )
        back = reverse("admin:customers_customer_change", args=[invitation.customer_id])
        if request.method == "POST":
            self.send_now_and_report(request, [invitation.pk])
            return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Send now"),
            "opts": self.opts,
            "invitation": invitation,
            "is_waiting": is_waiting(invitation),
            "back": back,
        }
        return TemplateResponse(
            request, "admin/surveys/invitation/send_now.html", context
        )

    def send_now_and_report(self, request: HttpRequest, ids: list[int]) -> None:
        """One message per result, naming its invitations."""
        now = timezone.now()
        groups: dict[str, list[Result]] = {}
        for result in send_invitations_now(ids, user=request.user, now=now):
            text = decisions.send_now_text(result, now=now)
            groups.setdefault(text, []).append(result)
        for text, results in groups.items():
            self.message_user(
                request,
                _("%(invitations)s: %(result)s.")
                % {"invitations": named(r.invitation for r in results), "result": text},
                messages.SUCCESS if results[0].is_queued else messages.WARNING,
            )

    @admin.action(description=_("Send again (failed ones)"), permissions=["send"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        count = scheduling.send_failed_again(
            list(queryset.values_list("id", flat=True)), now=timezone.now()
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d failed invitation is due again.",
                "%(count)d failed invitations are due again.",
                count,
            )
            % {"count": count},
        )


def named(invitations: Iterable[Invitation]) -> str:
    """The invitations by name, e.g. "Support NPS → Ann, Support NPS → Bob
    and 3 more"."""
    names = [str(invitation) for invitation in invitations]
    shown = ", ".join(names[:NAMED_IN_MESSAGE])
    rest = len(names) - NAMED_IN_MESSAGE
    if rest <= 0:
        return shown
    return ngettext(
        "%(names)s and %(count)d more", "%(names)s and %(count)d more", rest
    ) % {"names": shown, "count": rest}


@admin.register(SurveyResponse)
class SurveyResponseAdmin(LogAccessAdmin, BandNameColumn, ViewOnlyAdmin):
    list_display = [
        "answered_at",
        "customer",
        "survey",
        "score",
        "band_name",
        "short_comment",
        "channel",
        "touchpoint",
        "staff",
    ]
    list_select_related = ["customer", "survey", "touchpoint", "staff"]
    list_filter = ["kind", "band", "channel", "survey", "answered_at"]
    search_fields = ["=customer__email"]
    ordering = ["-answered_at"]
    sortable_by = ["answered_at", "score"]
    readonly_fields = ["band_name"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The band's name on the answer's scale in the band's place.
        fields = super().get_fields(request, obj)
        return [
            "band_name" if name == "band" else name
            for name in fields
            if name != "band_name"
        ]

    @admin.display(description=_("comment"))
    def short_comment(self, response: SurveyResponse) -> str:
        return truncatechars(response.comment, 80)
