from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from lib.validation import save_validated
from surveys.models import SurveyResponse
from text import services
from text.models import (
    CommentAnalysis,
    CommentTheme,
    Label,
    Language,
    Theme,
    ThemeSuggestion,
    comment_digest,
)
from text.reading import marked_comment


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name_en", "name_zh", "parent", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name_en", "name_zh", "keywords_en", "keywords_zh"]
    list_select_related = ["parent"]
    prepopulated_fields = {"key": ["name_en"]}
    fields = [
        "name_en",
        "name_zh",
        "key",
        "parent",
        "keywords_en",
        "keywords_zh",
        "is_active",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The key is stored with every tagged comment.
        return ["key"] if obj else []

    def save_model(
        self, request: HttpRequest, obj: Theme, form: Any, change: bool
    ) -> None:
        save_validated(obj)
        services.dictionary_changed()

    def delete_model(self, request: HttpRequest, obj: Theme) -> None:
        super().delete_model(request, obj)
        services.dictionary_changed()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Theme]) -> None:
        super().delete_queryset(request, queryset)
        services.dictionary_changed()


class CorrectionForm(forms.ModelForm):  # type: ignore[type-arg]
    """A staff member's reading of the comment: its sentiment and themes."""

    corrected_label = forms.ChoiceField(
        label=_("Sentiment"),
        choices=[("", _("as analysed")), *Label.choices],
        required=False,
    )
    themes = forms.ModelMultipleChoiceField(
        label=_("Themes"),
        queryset=Theme.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = CommentAnalysis
        fields = ["corrected_label"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["themes"].initial = present_themes(self.instance)


def present_themes(analysis: CommentAnalysis) -> list[int]:
    return list(
        CommentTheme.objects.filter(analysis=analysis, is_present=True).values_list(
            "theme_id", flat=True
        )
    )


@admin.register(CommentAnalysis)
class CommentAnalysisAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The comments as read, and the review queue: comments that say the
    opposite of their score."""

    form = CorrectionForm
    list_display = [
        "answered_at",
        "score",
        "short_comment",
        "language",
        "label",
        "corrected_label",
        "needs_review",
    ]
    list_filter = ["needs_review", "label", "language"]
    list_select_related = ["response"]
    ordering = ["-response__answered_at"]
    readonly_fields = [
        "comment",
        "score_and_band",
        "language",
        "label",
        "score",
        "keywords",
        "needs_review",
        "reviewed_at",
        "corrected_by",
        "corrected_at",
    ]
    fields = [
        "comment",
        "score_and_band",
        "language",
        "label",
        "score",
        "keywords",
        "needs_review",
        "reviewed_at",
        "corrected_label",
        "themes",
        "corrected_by",
        "corrected_at",
    ]
    actions = ["mark_reviewed"]

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "accuracy/",
                self.admin_site.admin_view(self.accuracy_view),
                name="text_commentanalysis_accuracy",
            ),
        ]
        return own + super().get_urls()

    def accuracy_view(self, request: HttpRequest) -> HttpResponse:
        """How well the analyser reads this site's customers: its readings
        against the staff's corrections, per language."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": _("Accuracy on staff corrections"),
            "opts": self.opts,
            "languages": [
                accuracy_table(accuracy) for accuracy in services.correction_accuracy()
            ],
        }
        return TemplateResponse(
            request, "admin/text/commentanalysis/accuracy.html", context
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("answered at"), ordering="response__answered_at")
    def answered_at(self, analysis: CommentAnalysis) -> Any:
        return analysis.response.answered_at

    @admin.display(description=_("comment"))
    def short_comment(self, analysis: CommentAnalysis) -> str:
        return Truncator(analysis.response.comment).chars(80)

    @admin.display(description=_("comment"))
    def comment(self, analysis: CommentAnalysis) -> Any:
        comment = analysis.response.comment
        # A reading of an older version of the comment marks nothing: its
        # spans would fall on other characters.
        is_current = analysis.comment_digest == comment_digest(comment)
        return format_html(
            '<blockquote class="comment-highlighted">{}</blockquote>',
            marked_comment(comment, analysis if is_current else None),
        )

    @admin.display(description=_("answer"))
    def score_and_band(self, analysis: CommentAnalysis) -> str:
        response = analysis.response
        return f"{response.score} ({response.get_band_display()})"

    def save_model(
        self, request: HttpRequest, obj: CommentAnalysis, form: Any, change: bool
    ) -> None:
        # One service, one transaction, one event, whatever the form changed;
        # an empty sentiment takes a correction back.
        label = form.cleaned_data["corrected_label"]
        chosen = form.cleaned_data["themes"]
        themes_changed = set(chosen.values_list("pk", flat=True)) != set(
            present_themes(obj)
        )
        services.correct_reading(
            obj,
            label=label if "corrected_label" in form.changed_data else None,
            themes=chosen if themes_changed else None,
            by=request.user,
            now=timezone.now(),
        )

    @admin.action(description=_("Mark as reviewed"))
    def mark_reviewed(
        self, request: HttpRequest, queryset: QuerySet[CommentAnalysis]
    ) -> None:
        now = timezone.now()
        for analysis in queryset:
            services.mark_reviewed(analysis, now=now)
        self.message_user(request, _("Marked as reviewed."), messages.SUCCESS)


def accuracy_table(accuracy: services.CorrectionAccuracy) -> dict[str, Any]:
    """What the accuracy page shows for one language: labels by name and
    the confusion matrix as rows (staff's label) of cells (analyser's)."""
    sentiment, themes = accuracy.sentiment, accuracy.themes
    labels = dict(Label.choices)
    table: dict[str, Any] = {
        "language": Language(accuracy.language).label,
        "sentiment": sentiment,
        "themes": themes,
    }
    if sentiment is not None:
        table["labels"] = [labels[label] for label in sentiment.labels]
        table["confusion"] = [
            (
                labels[staff],
                [
                    sentiment.confusion.get((staff, analyser), 0)
                    for analyser in sentiment.labels
                ],
            )
            for staff in sentiment.labels
        ]
    return table


class SuggestionChangeList(ChangeList):
    """The list of suggestions, with each one's example comments read in one
    query for the whole page."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        wanted = {
            response_id
            for suggestion in self.result_list
            for response_id in suggestion.example_response_ids
        }
        comments = dict(
            SurveyResponse.objects.filter(pk__in=wanted).values_list("pk", "comment")
        )
        model_admin = self.model_admin
        assert isinstance(model_admin, ThemeSuggestionAdmin)  # noqa: S101
        may_adopt, may_decide = (
            model_admin.may_adopt(request),
            model_admin.may_decide(request),
        )
        for suggestion in self.result_list:
            suggestion.example_comments = [
                comments[response_id]
                for response_id in suggestion.example_response_ids
                if response_id in comments
            ]
            # The row's buttons depend on who reads the list.
            suggestion.may_adopt, suggestion.may_decide = may_adopt, may_decide


SUGGESTION_FIELDS = (
    "top_terms",
    "language",
    "comment_count",
    "examples",
    "status",
    "adopted_as",
    "decided_by",
    "decided_at",
    "created_at",
)


@admin.register(ThemeSuggestion)
class ThemeSuggestionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Recurring topics no theme covers (the weekly task finds them): a
    manager adopts one as a theme in one click, or dismisses it."""

    list_display = [
        "top_terms",
        "language",
        "comment_count",
        "examples",
        "status",
        "adopted_as",
        "decision",
    ]
    list_filter = ["status", "language"]
    list_select_related = ["theme"]
    fields = SUGGESTION_FIELDS
    # Suggestions are decided with the buttons, never edited.
    readonly_fields = SUGGESTION_FIELDS
    actions = None

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return SuggestionChangeList

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:suggestion_id>/adopt/",
                self.admin_site.admin_view(require_POST(self.adopt_view)),
                name="text_themesuggestion_adopt",
            ),
            path(
                "<int:suggestion_id>/dismiss/",
                self.admin_site.admin_view(require_POST(self.dismiss_view)),
                name="text_themesuggestion_dismiss",
            ),
        ]
        return own + super().get_urls()

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Suggestions come from the comments, not from a form.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def may_decide(self, request: HttpRequest) -> bool:
        return self.has_change_permission(request)

    def may_adopt(self, request: HttpRequest) -> bool:
        return self.may_decide(request) and request.user.has_perm("text.add_theme")

    @admin.display(description=_("top terms"))
    def top_terms(self, suggestion: ThemeSuggestion) -> str:
        return ", ".join(suggestion.terms)

    @admin.display(description=_("example comments"))
    def examples(self, suggestion: ThemeSuggestion) -> str:
        comments = getattr(suggestion, "example_comments", None)
        if comments is None:
            comments = list(
                SurveyResponse.objects.filter(
                    pk__in=suggestion.example_response_ids
                ).values_list("comment", flat=True)
            )
        return format_html(
            '<ul class="suggestion-examples">{}</ul>',
            format_html_join(
                "",
                "<li>{}</li>",
                ((Truncator(comment).chars(160),) for comment in comments),
            ),
        )

    @admin.display(description=_("theme"))
    def adopted_as(self, suggestion: ThemeSuggestion) -> str:
        if suggestion.theme is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:text_theme_change", args=[suggestion.theme_id]),
            suggestion.theme,
        )

    @admin.display(description=_("decision"))
    def decision(self, suggestion: ThemeSuggestion) -> str:
        """Adopt and Dismiss buttons: they submit the list's own form (which
        carries the CSRF token) to their own address."""
        if suggestion.status != ThemeSuggestion.Status.OPEN:
            return ""
        buttons = []
        if getattr(suggestion, "may_adopt", False):
            buttons.append(
                format_html(
                    '<button type="submit" class="button default" '
                    'formaction="{}">{}</button>',
                    reverse("admin:text_themesuggestion_adopt", args=[suggestion.pk]),
                    gettext("Adopt"),
                )
            )
        if getattr(suggestion, "may_decide", False):
            buttons.append(
                format_html(
                    '<button type="submit" class="button" formaction="{}">{}</button>',
                    reverse("admin:text_themesuggestion_dismiss", args=[suggestion.pk]),
                    gettext("Dismiss"),
                )
            )
        return format_html_join(" ", "{}", ((button,) for button in buttons))

    def adopt_view(self, request: HttpRequest, suggestion_id: int) -> HttpResponse:
        """Adopt: the new theme's page, where the manager renames it."""
        if not self.may_adopt(request):
            raise PermissionDenied
        try:
            theme = services.adopt_suggestion(
                suggestion_id, by=request.user, now=timezone.now()
            )
        except services.SuggestionNotOpenError:
            return self.not_open(request)
        except ValidationError as error:
            self.message_user(
                request,
                _("The theme could not be created: %(reason)s")
                % {"reason": " ".join(error.messages)},
                messages.ERROR,
            )
            return HttpResponseRedirect(
                reverse("admin:text_themesuggestion_changelist")
            )
        self.message_user(
            request,
            _(
                "The theme “%(name)s” was created; past comments are being "
                "tagged with it. Give it a better name here."
            )
            % {"name": theme.name_en},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:text_theme_change", args=[theme.pk]))

    def dismiss_view(self, request: HttpRequest, suggestion_id: int) -> HttpResponse:
        if not self.may_decide(request):
            raise PermissionDenied
        try:
            services.dismiss_suggestion(
                suggestion_id, by=request.user, now=timezone.now()
            )
        except services.SuggestionNotOpenError:
            return self.not_open(request)
        self.message_user(
            request,
            _("Dismissed; this topic will not be suggested again."),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:text_themesuggestion_changelist"))

    def not_open(self, request: HttpRequest) -> HttpResponse:
        self.message_user(
            request,
            _("This suggestion was decided or replaced meanwhile."),
            messages.WARNING,
        )
        return HttpResponseRedirect(reverse("admin:text_themesuggestion_changelist"))
