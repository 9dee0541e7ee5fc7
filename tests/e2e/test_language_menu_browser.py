"""The language menu in a real browser, under the Content-Security-Policy (no
script: a select and a button): a staff member switches the admin to Chinese
and finds it so on another browser; a customer reads a Chinese survey page in
English; and every page names the site's icon, which the site has (without
one, a browser asks for /favicon.ico: a 404 on every page)."""

import pytest
from django.core.cache import cache
from django.utils import translation
from playwright.sync_api import expect

from feedback.models import StaffPreference
from surveys import tokens
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.factories import InvitationFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    """The survey pages count requests per client and minute."""
    cache.clear()
    yield
    cache.clear()


def switch_language(page, name: str) -> None:
    menu = page.locator("form.language-menu")
    menu.locator("select").select_option(label=name)
    with page.expect_navigation():
        menu.get_by_role("button").click()


def note_missing(response, missing: list[str]) -> None:
    if response.status == 404:
        missing.append(response.url)


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_a_staff_member_switches_to_chinese_and_it_follows_them(
    page, live_server, browser
):
    support = UserFactory.create(username="li.na", groups=["Support"])
    log_in(page, live_server, "li.na")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    switch_language(page, "简体中文")

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert page.url == f"{live_server.url}/admin/"
    expect(page.locator("#language-menu-select")).to_have_value("zh-hans")
    screenshot(page, "admin-language-menu-zh.png")
    assert StaffPreference.objects.get(user=support).language == "zh-hans"
    # Another browser, in English: the admin is Chinese once they log in.
    other = browser.new_context(locale="en-US")
    try:
        elsewhere = other.new_page()
        log_in(elsewhere, live_server, "li.na")
        expect(elsewhere.locator("html")).to_have_attribute("lang", "zh-hans")
    finally:
        other.close()


def test_a_customer_reads_a_chinese_survey_in_english(page, live_server):
    invitation = InvitationFactory.create(interaction__customer__language="zh-hans")
    link = f"{live_server.url}/s/{tokens.token_for(invitation.nonce)}/"
    page.goto(link)
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")

    switch_language(page, "English")

    assert page.url == link
    expect(page.locator("html")).to_have_attribute("lang", "en")
    with translation.override("en"):
        question = invitation.survey.question_in("en")
    expect(page.locator("legend")).to_have_text(question)
    screenshot(page, "survey-language-menu-en.png")
    page.locator("label[for=score-9]").click()
    page.locator("#answer-form button[type=submit]").click()
    expect(page.locator("#thanks")).to_have_text("Thank you for your answer!")


def test_every_page_names_an_icon_the_site_has(page, live_server):
    UserFactory.create(username="mia", groups=["Manager"])
    invitation = InvitationFactory.create()
    missing: list[str] = []
    page.on("response", lambda answer: note_missing(answer, missing))
    icons = {}

    page.goto(f"{live_server.url}/s/{tokens.token_for(invitation.nonce)}/")
    icons["survey"] = icon_of(page)
    log_in(page, live_server, "mia")
    for path in ["/admin/", "/dashboard/"]:
        page.goto(f"{live_server.url}{path}")
        icons[path] = icon_of(page)

    assert missing == []
    [icon] = set(icons.values())
    assert icon is not None
    assert icon.startswith("data:image/svg+xml,")
    # The browser draws it: an image of the icon's address has its size.
    size = page.evaluate(DRAWN_SIZE, icon)
    assert size == [32, 32]


DRAWN_SIZE = """
(address) => new Promise((resolve) => {
  const image = new Image();
  image.onload = () => resolve([image.naturalWidth, image.naturalHeight]);
  image.onerror = () => resolve(null);
  image.src = address;
})
"""


def icon_of(page) -> str | None:
    """The icon the page names (a browser asks for /favicon.ico without)."""
    page.wait_for_load_state("networkidle")
    icon = page.locator("link[rel=icon]")
    return icon.get_attribute("href") if icon.count() else None
