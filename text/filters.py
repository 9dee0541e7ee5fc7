"""The answers' filters of the API, with those on their comment's reading.

A filter on the reading matches only an analysis of the comment as it is
now, like the answer's `analysis` (text.serializers): an answer edited a
moment ago matches none until its comment has been read again.
"""

from typing import Any

import django_filters
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q, QuerySet
from django.db.models.functions import SHA256
from django.db.models.sql.compiler import SQLCompiler

from lib.filters import IdFilter, StrictBooleanFilter
from surveys.filters import SurveyResponseFilter as BaseResponseFilter
from surveys.models import SurveyResponse
from text.models import Label, Language, Theme


class Sha256(SHA256):
    """Django's SHA256 takes pgcrypto's digest() on PostgreSQL; sha256() is
    built in (PostgreSQL 11), like text.services.comment_digest over UTF-8."""

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, Any]:
        return self.as_sql(
            compiler,
            connection,
            template="ENCODE(SHA256(CONVERT_TO(%(expressions)s, 'UTF8')), 'hex')",
            **extra,
        )


CURRENT = Q(analysis__comment_digest=Sha256("comment"))


class SurveyResponseFilter(BaseResponseFilter):
    sentiment = django_filters.ChoiceFilter(
        choices=Label.choices,
        method="filter_sentiment",
        label="The comment's sentiment (a staff member's correction, else the "
        "analyser's label)",
    )
    theme = IdFilter(
        queryset=Theme.objects.all(),
        to_field_name="key",
        method="filter_theme",
        label="The key of a theme the comment mentions",
    )
    comment_language = django_filters.ChoiceFilter(
        choices=Language.choices,
        method="filter_comment_language",
        label="The comment's language as the analysis found it (`language` is "
        "the language the customer answered in)",
    )
    needs_review = StrictBooleanFilter(
        method="filter_needs_review",
        label="Whether the comment says the opposite of the score",
    )

    def filter_sentiment(
        self, answers: QuerySet[SurveyResponse], name: str, value: str
    ) -> QuerySet[SurveyResponse]:
        corrected = Q(analysis__corrected_label=value)
        analysed = Q(analysis__corrected_label="", analysis__label=value)
        return answers.filter(CURRENT, corrected | analysed)

    def filter_theme(
        self, answers: QuerySet[SurveyResponse], name: str, value: Theme
    ) -> QuerySet[SurveyResponse]:
        # One filter() call: the same theme row must be the one present.
        # (analysis, theme) is unique, so no answer is listed twice.
        return answers.filter(
            CURRENT, analysis__themes__theme=value, analysis__themes__is_present=True
        )

    def filter_comment_language(
        self, answers: QuerySet[SurveyResponse], name: str, value: str
    ) -> QuerySet[SurveyResponse]:
        return answers.filter(CURRENT, analysis__language=value)

    def filter_needs_review(
        self, answers: QuerySet[SurveyResponse], name: str, value: bool
    ) -> QuerySet[SurveyResponse]:
        return answers.filter(CURRENT, analysis__needs_review=value)
