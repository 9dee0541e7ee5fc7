"""The answers export ends with the reading of each comment: its language,
sentiment (a correction first), themes and review flag; blank without a
current reading, formula-safe, and without a query per answer."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.answers import CSV_COLUMNS
from surveys.models import SurveyResponse
from tests.api import session
from tests.factories import SurveyResponseFactory, UserFactory
from text import services
from text.models import CommentAnalysis, Theme

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/exports/responses/"
READING = ["comment_language", "sentiment", "themes", "needs_review"]
RUDE = "The agent was rude and nobody solved my problem."


def answered(comment: str, *, score: int = 2) -> SurveyResponse:
    response = SurveyResponseFactory.create(score=score, comment=comment)
    services.enrich_comment(response.pk)
    return response


def exported(client) -> list[list[str]]:
    response = client.get(EXPORT)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.getvalue().decode("utf-8"))))


def readings(rows: list[list[str]]) -> dict[int, list[str]]:
    return {int(row[0]): row[-len(READING) :] for row in rows[1:]}


def test_the_reading_follows_the_dashboards_columns(support):
    exported_rows = exported(session(support))

    assert exported_rows == [CSV_COLUMNS]
    assert CSV_COLUMNS[-len(READING) :] == READING


def test_each_answer_has_its_comments_language_sentiment_themes_and_review(
    support,
):
    rude = answered(RUDE, score=10)
    chinese = answered("快递太慢了，等了一个星期。", score=3)
    silent = answered("", score=9)

    rows = exported(session(support))

    assert readings(rows) == {
        rude.pk: ["en", "negative", "problem solved; staff attitude", "true"],
        chinese.pk: ["zh", "negative", "delivery; waiting time", "false"],
        silent.pk: ["", "", "", ""],
    }


def test_a_correction_is_the_exported_sentiment(support):
    rude = answered(RUDE)
    services.correct_sentiment(
        CommentAnalysis.objects.get(response=rude),
        label="mixed",
        by=UserFactory.create(),
        now=timezone.now(),
    )

    assert readings(exported(session(support)))[rude.pk][1] == "mixed"


def test_a_comment_edited_since_its_reading_exports_no_reading(support):
    rude = answered(RUDE)
    SurveyResponse.objects.filter(pk=rude.pk).update(comment="Lovely staff.")

    assert readings(exported(session(support)))[rude.pk] == ["", "", "", ""]


def test_a_theme_name_that_reads_as_a_formula_stays_text(support):
    Theme.objects.create(key="parking", name_en="=parking", keywords_en="parking")
    response = answered("The parking was awful.")

    assert readings(exported(session(support)))[response.pk][2] == "'=parking"


def test_the_export_takes_as_many_queries_for_fifty_answers_as_for_five(support):
    client = session(support)
    client.get(EXPORT)  # warms the content types' cache
    counts = []
    for total in (5, 50):
        while SurveyResponse.objects.count() < total:
            answered(RUDE if SurveyResponse.objects.count() % 2 else "Late again.")
        with CaptureQueriesContext(connection) as queries:
            rows = exported(client)
        assert len(rows) == total + 1
        counts.append(len(queries))

    assert counts[0] == counts[1]
