from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from surveys.models import Invitation, SurveyResponse
from surveys.services import answers
from tests.factories import (
    CompanyFactory,
    CustomerFactory,
    InteractionFactory,
    InvitationFactory,
    SurveyFactory,
    TouchpointFactory,
    UserFactory,
)

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
ANNOUNCED: list[tuple[int, bool]] = []

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def remember(*, response, created, previous):
    """A response_recorded handler for the tests."""
    ANNOUNCED.append((response.pk, created))


@pytest.fixture
def announced(settings):
    ANNOUNCED.clear()
    settings.HOOKS = {
        **settings.HOOKS,
        "response_recorded": ["tests.surveys.test_answers.remember"],
    }
    return ANNOUNCED


def sent(kind="nps", **fields):
    values = {
        "survey": SurveyFactory.create(kind=kind),
        "status": "sent",
        "sent_at": NOW - timedelta(hours=1),
        "expires_at": NOW + timedelta(days=29),
        "next_reminder_at": NOW + timedelta(days=2),
    }
    return InvitationFactory.create(**{**values, **fields})


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("nps", [0, 10], [-1, 11]),
        ("csat", [1, 5], [0, 6]),
        ("ces", [1, 7], [0, 8]),
    ],
)
def test_scores_are_checked_against_the_kinds_scale(kind, good, bad):
    for score in [*bad, True, "5", 5.0, None]:
        with pytest.raises(ValidationError, match="Choose a score"):
            answers.record_response(sent(kind), score=score)
    for score in good:
        assert answers.record_response(sent(kind), score=score).created
    assert SurveyResponse.objects.count() == 2


@pytest.mark.parametrize(
    ("kind", "score", "band"),
    [("nps", 6, "detractor"), ("nps", 8, "passive"), ("csat", 4, "promoter")],
)
def test_the_band_is_computed(kind, score, band):
    assert answers.record_response(sent(kind), score=score).response.band == band


def test_the_answer_freezes_the_dimensions_of_its_moment():
    staff = UserFactory.create(groups=["Support"])
    company = CompanyFactory.create(segment="enterprise")
    customer = CustomerFactory.create(
        company=company, segment="", stage="purchase", language="zh-hans"
    )
    touchpoint = TouchpointFactory.create(stage="usage")
    interaction = InteractionFactory.create(
        customer=customer, touchpoint=touchpoint, channel="chat", logged_by=staff
    )
    invitation = sent(customer=customer, interaction=interaction)

    response = answers.record_response(invitation, score=9, comment=" Great ").response
    customer.segment = "smb"
    customer.save()

    response.refresh_from_db()
    assert (
        response.kind,
        response.channel,
        response.touchpoint,
        response.stage,
        response.segment,
        response.company,
        response.staff,
        response.language,
        response.comment,
        response.answered_at,
    ) == (
        "nps",
        "chat",
        touchpoint,
        "usage",
        "enterprise",
        company,
        staff,
        "zh-hans",
        "Great",
        NOW,
    )
    invitation.refresh_from_db()
    assert (invitation.status, invitation.answered_at) == ("answered", NOW)
    assert invitation.next_reminder_at is None


def test_recording_the_same_answer_twice_stores_it_once(announced):
    invitation = sent()

    first = answers.record_response(invitation, score=3)
    second = answers.record_response(invitation, score=3)

    assert (first.created, second.created, second.changed) == (True, False, False)
    assert SurveyResponse.objects.count() == 1
    assert announced == [(first.response.pk, True)]


def test_the_answer_can_change_within_the_edit_window(announced, clock):
    invitation = sent()
    first = answers.record_response(invitation, score=3)

    clock.move_to(NOW + timedelta(hours=23, minutes=59))
    changed = answers.record_response(invitation, score=8, comment="Fixed now")

    assert changed.changed
    response = SurveyResponse.objects.get()
    assert (response.score, response.band, response.comment) == (
        8,
        "passive",
        "Fixed now",
    )
    assert response.answered_at == NOW  # the first answer's time stays
    assert announced == [(first.response.pk, True), (first.response.pk, False)]


def test_a_score_alone_keeps_the_comment():
    invitation = sent()
    answers.record_response(invitation, score=3, comment="Slow")

    answers.record_response(invitation, score=4)

    assert SurveyResponse.objects.get().comment == "Slow"


def test_after_the_edit_window_nothing_changes(announced, clock):
    invitation = sent()
    answers.record_response(invitation, score=3, comment="Slow")

    clock.move_to(NOW + timedelta(hours=24, seconds=1))
    late = answers.record_response(invitation, score=10, comment="Changed my mind")

    assert not late.changed
    response = SurveyResponse.objects.get()
    assert (response.score, response.comment) == (3, "Slow")
    assert len(announced) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "expired"},
        {"status": "cancelled"},
        {"status": "suppressed", "suppressed_reason": "throttled", "sent_at": None},
        {"status": "scheduled", "sent_at": None},
        {"expires_at": NOW},
    ],
)
def test_a_closed_invitation_cannot_be_answered(fields):
    invitation = sent(**fields)

    with pytest.raises(ValidationError, match="no longer be answered"):
        answers.record_response(invitation, score=9)
    assert SurveyResponse.objects.count() == 0


@pytest.mark.parametrize(
    ("comment", "message"),
    [("a\x00b", "not allowed"), ("x" * 5001, "under 5000")],
)
def test_a_bad_comment_is_refused(comment, message):
    invitation = sent()

    with pytest.raises(ValidationError, match=message):
        answers.record_response(invitation, score=9, comment=comment)
    assert SurveyResponse.objects.count() == 0


def test_opening_is_noted_once():
    invitation = sent()

    answers.note_opened(invitation, now=NOW)
    answers.note_opened(
        Invitation.objects.get(pk=invitation.pk), now=NOW + timedelta(hours=1)
    )

    invitation.refresh_from_db()
    assert invitation.opened_at == NOW


@pytest.mark.parametrize(
    "token",
    ["", "abc", "g" * 64, "A" * 64, "0" * 63, "0" * 65, "０" * 64, "../" * 22],
)
def test_a_malformed_token_finds_nothing(token, django_assert_num_queries):
    sent()
    with django_assert_num_queries(0):
        assert answers.find_by_token(token) is None


def test_an_unknown_token_finds_nothing():
    sent()
    assert answers.find_by_token("0" * 64) is None
