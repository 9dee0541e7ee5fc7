"""A manager reads the dashboard in a real browser: the charts are drawn, a
trend point opens the answers behind it, and the Chinese page fits."""

import random
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from customers.models import Stage
from feedback.metrics.periods import period_start
from feedback.models import Case
from surveys.models import Invitation, Kind, Survey, SurveyResponse
from surveys.services import rollup
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.factories import (
    CaseFactory,
    CustomerFactory,
    InvitationFactory,
    RootCauseFactory,
    SurveyFactory,
    SurveyResponseFactory,
    TouchpointFactory,
    UserFactory,
)

# serialized_rollback: the flush after the test must not take the roles and
# root causes that migrations made away from the tests that run after it.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


TOUCHPOINTS = [
    ("Website visit", Stage.AWARENESS),
    ("Sales demo", Stage.CONSIDERATION),
    ("Checkout", Stage.PURCHASE),
    ("Onboarding call", Stage.USAGE),
    ("Support ticket", Stage.USAGE),
    ("Renewal meeting", Stage.REPURCHASE),
]
COMMENTS = [
    "Nobody called me back about my invoice.",
    "The checkout page failed twice.",
    "Support took a week to answer.",
]


def made_up_answers(count: int) -> None:
    """Twelve weeks of NPS answers over six touchpoints, three staff members
    and two segments, a few detractors with comments and cases; the same
    every run (a fixed seed)."""
    chance = random.Random(5)
    survey = SurveyFactory.create(name="Relationship NPS", kind=Kind.NPS)
    touchpoints = [
        TouchpointFactory.create(name=name, stage=stage) for name, stage in TOUCHPOINTS
    ]
    staff = [
        UserFactory.create(username=name, first_name=first, last_name=last)
        for name, first, last in [
            ("li.na", "Li", "Na"),
            ("tom.b", "Tom", "Baker"),
            ("ana.s", "Ana", "Silva"),
        ]
    ]
    now = timezone.now()
    for number in range(count):
        touchpoint = chance.choice(touchpoints)
        # Later weeks and the demo touchpoint are happier: a visible trend.
        mood = number / count + (0.3 if touchpoint.name == "Sales demo" else 0)
        score = min(10, max(0, round(chance.gauss(5 + 5 * mood, 2.5))))
        customer = CustomerFactory.create(segment=chance.choice(["smb", "enterprise"]))
        answered_at = now - timedelta(days=83 * (1 - number / count), hours=1)
        # Mailed the day before, opened an hour before the answer.
        response = SurveyResponseFactory.create(
            invitation__survey=survey,
            invitation__customer=customer,
            invitation__interaction__customer=customer,
            invitation__created_at=answered_at - timedelta(days=1),
            invitation__sent_at=answered_at - timedelta(days=1),
            invitation__opened_at=answered_at - timedelta(hours=1),
            invitation__answered_at=answered_at,
            score=score,
            answered_at=answered_at,
            touchpoint=touchpoint,
            stage=touchpoint.stage,
            segment=customer.segment,
            company=customer.company,
            staff=chance.choice(staff),
            comment=chance.choice(COMMENTS) if score <= 4 else "",
        )
        if score <= 4:
            handled_case(response, chance=chance, now=now)
    unanswered_invitations(survey, count=count, chance=chance, now=now)
    rollup.rebuild_rollup()


def handled_case(
    response: SurveyResponse, *, chance: random.Random, now: datetime
) -> None:
    """A case opened with the answer: most called back within hours (some
    after the two-day deadline), older ones closed, a few re-surveyed."""
    opened_at = response.answered_at
    case = CaseFactory.build(
        response=response, created_at=opened_at, due_at=opened_at + timedelta(days=2)
    )
    fate = chance.random()
    if fate < 0.85:
        case.first_contact_at = opened_at + timedelta(hours=chance.uniform(1, 60))
        case.status = Case.Status.CONTACTED
    if fate < 0.6 and now - opened_at > timedelta(days=7):
        case.status = Case.Status.CLOSED
        case.closed_at = opened_at + timedelta(days=5)
        case.root_cause = RootCauseFactory.create(name="Slow delivery")
        case.resolution = "Called, apologised and refunded the delivery."
        case.outcome = chance.choice(
            [Case.Outcome.RECOVERED, Case.Outcome.NOT_RECOVERED, ""]
        )
    case.save()


