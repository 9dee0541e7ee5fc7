"""The answer page of an answer someone has followed up (its case contacted
or closed): it shows the answer as recorded, says why it can no longer change,
and takes no change, in the customer's language."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.test import Client

from feedback.models import Case
from feedback.services import cases
from surveys import tokens
from surveys.models import Invitation, SurveyResponse
from surveys.services import answers
from tests.factories import CustomerFactory, InvitationFactory, SurveyFactory

NOW = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
FOLLOWED_UP = (
    "Someone from our team has already followed up on your answer, "
    "so it can no longer be changed."
)
FOLLOWED_UP_IN_CHINESE = "我们的团队已经跟进了您的回答，因此无法再修改。"

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    """The rate limit counts per client and minute in the cache."""
    cache.clear()
    yield
    cache.clear()


def link(invitation: Invitation) -> str:
    return f"/s/{tokens.token_for(invitation.nonce)}/"


def followed_up_answer(manager, *, language: str = "en") -> Invitation:
    """A detractor's answer whose case a manager has just contacted."""
    invitation = InvitationFactory.create(
        survey=SurveyFactory.create(kind="nps"),
        customer=CustomerFactory.create(language=language),
        interaction=None,
        status="sent",
        sent_at=NOW - timedelta(hours=1),
        expires_at=NOW + timedelta(days=29),
    )
    answers.record_response(invitation, score=2, comment="Nobody called me back")
    case = Case.objects.get(response__invitation=invitation)
    cases.record_contact(case, by=manager, channel="phone", note="Called")
    return invitation


def test_a_followed_up_answer_is_shown_as_recorded_and_takes_no_change(
    client: Client, manager
):
    invitation = followed_up_answer(manager)

    clicked = client.get(link(invitation) + "?score=9")
    posted = client.post(link(invitation), {"score": "9", "comment": "All good"})
    scripted = client.post(
        link(invitation), {"score": "9"}, headers={"accept": "application/json"}
    )

    for page in [clicked, posted]:
        html = page.content.decode()
        assert page.status_code == 200
        assert "Your answer: 2." in html
        assert "Nobody called me back" in html
        assert FOLLOWED_UP in html
        assert "answer-form" not in html
        assert "Change your answer" not in html
    assert scripted.status_code == 409
    assert scripted.json() == {"saved": False, "score": 2, "message": FOLLOWED_UP}
    response = SurveyResponse.objects.get()
    assert (response.score, response.comment) == (2, "Nobody called me back")


def test_the_followed_up_page_speaks_the_customer_s_language(client: Client, manager):
    invitation = followed_up_answer(manager, language="zh-hans")

    page = client.get(link(invitation) + "?score=9", headers={"accept-language": "en"})

    html = page.content.decode()
    assert '<html lang="zh-Hans">' in html
    assert "您的回答：2。" in html
    assert FOLLOWED_UP_IN_CHINESE in html
