"""An answer under a case, in a real browser (issue 15, item 2): while the
case is open the customer may change it and the case shows both scores; once
someone has followed up, the old mail's other score changes nothing."""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from playwright.sync_api import expect

from feedback.models import Case
from feedback.services import cases
from surveys import tokens
from surveys.models import Invitation, SurveyResponse
from surveys.services import answers
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.factories import (
    CustomerFactory,
    InvitationFactory,
    SurveyFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FOLLOWED_UP = (
    "Someone from our team has already followed up on your answer, "
    "so it can no longer be changed."
)


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def detractor() -> Invitation:
    owner = UserFactory.create(username="li.na", groups=["Support"])
    invitation = InvitationFactory.create(
        survey=SurveyFactory.create(kind="nps"),
        interaction__customer=CustomerFactory.create(language="en", owner=owner),
        status=Invitation.Status.SENT,
    )
    answers.record_response(invitation, score=2, comment="Nobody called me back")
    return invitation


def link(live_server, invitation: Invitation, score: int) -> str:
    return f"{live_server.url}/s/{tokens.token_for(invitation.nonce)}/?score={score}"


def test_an_open_case_shows_the_score_that_opened_it_beside_the_new_one(
    page, live_server, detractor
):
    page.goto(link(live_server, detractor, 9))
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#thanks")).to_be_visible()

    log_in(page, live_server, "li.na")
    case = Case.objects.get(response__invitation=detractor)
    page.goto(f"{live_server.url}/admin/feedback/case/{case.pk}/change/")

    expect(page.locator(".case-score-change")).to_have_text(
        "Opened at 2 (Detractor), now 9 (Promoter)."
    )
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(
        path=str(SCREENSHOTS / "case-page-score-changed.png"), full_page=True
    )


def test_a_followed_up_answer_takes_no_change_from_the_old_mail(
    page, live_server, detractor
):
    case = Case.objects.get(response__invitation=detractor)
    owner = User.objects.get(username="li.na")
    cases.record_contact(case, by=owner, channel="phone", note="Called")

    page.goto(link(live_server, detractor, 9))

    expect(page.get_by_text(FOLLOWED_UP)).to_be_visible()
    expect(page.get_by_text("Your answer: 2.")).to_be_visible()
    expect(page.locator("blockquote")).to_have_text("Nobody called me back")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "answer-page-settled.png"), full_page=True)
    assert SurveyResponse.objects.get(invitation=detractor).score == 2
