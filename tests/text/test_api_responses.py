"""The answers API shows the reading of each comment: `analysis`, null
without a comment or while an edited comment waits to be read again, at a
constant number of queries, and documented in the schema."""

from typing import Any

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from surveys.models import SurveyResponse
from tests.api import bearer, ids
from tests.factories import SurveyResponseFactory, UserFactory
from text import services
from text.models import CommentAnalysis, CommentTheme, Theme
from text.serializers import analysis_data

pytestmark = pytest.mark.django_db

RESPONSES = "/api/v1/responses/"
RUDE = "The agent was rude and nobody solved my problem."


def answered(comment: str, *, score: int = 2) -> SurveyResponse:
    response = SurveyResponseFactory.create(score=score, comment=comment)
    services.enrich_comment(response.pk)
    return response


def shown(client: APIClient, response: SurveyResponse) -> Any:
    answer = client.get(f"{RESPONSES}{response.pk}/")
    assert answer.status_code == 200
    return answer.json()["analysis"]


def test_an_answer_carries_the_reading_of_its_comment(manager_api):
    response = answered(RUDE)
    stored = CommentAnalysis.objects.get(response=response)
    theme_spans = dict(
        CommentTheme.objects.filter(analysis=stored).values_list("theme__key", "spans")
    )

    analysis = shown(manager_api, response)

    assert analysis == {
        "language": "en",
        "sentiment": "negative",
        "sentiment_score": stored.score,
        "analysed_label": "negative",
        "needs_review": False,
        "themes": [
            {"key": "problem_solved", "name": "problem solved"},
            {"key": "staff_attitude", "name": "staff attitude"},
        ],
        "keywords": stored.keywords,
        "spans": {
            "sentiment": stored.spans,
            "themes": {
                key: [[start, end] for start, end, _ in spans]
                for key, spans in theme_spans.items()
            },
        },
    }
    assert -1 <= analysis["sentiment_score"] < 0
    themed = analysis["spans"]["themes"]
    assert [RUDE[start:end] for start, end in themed["staff_attitude"]] == ["rude"]
    assert [RUDE[start:end] for start, end in themed["problem_solved"]] == ["solved"]


def test_an_answer_without_a_comment_has_no_analysis(manager_api):
    response = answered("")

    assert shown(manager_api, response) is None
    assert not CommentAnalysis.objects.exists()


def test_an_edited_comment_shows_no_analysis_until_it_is_read_again(manager_api):
    response = answered(RUDE)
    SurveyResponse.objects.filter(pk=response.pk).update(comment="Lovely staff.")

    assert shown(manager_api, response) is None

    services.enrich_comment(response.pk)
    analysis = shown(manager_api, response)
    assert (analysis["sentiment"], analysis["themes"]) == (
        "positive",
        [{"key": "staff_attitude", "name": "staff attitude"}],
    )
    assert analysis["spans"]["themes"] == {"staff_attitude": [[0, 6], [7, 12]]}


def test_a_staff_correction_is_the_sentiment_and_the_analysed_label_stays(
    manager_api,
):
    response = answered(RUDE)
    stored = CommentAnalysis.objects.get(response=response)
    services.correct_sentiment(
        stored, label="mixed", by=UserFactory.create(), now=timezone.now()
    )

    analysis = shown(manager_api, response)

    assert (analysis["sentiment"], analysis["analysed_label"]) == (
        "mixed",
        "negative",
    )


def test_a_theme_staff_took_away_is_not_listed(manager_api):
    response = answered(RUDE)
    stored = CommentAnalysis.objects.get(response=response)
    services.correct_themes(
        stored,
        themes=[Theme.objects.get(key="staff_attitude")],
        by=UserFactory.create(),
        now=timezone.now(),
    )

    analysis = shown(manager_api, response)

    assert analysis["themes"] == [{"key": "staff_attitude", "name": "staff attitude"}]
    assert list(analysis["spans"]["themes"]) == ["staff_attitude"]
    assert CommentTheme.objects.get(theme__key="problem_solved").is_present is False


