"""response.analysed: when the reading of an answer's comment is stored,
changes or goes, subscribers get the answer as the API shows it, with
`analysis`; written in the change's transaction, and only when wanted."""

import pytest
from django.db import transaction
from django.utils import timezone

from lib import hooks
from surveys.models import SurveyResponse
from tests.api import authenticated, bearer
from tests.factories import SubscriptionFactory, SurveyResponseFactory, UserFactory
from text import services as text_services
from text.models import CommentAnalysis
from webhooks.models import Delivery, Event, Subscription

pytestmark = pytest.mark.django_db

RUDE = "The agent was rude and nobody solved my problem."


@pytest.fixture
def subscription(manager) -> Subscription:
    return SubscriptionFactory.create(owner=manager, event_types=["response.analysed"])


def answered(comment: str, *, score: int = 2) -> SurveyResponse:
    response = SurveyResponseFactory.create(score=score, comment=comment)
    text_services.enrich_comment(response.pk)
    return response


def test_a_reading_sends_the_answer_as_the_api_shows_it(
    subscription, manager, django_capture_on_commit_callbacks, queued
):
    with django_capture_on_commit_callbacks(execute=True):
        response = answered(RUDE)

    [event] = Event.objects.all()
    [delivery] = Delivery.objects.all()
    shown = bearer(manager).get(f"/api/v1/responses/{response.pk}/").json()
    assert event.type == "response.analysed"
    assert event.payload == shown
    assert (
        event.payload["id"],
        event.payload["survey"],
        event.payload["customer"],
    ) == (response.pk, response.survey_id, response.customer_id)
    assert event.payload["analysis"]["sentiment"] == "negative"
    assert [theme["key"] for theme in event.payload["analysis"]["themes"]] == [
        "problem_solved",
        "staff_attitude",
    ]
    assert (delivery.subscription, delivery.event) == (subscription, event)
    assert queued == [delivery.pk]


def test_reading_the_same_comment_again_sends_nothing_more(subscription):
    response = answered(RUDE)

    text_services.enrich_comment(response.pk)
    text_services.retag_all()

    assert Event.objects.count() == 1


def test_a_correction_sends_the_corrected_sentiment(subscription):
    response = answered(RUDE)

    text_services.correct_sentiment(
        CommentAnalysis.objects.get(response=response),
        label="neutral",
        by=UserFactory.create(),
        now=timezone.now(),
    )

    first, second = Event.objects.order_by("created_at")
    assert first.payload["analysis"]["sentiment"] == "negative"
    assert (
        second.payload["analysis"]["sentiment"],
        second.payload["analysis"]["analysed_label"],
    ) == ("neutral", "negative")


def test_a_removed_comment_sends_a_null_analysis(subscription):
    response = answered(RUDE)
    SurveyResponse.objects.filter(pk=response.pk).update(comment="")

    text_services.enrich_comment(response.pk)

    _, last = Event.objects.order_by("created_at")
    assert (last.payload["id"], last.payload["analysis"]) == (response.pk, None)
    assert not CommentAnalysis.objects.exists()


def test_nothing_is_written_without_a_subscriber_to_the_type(manager, queued):
    SubscriptionFactory.create(owner=manager, event_types=["response.updated"])
    SubscriptionFactory.create(
        owner=manager, event_types=["response.analysed"], is_active=False
    )

    answered(RUDE)

    assert (Event.objects.count(), Delivery.objects.count(), queued) == (0, 0, [])


def test_a_rolled_back_reading_sends_nothing(
    subscription, django_capture_on_commit_callbacks, queued
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        answered(RUDE)
        transaction.set_rollback(True)

    assert (Event.objects.count(), Delivery.objects.count(), queued) == (0, 0, [])


def test_the_handler_answers_the_comments_analysed_hook(subscription):
    first, second = (
        SurveyResponseFactory.create(score=2, comment=RUDE),
        SurveyResponseFactory.create(score=9, comment="Great."),
    )

    hooks.announce("comments_analysed", response_ids=[first.pk, second.pk])

    events = Event.objects.all()
    assert sorted((e.type, e.payload["id"]) for e in events) == sorted(
        [("response.analysed", first.pk), ("response.analysed", second.pk)]
    )
    assert [e.payload["analysis"] for e in events] == [None, None]


def test_a_subscription_may_ask_for_response_analysed(support):
    reply = authenticated(support).post(
        "/api/v1/webhooks/",
        {
            "url": "https://hooks.example.com/touchloop",
            "event_types": ["response.analysed"],
        },
        format="json",
    )

    assert reply.status_code == 201
    assert Subscription.objects.get().event_types == ["response.analysed"]