def unanswered_invitations(
    survey: Survey, *, count: int, chance: random.Random, now: datetime
) -> None:
    """For a funnel that narrows: as many invitations again without an
    answer — held back, or mailed and never opened, or opened only."""
    reasons = [
        Invitation.SuppressedReason.THROTTLED,
        Invitation.SuppressedReason.OPTED_OUT,
        Invitation.SuppressedReason.NO_EMAIL,
    ]
    for number in range(count):
        created_at = now - timedelta(days=84 * (1 - number / count))
        customer = CustomerFactory.create()
        fate = chance.random()
        if fate < 0.15:
            InvitationFactory.create(
                survey=survey,
                interaction__customer=customer,
                created_at=created_at,
                status=Invitation.Status.SUPPRESSED,
                suppressed_reason=chance.choice(reasons),
                sent_at=None,
            )
        else:
            InvitationFactory.create(
                survey=survey,
                interaction__customer=customer,
                created_at=created_at,
                sent_at=created_at,
                opened_at=created_at + timedelta(hours=3) if fate > 0.6 else None,
            )


def log_in_as_a_manager(page, live_server) -> None:
    UserFactory.create(username="mia.manager", groups=["Manager"])
    log_in(page, live_server, "mia.manager")


def save_screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def test_a_manager_reads_the_charts_and_opens_the_answers_of_a_week(
    page, live_server, browser
):
    made_up_answers(240)
    log_in_as_a_manager(page, live_server)
    page.get_by_role("link", name="Manager dashboard").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")

    trend = page.locator("#trend svg")
    trend.wait_for()
    save_screenshot(page, "dashboard.png")

    # 13 weeks in the 90-day range; the first one has no answers.
    assert trend.locator("circle").count() >= 12
    assert trend.locator("polygon.margin-band").count() >= 1
    assert page.locator("#bands svg rect.band-segment").count() == 3
    assert page.locator("#funnel svg g.funnel-row").count() >= 5
    opened = page.locator("#funnel g.funnel-row", has_text="Opened").locator("text")
    assert opened.last.text_content() == str(
        Invitation.objects.exclude(opened_at=None).count()
    )
    assert page.locator("#journey td.journey-cell a").count() == len(TOUCHPOINTS)
    assert page.locator("#card-nps .card-score .score").inner_text() != ""
    assert page.locator("#comments tbody tr").count() == 10
    box = trend.bounding_box()
    assert box is not None
    assert box["width"] > 600
    assert box["height"] > 150

    point = trend.locator("a").last
    title = point.locator("title").text_content() or ""
    point.click()
    page.wait_for_url(f"{live_server.url}/dashboard/answers/?*")

    # The last point is the week of the latest answer (a week without
    # answers has no point: on a Monday just after midnight, that is last
    # week), and it lists that week's answers, in the site's zone.
    label = re.match(r"(\d{4})-W(\d{2}):", title)
    assert label, title
    year, week = int(label[1]), int(label[2])
    monday = date.fromisocalendar(year, week, 1)
    latest = SurveyResponse.objects.latest("answered_at").answered_at
    assert period_start(timezone.localdate(latest), "week") == monday
    expected = SurveyResponse.objects.filter(
        answered_at__date__range=(monday, monday + timedelta(days=6)), kind=Kind.NPS
    ).count()
    assert expected > 0
    assert f"({expected} answers)" in title
    assert page.locator("#answers tbody tr").count() == expected
    save_screenshot(page, "dashboard_answers.png")

    chinese = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    try:
        chinese.add_cookies(page.context.cookies())
        zh = chinese.new_page()
        zh.goto(f"{live_server.url}/dashboard/")
        zh.locator("#trend svg").wait_for()
        save_screenshot(zh, "dashboard_zh.png")
        assert zh.locator("html").get_attribute("lang") == "zh-hans"
        assert zh.locator(".breadcrumbs a").first.inner_text() == "首页"
        # Nothing sticks out of the page, of a card or of a table.
        assert zh.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        overflowing = zh.evaluate(
            """[...document.querySelectorAll('.score-card, .module h2, .module th')]
               .filter(e => e.scrollWidth > e.clientWidth + 1).length"""
        )
        assert overflowing == 0
    finally:
        chinese.close()
