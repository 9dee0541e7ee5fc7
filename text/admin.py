from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from lib.validation import save_validated
from text import services
from text.highlight import highlighted
from text.models import CommentAnalysis, CommentTheme, Label, Theme


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
        spans = list(analysis.spans) + [
            span
            for row in analysis.themes.filter(is_present=True)
            for span in row.spans
        ]
        return format_html(
            '<blockquote class="comment-highlighted">{}</blockquote>',
            highlighted(analysis.response.comment, spans),
        )

    @admin.display(description=_("answer"))
    def score_and_band(self, analysis: CommentAnalysis) -> str:
        response = analysis.response
        return f"{response.score} ({response.get_band_display()})"

    def save_model(
        self, request: HttpRequest, obj: CommentAnalysis, form: Any, change: bool
    ) -> None:
        now = timezone.now()
        label = form.cleaned_data["corrected_label"]
        if label and label != CommentAnalysis.objects.get(pk=obj.pk).corrected_label:
            services.correct_sentiment(obj, label=label, by=request.user, now=now)
        if set(form.cleaned_data["themes"].values_list("pk", flat=True)) != set(
            present_themes(obj)
        ):
            services.correct_themes(
                obj, themes=form.cleaned_data["themes"], by=request.user, now=now
            )

    @admin.action(description=_("Mark as reviewed"))
    def mark_reviewed(
        self, request: HttpRequest, queryset: QuerySet[CommentAnalysis]
    ) -> None:
        now = timezone.now()
        for analysis in queryset:
            services.mark_reviewed(analysis, now=now)
        self.message_user(request, _("Marked as reviewed."), messages.SUCCESS)