def test_a_contradiction_of_the_score_needs_review(manager_api):
    response = answered(RUDE, score=10)

    assert shown(manager_api, response)["needs_review"] is True


def test_theme_names_are_in_the_requests_language(manager):
    response = answered("快递太慢了，等了一个星期。", score=3)
    client = bearer(manager)

    analysis = client.get(
        f"{RESPONSES}{response.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).json()["analysis"]

    assert analysis["language"] == "zh"
    assert analysis["themes"] == [
        {"key": "delivery", "name": "物流"},
        {"key": "waiting_time", "name": "响应速度"},
    ]


def test_the_list_runs_the_same_queries_for_5_answers_as_for_50(
    manager, django_assert_max_num_queries, django_assert_num_queries
):
    comments = [RUDE, "Price is fine but delivery was late.", "", "12345"]
    for number in range(52):
        answered(comments[number % len(comments)])
    client = bearer(manager)
    client.get(RESPONSES, {"page_size": "5"})  # warms the content types' cache
    with django_assert_max_num_queries(10) as small:
        five = client.get(RESPONSES, {"page_size": "5"})

    with django_assert_num_queries(len(small.captured_queries)):
        fifty = client.get(RESPONSES, {"page_size": "50"})

    assert (len(ids(five)), len(ids(fifty))) == (5, 50)
    themed = [row for row in fifty.json()["results"] if row["analysis"]]
    # The first 50 of 52: 13 rude, 13 mixed, 12 without a comment, 12 digits.
    assert len(themed) == 13 + 13 + 12
    assert sum(len(row["analysis"]["themes"]) for row in themed) == 2 * 13 + 2 * 13


def test_a_rereading_that_changes_nothing_visible_gives_the_same_data():
    response = answered(RUDE)
    before = analysis_data(CommentAnalysis.objects.get(response=response))
    Theme.objects.create(key="parking", name_en="parking", keywords_en="parking")

    reread = services.enrich_comment(response.pk)

    assert reread is not None
    assert reread.dictionary_digest == services.current_dictionary().digest
    assert analysis_data(reread) == before


def test_a_rereading_that_finds_a_new_theme_gives_other_data():
    response = answered(RUDE)
    before = analysis_data(CommentAnalysis.objects.get(response=response))
    Theme.objects.create(key="agents", name_en="agents", keywords_en="agent")

    after = analysis_data(services.enrich_comment(response.pk))

    assert before is not None
    assert after == {
        **before,
        "themes": [
            {"key": "agents", "name": "agents"},
            *before["themes"],
        ],
        "spans": {
            "sentiment": before["spans"]["sentiment"],
            "themes": {"agents": [[4, 9]], **before["spans"]["themes"]},
        },
    }


def test_no_analysis_gives_no_data():
    assert analysis_data(None) is None


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        document: dict[str, Any] = SchemaGenerator().get_schema(public=True)
    return document


def test_the_schema_documents_the_analysis_of_an_answer(schema):
    components = schema["components"]["schemas"]
    analysis = components["SurveyResponse"]["properties"]["analysis"]

    assert analysis["nullable"] is True
    assert analysis["allOf"] == [{"$ref": "#/components/schemas/CommentAnalysis"}]
    assert list(components["CommentAnalysis"]["properties"]) == [
        "language",
        "sentiment",
        "sentiment_score",
        "analysed_label",
        "needs_review",
        "themes",
        "keywords",
        "spans",
    ]
    assert list(components["CommentSpans"]["properties"]) == ["sentiment", "themes"]
    assert list(components["CommentTheme"]["properties"]) == ["key", "name"]


def test_the_schema_documents_the_filters_on_the_reading(schema):
    parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in schema["paths"][RESPONSES]["get"]["parameters"]
    }

    assert parameters["sentiment"]["enum"] == [
        "mixed",
        "negative",
        "neutral",
        "positive",
    ]
    assert parameters["comment_language"]["enum"] == ["en", "unknown", "zh"]
    assert parameters["needs_review"] == {"type": "boolean"}
    assert parameters["theme"] == {"type": "string"}
