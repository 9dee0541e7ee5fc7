"""A customer opens an answered link again, in a real browser: the page says
the answer is saved where the blank status line was, and shows it."""

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from surveys import tokens
from surveys.models import Invitation, SurveyResponse
from surveys.services import answers
from tests.e2e.conftest import SCREENSHOTS
from tests.factories import CustomerFactory, InvitationFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SAVED = "Thank you, your answer is saved. You can change it below."


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def answered_invitation() -> Invitation:
    invitation = InvitationFactory.create(
        interaction__customer=CustomerFactory.create(language="en"),
        status=Invitation.Status.SENT,
    )
    answers.record_response(invitation, score=7, comment="Slow but kind")
    return invitation


def test_reopening_an_answered_link_shows_the_saved_answer(page, live_server):
    invitation = answered_invitation()
    link = f"{live_server.url}/s/{tokens.token_for(invitation.nonce)}/"

    page.goto(link)

    expect(page.locator("#status")).to_be_visible()
    expect(page.locator("#status")).to_have_text(f"{SAVED} Your answer: 7.")
    expect(page.locator("#score-7")).to_be_checked()
    expect(page.locator("#id_comment")).to_have_value("Slow but kind")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(
        path=str(SCREENSHOTS / "answer-page-answered-link.png"), full_page=True
    )


def test_a_mail_click_on_another_score_waits_for_submit(page, live_server):
    invitation = answered_invitation()
    link = f"{live_server.url}/s/{tokens.token_for(invitation.nonce)}/"

    page.goto(f"{link}?score=9")

    expect(page.locator("#status")).to_have_text(
        f"{SAVED} Your recorded answer is 7. Submit to change it to 9."
    )
    expect(page.locator("#score-9")).to_be_checked()
    page.wait_for_timeout(1000)
    assert SurveyResponse.objects.get(invitation=invitation).score == 7

    page.get_by_role("button", name="Submit").click()

    expect(page.locator("#thanks")).to_be_visible()
    assert SurveyResponse.objects.get(invitation=invitation).score == 9
