"""A customer answers from the link in a received mail, in a real browser."""

import html
import re
import time

import pytest
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from surveys.models import Invitation, SurveyResponse
from surveys.services.sending import render_invitation
from tests.e2e.conftest import SCREENSHOTS
from tests.factories import CustomerFactory, InvitationFactory

# serialized_rollback: the flush after the test must not take the roles and
# root causes that migrations made away from the tests that run after it.
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Screenshots to look at: the answer page and the mail as a client shows it.

# The keyboard focus ring of base.html: 3px solid #f59e0b.
FOCUS_RING = ("solid", "3px", "rgb(245, 158, 11)")


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def sent_invitation(**customer_fields) -> Invitation:
    customer = CustomerFactory.create(**customer_fields)
    return InvitationFactory.create(
        interaction__customer=customer, status=Invitation.Status.SENT
    )


def mail_html(invitation: Invitation) -> str:
    message = render_invitation(invitation)
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return str(content)


def score_link(mail: str, score: int) -> str:
    """The href of the mail's button for `score`."""
    hrefs = [html.unescape(href) for href in re.findall(r'href="([^"]+)"', mail)]
    [link] = [href for href in hrefs if href.endswith(f"?score={score}")]
    return link


def wait_for_response(invitation: Invitation, timeout: float = 10) -> SurveyResponse:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = SurveyResponse.objects.filter(invitation=invitation).first()
        if response is not None:
            return response
        time.sleep(0.1)
    raise AssertionError(f"no answer stored within {timeout} s")


def outline_of(page, selector: str) -> tuple[str, str, str]:
    style = page.eval_on_selector(
        selector,
        "element => { const s = getComputedStyle(element);"
        " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }",
    )
    return (style[0], style[1], style[2])


def answer_with_keyboard(page, comment: str) -> None:
    """Type the comment, show that the chosen score has a visible focus ring
    when reached with the keyboard, and submit with the keyboard."""
    page.locator("#id_comment").focus()
    page.keyboard.type(comment)
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "score-9"
    assert outline_of(page, "label[for=score-9]") == FOCUS_RING
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    assert outline_of(page, "#answer-form button[type=submit]") == FOCUS_RING
    page.keyboard.press("Enter")


def test_a_customer_answers_from_the_mail_and_adds_a_comment(
    page, live_server, settings
):
    settings.SITE_URL = live_server.url
    invitation = sent_invitation(name="Ada Lovelace", email="ada@example.com")
    mail = mail_html(invitation)

    page.goto(score_link(mail, 9))

    expect(page.locator("#score-9")).to_be_checked()
    expect(page.locator("input[name=score]:checked")).to_have_count(1)
    response = wait_for_response(invitation)
    assert (response.score, response.comment) == (9, "")
    expect(page.locator("#status")).to_have_text(
        "Thank you, your answer is saved. You can add a comment below."
    )
    page.screenshot(path=str(SCREENSHOTS / "answer-page.png"), full_page=True)
    answer_with_keyboard(page, "Quick and friendly help.")

    expect(page.locator("#thanks")).to_have_text("Thank you for your answer!")
    assert "Quick and friendly help." in page.locator("blockquote").inner_text()
    [response] = SurveyResponse.objects.filter(invitation=invitation)
    assert (response.score, response.comment) == (9, "Quick and friendly help.")
    assert SurveyResponse.objects.count() == 1
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ANSWERED

    mail_page = page.context.new_page()
    mail_page.set_content(mail)
    mail_page.screenshot(path=str(SCREENSHOTS / "mail.png"), full_page=True)
    mail_page.close()


def test_a_chinese_customer_answers_in_chinese(page, live_server, settings):
    settings.SITE_URL = live_server.url
    invitation = sent_invitation(
        name="王芳", email="wang.fang@example.cn", language="zh-hans"
    )
    mail = mail_html(invitation)
    with translation.override("zh-hans"):
        submit = gettext("Submit")
        saved = gettext("Thank you, your answer is saved. You can add a comment below.")
        thanks = gettext("Thank you for your answer!")
        question = invitation.survey.question_in("zh-hans")
    # The catalog has the page's texts: the assertions below are on Chinese.
    assert submit != "Submit"
    assert thanks != "Thank you for your answer!"
    assert not question.startswith("How likely")
    assert 'lang="zh-Hans"' in mail
    assert question in mail

    page.goto(score_link(mail, 9))

    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("legend")).to_have_text(question)
    expect(page.locator("#answer-form").get_by_role("button")).to_have_text(submit)
    expect(page.locator("#score-9")).to_be_checked()
    assert wait_for_response(invitation).score == 9
    expect(page.locator("#status")).to_have_text(saved)
    answer_with_keyboard(page, "服务很好，谢谢！")

    expect(page.locator("#thanks")).to_have_text(thanks)
    [response] = SurveyResponse.objects.filter(invitation=invitation)
    assert (response.score, response.comment, response.language) == (
        9,
        "服务很好，谢谢！",
        "zh-hans",
    )


def test_without_javascript_only_the_submit_button_answers(
    browser, live_server, settings
):
    settings.SITE_URL = live_server.url
    invitation = sent_invitation()
    link = score_link(mail_html(invitation), 9)
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)

    try:
        page.goto(link)
        expect(page.locator("#score-9")).to_be_checked()
        page.wait_for_timeout(1000)
        assert not SurveyResponse.objects.exists()

        page.get_by_role("button", name="Submit").click()

        expect(page.locator("#thanks")).to_have_text("Thank you for your answer!")
    finally:
        context.close()
    [response] = SurveyResponse.objects.all()
    assert (response.invitation_id, response.score) == (invitation.pk, 9)
