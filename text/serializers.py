"""The analysis of an answer's comment as the API, the webhooks and the CSV
exports show it, and the answer with it.

An analysis is shown only while it reads the comment as it is now: after an
edit, until the comment has been read again (a moment later, in a task), the
old spans would point at the wrong characters, so the answer shows none.
"""

import json
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lib.api import ModelSerializer
from surveys.models import SurveyResponse
from surveys.serializers import SurveyResponseSerializer as BaseResponseSerializer
from text.models import CommentAnalysis, CommentTheme, Label, comment_digest
from text.reading import theme_name

SENTIMENT_SPANS = {
    "type": "array",
    "items": {"type": "array", "items": {"type": "number"}, "minItems": 3},
}
THEME_SPANS = {
    "type": "array",
    "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2},
}


def current_analysis(response: SurveyResponse) -> CommentAnalysis | None:
    """The answer's analysis if it was made of the comment as it is now."""
    try:
        analysis: CommentAnalysis = response.analysis
    except CommentAnalysis.DoesNotExist:
        return None
    if analysis.comment_digest != comment_digest(response.comment):
        return None
    return analysis


def present_themes(analysis: CommentAnalysis) -> list[CommentTheme]:
    """The themes the comment mentions, by key. Reads `themes.all()`, so that
    a prefetch (text.api.with_analysis) serves it."""
    rows = [row for row in analysis.themes.all() if row.is_present]
    return sorted(rows, key=lambda row: row.theme.key)


class CommentThemeSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(source="theme.key", read_only=True)
    name = serializers.SerializerMethodField(
        help_text="The theme's name in the request's language."
    )

    def get_name(self, row: CommentTheme) -> str:
        return theme_name(row.theme)


class CommentSpansSerializer(serializers.Serializer[CommentAnalysis]):
    sentiment = serializers.SerializerMethodField(
        help_text=(
            "[start, end, weight] per sentiment word: the characters "
            "comment[start:end] and their signed weight."
        )
    )
    themes = serializers.SerializerMethodField(
        help_text="Per theme key, [start, end] of each word that matched it."
    )

    @extend_schema_field(SENTIMENT_SPANS)
    def get_sentiment(self, analysis: CommentAnalysis) -> list[list[float]]:
        return list(analysis.spans)

    @extend_schema_field({"type": "object", "additionalProperties": THEME_SPANS})
    def get_themes(self, analysis: CommentAnalysis) -> dict[str, list[list[int]]]:
        return {
            row.theme.key: [[span[0], span[1]] for span in row.spans]
            for row in present_themes(analysis)
        }


class CommentAnalysisSerializer(ModelSerializer[CommentAnalysis]):
    """The reading of the answer's comment; null while there is none (no
    comment, or not read yet since it was written or edited)."""

    sentiment = serializers.ChoiceField(
        choices=Label.choices,
        read_only=True,
        help_text="The sentiment to count: a staff member's correction, else "
        "`analysed_label`.",
    )
    sentiment_score = serializers.FloatField(
        source="score",
        read_only=True,
        help_text="The analyser's score, from -1 (negative) to 1 (positive).",
    )
    analysed_label = serializers.ChoiceField(
        source="label",
        choices=Label.choices,
        read_only=True,
        help_text="The analyser's label, whatever a correction says.",
    )
    themes = serializers.SerializerMethodField()
    keywords = serializers.ListField(child=serializers.CharField(), read_only=True)
    spans = serializers.SerializerMethodField()

    class Meta:
        model = CommentAnalysis
        fields = [
            "language",
            "sentiment",
            "sentiment_score",
            "analysed_label",
            "needs_review",
            "themes",
            "keywords",
            "spans",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "language": {
                "help_text": "The comment's language; `unknown` when "
                "it is neither English nor Chinese (never a guess)."
            },
            "needs_review": {
                "help_text": "The comment says the opposite of the "
                "score (a 10 with an angry comment)."
            },
        }

    def get_attribute(self, instance: Any) -> CommentAnalysis | None:
        # As the answer's field: its analysis, if current.
        return current_analysis(instance)

    @extend_schema_field(CommentThemeSerializer(many=True))
    def get_themes(self, analysis: CommentAnalysis) -> Any:
        return CommentThemeSerializer(present_themes(analysis), many=True).data

    @extend_schema_field(CommentSpansSerializer)
    def get_spans(self, analysis: CommentAnalysis) -> Any:
        return CommentSpansSerializer(analysis).data


def analysis_data(analysis: CommentAnalysis | None) -> dict[str, Any] | None:
    """An analysis as an answer's `analysis` shows it, as plain values: take
    it before and after a change to know whether a subscriber would see one
    (text.services announces comments_analysed only then)."""
    if analysis is None:
        return None
    data: dict[str, Any] = json.loads(
        json.dumps(CommentAnalysisSerializer(analysis).data)
    )
    return data


class SurveyResponseSerializer(BaseResponseSerializer):
    analysis = CommentAnalysisSerializer(read_only=True, allow_null=True)

    class Meta(BaseResponseSerializer.Meta):
        fields = [*BaseResponseSerializer.Meta.fields, "analysis"]
        read_only_fields = fields


# The reading in the CSV exports of answers, after the answers' own columns.
# `comment_language`, not `language`: that column is the language the
# customer answered in.
ANALYSIS_CSV_COLUMNS = ["comment_language", "sentiment", "themes", "needs_review"]


def analysis_csv_cells(response: SurveyResponse) -> list[object]:
    """The answer's reading as CSV cells (blank without a current one);
    serve `analysis` and its themes from text.api.with_analysis, or each
    answer costs two queries."""
    analysis = current_analysis(response)
    if analysis is None:
        return ["", "", "", ""]
    themes = "; ".join(theme_name(row.theme) for row in present_themes(analysis))
    return [
        analysis.language,
        analysis.sentiment,
        themes,
        "true" if analysis.needs_review else "false",
    ]
