"""Mail in a real browser, under the site's Content-Security-Policy (the page
fixture fails a test on any violation): the survey's mail preview shows the
HTML part inside its frame as a mail client shows it, in both languages; a
manager finds the mail written to files and downloads one."""

from pathlib import Path

import pytest
from django.core.mail import EmailMessage
from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.factories import SurveyFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The width mail clients give a message's body (Gmail, Outlook: ~600–700 px).
MAIL_WIDTH = range(600, 701)


def log_in_as_a_manager(page, live_server) -> None:
    UserFactory.create(username="mia.manager", groups=["Manager"])
    log_in(page, live_server, "mia.manager")


def frame_measures(page) -> dict[str, float]:
    """The frame's box and its document's height (the sandbox lets the page
    read it: same origin, no scripts)."""
    return page.locator("iframe.mail-html").evaluate(
        """frame => ({
            width: frame.getBoundingClientRect().width,
            height: frame.clientHeight,
            content: frame.contentDocument.documentElement.scrollHeight,
        })"""
    )


def assert_text_part_wraps(page) -> None:
    text = page.locator("pre.mail-text")
    box = text.evaluate(
        "pre => ({scroll: pre.scrollWidth, client: pre.clientWidth,"
        " right: pre.getBoundingClientRect().right})"
    )
    assert box["scroll"] <= box["client"], box
    assert box["right"] <= page.viewport_size["width"], box


@pytest.mark.parametrize("width", [1280, 420])
def test_the_preview_shows_the_html_mail_in_both_languages(page, live_server, width):
    page.set_viewport_size({"width": width, "height": 900})
    survey = SurveyFactory.create(name="After support", kind="csat")
    log_in_as_a_manager(page, live_server)

    page.goto(f"{live_server.url}/admin/surveys/survey/{survey.pk}/change/")
    page.get_by_role("link", name="English").click()

    mail = page.frame_locator("iframe.mail-html")
    expect(mail.get_by_text("How satisfied were you")).to_be_visible()
    expect(mail.get_by_role("link", name="5", exact=True)).to_be_visible()
    expect(mail.get_by_role("link", name="Unsubscribe")).to_be_visible()
    measures = frame_measures(page)
    if width > 700:
        assert int(measures["width"]) in MAIL_WIDTH, measures
    # The frame fits its content: no scrollbar inside it.
    assert measures["content"] <= measures["height"] <= measures["content"] + 4
    assert_text_part_wraps(page)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(
        path=str(SCREENSHOTS / f"mail-preview-en-{width}.png"), full_page=True
    )

    page.get_by_role("link", name="简体中文").click()

    expect(mail.get_by_text("满意程度")).to_be_visible()
    expect(mail.get_by_role("link", name="退订")).to_be_visible()
    measures = frame_measures(page)
    assert measures["content"] <= measures["height"] <= measures["content"] + 4
    assert_text_part_wraps(page)
    page.screenshot(
        path=str(SCREENSHOTS / f"mail-preview-zh-{width}.png"), full_page=True
    )


def test_a_manager_downloads_a_mail_from_the_admin_home(
    page, live_server, settings, tmp_path
):
    settings.EMAIL_BACKEND = "lib.mailfiles.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    EmailMessage("Your survey 王芳", "Hello", to=["wang.fang@example.cn"]).send()
    [written] = tmp_path.iterdir()
    log_in_as_a_manager(page, live_server)

    page.get_by_role("link", name="Recent mail").click()
    row = page.locator("#mail-files tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("wang.fang@example.cn")
    expect(row).to_contain_text("Your survey 王芳")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "recent-mail.png"), full_page=True)
    with page.expect_download() as download:
        row.get_by_role("link", name=written.name).click()

    assert download.value.suggested_filename == written.name
    assert Path(download.value.path()).read_bytes() == written.read_bytes()
