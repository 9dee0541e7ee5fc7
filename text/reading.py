"""A comment's reading as staff see it on any page: the comment with the
words behind its sentiment and themes marked, its sentiment, and its themes
named in the reader's language."""

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from text.highlight import highlighted
from text.models import CommentAnalysis, CommentTheme, Label, Theme


def theme_name(theme: Theme, *, language: str | None = None) -> str:
    """The theme's name in the reader's language, else its English one."""
    language = language or get_language() or "en"
    if language.startswith("zh") and theme.name_zh:
        return theme.name_zh
    return theme.name_en


def present_themes(analysis: CommentAnalysis) -> list[CommentTheme]:
    """The themes the comment mentions as staff last read it (one query)."""
    return list(
        CommentTheme.objects.filter(analysis=analysis, is_present=True)
        .select_related("theme")
        .order_by("theme__name_en")
    )


def marked_comment(comment: str, analysis: CommentAnalysis | None) -> SafeString:
    """The comment, its sentiment words and theme keywords marked."""
    if analysis is None:
        return highlighted(comment, [])
    spans = [*analysis.spans]
    for row in present_themes(analysis):
        spans.extend(row.spans)
    return highlighted(comment, spans)


def summary(analysis: CommentAnalysis | None) -> SafeString:
    """The reading in one line: Sentiment: negative (corrected) · Themes:
    delivery, billing."""
    if analysis is None:
        return format_html("{}", _("Not read yet."))
    sentiment = str(Label(analysis.sentiment).label)
    if analysis.corrected_label:
        sentiment = _("%(sentiment)s (corrected)") % {"sentiment": sentiment}
    themes = [theme_name(row.theme) for row in present_themes(analysis)]
    return format_html(
        "{}: {} · {}: {}{}",
        _("Sentiment"),
        sentiment,
        _("Themes"),
        ", ".join(themes) or _("none"),
        format_html(" · <strong>{}</strong>", _("needs review"))
        if analysis.needs_review and analysis.reviewed_at is None
        else "",
    )
