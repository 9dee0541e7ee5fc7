"""The answers API filters on the reading of their comments: sentiment (a
correction first), theme, the comment's language and review; a bad value is
a 400 naming the parameter."""

import pytest
from django.utils import timezone

from surveys.models import SurveyResponse
from tests.api import ids
from tests.factories import SurveyResponseFactory, UserFactory
from text import services
from text.models import CommentAnalysis, Theme

pytestmark = pytest.mark.django_db

RESPONSES = "/api/v1/responses/"
RUDE = "The agent was rude and nobody solved my problem."
LOVELY = "Lovely staff, very helpful."
LATE = "Price is fine but delivery was late."
CHINESE = "快递太慢了，等了一个星期。"


def answered(comment: str, *, score: int = 2) -> SurveyResponse:
    response = SurveyResponseFactory.create(score=score, comment=comment)
    services.enrich_comment(response.pk)
    return response


@pytest.fixture
def answers() -> dict[str, SurveyResponse]:
    return {
        "rude": answered(RUDE),
        "rude_promoter": answered(RUDE, score=10),
        "lovely": answered(LOVELY, score=10),
        "late": answered(LATE, score=7),
        "chinese": answered(CHINESE, score=3),
        "digits": answered("12345", score=9),
        "silent": answered("", score=9),
    }


def listed(client, **params: str) -> list[int]:
    response = client.get(RESPONSES, params)
    assert response.status_code == 200
    return ids(response)


def pks(answers: dict[str, SurveyResponse], *names: str) -> list[int]:
    return sorted(answers[name].pk for name in names)


def test_sentiment_lists_the_answers_read_so(manager_api, answers):
    assert listed(manager_api, sentiment="negative") == pks(
        answers, "rude", "rude_promoter", "chinese"
    )
    assert listed(manager_api, sentiment="mixed") == pks(answers, "late")


def test_a_staff_correction_decides_the_sentiment_filter(manager_api, answers):
    services.correct_sentiment(
        CommentAnalysis.objects.get(response=answers["rude"]),
        label="neutral",
        by=UserFactory.create(),
        now=timezone.now(),
    )

    assert listed(manager_api, sentiment="negative") == pks(
        answers, "rude_promoter", "chinese"
    )
    assert listed(manager_api, sentiment="neutral") == pks(answers, "rude", "digits")


def test_theme_lists_the_answers_that_mention_it(manager_api, answers):
    assert listed(manager_api, theme="staff_attitude") == pks(
        answers, "rude", "rude_promoter", "lovely"
    )
    assert listed(manager_api, theme="delivery") == pks(answers, "late", "chinese")


def test_a_theme_staff_took_away_no_longer_lists_the_answer(manager_api, answers):
    services.correct_themes(
        CommentAnalysis.objects.get(response=answers["rude"]),
        themes=[],
        by=UserFactory.create(),
        now=timezone.now(),
    )

    assert listed(manager_api, theme="staff_attitude") == pks(
        answers, "rude_promoter", "lovely"
    )


def test_a_theme_no_comment_mentions_lists_nothing(manager_api, answers):
    Theme.objects.create(key="parking", name_en="parking", keywords_en="parking")

    assert listed(manager_api, theme="parking") == []


def test_comment_language_lists_the_comments_in_it(manager_api, answers):
    assert listed(manager_api, comment_language="zh") == pks(answers, "chinese")
    assert listed(manager_api, comment_language="unknown") == pks(answers, "digits")


def test_needs_review_lists_the_contradictions_and_false_the_others(
    manager_api, answers
):
    assert listed(manager_api, needs_review="true") == pks(answers, "rude_promoter")
    assert listed(manager_api, needs_review="false") == pks(
        answers, "rude", "lovely", "late", "chinese", "digits"
    )


def test_filters_combine_with_each_other_and_with_the_answers_own(manager_api, answers):
    assert listed(
        manager_api, theme="staff_attitude", sentiment="negative", band="detractor"
    ) == pks(answers, "rude")


def test_an_edited_comment_matches_no_filter_until_it_is_read_again(
    manager_api, answers
):
    SurveyResponse.objects.filter(pk=answers["chinese"].pk).update(comment=LOVELY)

    assert listed(manager_api, comment_language="zh") == []
    assert listed(manager_api, sentiment="negative") == pks(
        answers, "rude", "rude_promoter"
    )

    services.enrich_comment(answers["chinese"].pk)
    assert listed(manager_api, sentiment="positive") == pks(
        answers, "lovely", "chinese"
    )


@pytest.mark.parametrize(
    ("parameter", "value", "message"),
    [
        (
            "sentiment",
            "angry",
            "Select a valid choice. angry is not one of the available choices.",
        ),
        (
            "theme",
            "no_such_theme",
            "Select a valid choice. That choice is not one of the available choices.",
        ),
        (
            "comment_language",
            "zh-hans",
            "Select a valid choice. zh-hans is not one of the available choices.",
        ),
        ("needs_review", "yes", 'Enter "true" or "false".'),
    ],
)
def test_a_bad_value_is_a_400_naming_the_parameter(
    manager_api, answers, parameter, value, message
):
    before = list(CommentAnalysis.objects.order_by("pk").values())

    response = manager_api.get(RESPONSES, {parameter: value})

    assert response.status_code == 400
    assert response.json() == {parameter: [message]}
    assert list(CommentAnalysis.objects.order_by("pk").values()) == before
