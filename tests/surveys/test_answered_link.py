"""Opening an answered link again, within the edit window: the page says
the answer is saved and shows it (score chosen, comment filled in), in the
customer's language; a click in the mail on another score says what is
recorded and waits for the Submit button."""

from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.test import Client

from surveys import tokens
from surveys.models import Invitation, SurveyResponse
from tests.factories import InvitationFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.now(datetime(2027, 3, 2, 10, tzinfo=UTC)),
]

SAVED = "Thank you, your answer is saved. You can change it below."


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def link(invitation: Invitation) -> str:
    return f"/s/{tokens.token_for(invitation.nonce)}/"


def answered(client: Client, language: str = "en") -> Invitation:
    invitation = InvitationFactory.create(
        interaction__customer__language=language, status=Invitation.Status.SENT
    )
    client.post(link(invitation), {"score": "7", "comment": "Slow but kind"})
    assert SurveyResponse.objects.get(invitation=invitation).score == 7
    return invitation


def status_of(page: str) -> str:
    return page.split('id="status" role="status" aria-live="polite">')[1].split("<")[0]


def test_an_answered_link_says_the_answer_is_saved_and_shows_it(client):
    invitation = answered(client)

    page = client.get(link(invitation)).content.decode()

    assert status_of(page) == f"{SAVED} Your answer: 7."
    assert 'id="score-7" value="7" checked>' in page
    assert page.count(" checked>") == 1
    assert "Slow but kind</textarea>" in page
    assert 'data-auto-submit="false"' in page


def test_a_click_on_another_score_says_what_is_recorded_and_changes_nothing(
    client,
):
    invitation = answered(client)

    page = client.get(link(invitation) + "?score=9").content.decode()

    assert status_of(page) == (
        f"{SAVED} Your recorded answer is 7. Submit to change it to 9."
    )
    assert 'id="score-9" value="9" checked>' in page
    assert 'data-auto-submit="false"' in page
    assert SurveyResponse.objects.get(invitation=invitation).score == 7


def test_an_unanswered_link_has_no_acknowledgement(client):
    invitation = InvitationFactory.create(status=Invitation.Status.SENT)

    page = client.get(link(invitation) + "?score=9").content.decode()

    assert status_of(page) == ""
    assert 'data-auto-submit="true"' in page


def test_the_acknowledgement_is_in_the_customer_s_language(client):
    invitation = answered(client, language="zh-hans")

    page = client.get(link(invitation)).content.decode()

    # "Your answer: 7." is in the catalogue; the new sentence before it
    # falls back to English until `make messages` adds it.
    assert status_of(page).endswith("您的回答：7。")
