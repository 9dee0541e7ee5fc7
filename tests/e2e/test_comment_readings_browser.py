"""What customers say, in a real browser: a manager reads the dashboard's
themes, opens the answers of one, and sees the words behind each reading
marked; the case page marks them too."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from feedback.models import Case
from surveys.models import Kind
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.factories import SurveyFactory, SurveyResponseFactory, UserFactory
from text import services
from text.models import Theme

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# (score, comment, about delivery)
COMMENTS = [
    (2, "The courier lost my parcel and nobody called me back.", True),
    (3, "Delivery took three weeks, which is unacceptable.", True),
    (9, "The agent was friendly and solved my billing problem quickly.", False),
    (10, "Great support, very patient and helpful.", False),
    (1, "快递太慢了，客服态度也很差。", True),
    (8, "退款很快到账，服务很专业。", False),
]
ANSWERS = 40
ABOUT_DELIVERY = sum(COMMENTS[number % len(COMMENTS)][2] for number in range(ANSWERS))


@pytest.fixture
def readings():
    """ANSWERS answers with comments over the last weeks, read."""
    survey = SurveyFactory.create(name="Support NPS", kind=Kind.NPS)
    now = timezone.now()
    for number in range(ANSWERS):
        score, comment, _about_delivery = COMMENTS[number % len(COMMENTS)]
        response = SurveyResponseFactory.create(
            invitation__survey=survey,
            score=score,
            comment=comment,
            answered_at=now - timedelta(days=1 + number),
        )
        services.enrich_comment(response.pk)


def test_a_manager_reads_the_themes_and_the_marked_comments(
    page, live_server, readings
):
    UserFactory.create(username="mia", groups=["Manager"])
    log_in(page, live_server, "mia")

    page.goto(f"{live_server.url}/dashboard/")

    themes = page.locator("#themes-by-volume")
    expect(themes).to_be_visible()
    delivery = themes.locator(
        f"tr[data-theme='{Theme.objects.get(key='delivery').pk}']"
    )
    expect(delivery.locator("td.n")).to_have_text(str(ABOUT_DELIVERY))
    page.locator("#themes").screenshot(path=str(SCREENSHOTS / "dashboard-themes.png"))
    page.locator("#sentiment").screenshot(
        path=str(SCREENSHOTS / "dashboard-sentiment.png")
    )

    delivery.get_by_role("link").click()

    marks = page.locator("td.comment mark")
    expect(marks.first).to_be_visible()
    assert "parcel" in page.locator("td.comment").first.inner_text() or (
        "快递" in page.locator("td.comment").first.inner_text()
    )
    page.screenshot(path=str(SCREENSHOTS / "answers-marked.png"), full_page=True)


def test_the_case_page_marks_the_words_behind_the_reading(page, live_server):
    owner = UserFactory.create(username="li.na", groups=["Support"])
    response = SurveyResponseFactory.create(
        score=2, comment="The courier was rude and my parcel is still missing."
    )
    case = Case.objects.create(
        customer=response.customer,
        response=response,
        kind=response.kind,
        reason=Case.Reason.DETRACTOR,
        owner=owner,
        due_at=timezone.now() + timedelta(hours=4),
    )
    services.enrich_comment(response.pk)
    log_in(page, live_server, "li.na")

    page.goto(f"{live_server.url}/admin/feedback/case/{case.pk}/change/")

    expect(page.locator(".case-quote mark.comment-negative")).to_have_text(
        ["rude", "missing"]
    )
    expect(page.locator(".case-reading")).to_contain_text("Sentiment: negative")
    page.locator(".case-quote").screenshot(
        path=str(SCREENSHOTS / "case-comment-marked.png")
    )
