"""The weekly digest's moving themes: the themes whose share of the read
comments moved most from the week before, significant moves first, each
linked to the dashboard's answers; and the share test against a plain
computation."""

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedback.metrics import statistics
from feedback.services import digest
from surveys.models import Kind
from tests.factories import SurveyResponseFactory
from text import services as text_services
from text.models import Theme

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
WEEK = date(2026, 11, 16)
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
DELIVERY = "The courier lost my parcel again."
FRIENDLY = "The agent was friendly and polite."


@pytest.fixture(autouse=True)
def monday_at_eight(settings):
    """The digest of WEEK is due at NOW, whatever zone the run drew."""
    settings.TIME_ZONE = "UTC"
    settings.WEEKLY_DIGEST_WEEKDAY = 0
    settings.WEEKLY_DIGEST_HOUR = 8


def answered(comment: str, *, at: datetime) -> None:
    response = SurveyResponseFactory.create(
        invitation__survey__kind=Kind.NPS, score=5, comment=comment, answered_at=at
    )
    text_services.enrich_comment(response.pk)


@pytest.mark.django_db
@pytest.mark.now(NOW)
def test_the_theme_that_moved_most_comes_first_with_its_significance():
    before = MONDAY - timedelta(days=7)
    for number in range(40):
        answered(DELIVERY if number < 4 else FRIENDLY, at=before)
        answered(DELIVERY if number < 24 else FRIENDLY, at=MONDAY)
    delivery = Theme.objects.get(key="delivery")

    moves = digest.moving_themes(WEEK, kinds=digest.contents_of(WEEK, now=NOW).kinds)

    first = moves[0]
    assert (first.name, first.n) == ("delivery", 24)
    assert first.move.share == pytest.approx(60.0)
    assert first.move.change == pytest.approx(50.0)
    assert first.move.is_significant is True
    assert first.link.endswith(f"kind=nps&theme={delivery.pk}")
    assert [move.name for move in moves] == ["delivery", "staff attitude"]
    assert moves[1].move.change == pytest.approx(-50.0)


@pytest.mark.django_db
@pytest.mark.now(NOW)
def test_the_digest_mail_lists_the_moving_themes(manager, mailoutbox):
    from feedback import tasks

    for number in range(40):
        answered(DELIVERY if number < 4 else FRIENDLY, at=MONDAY - timedelta(days=7))
        answered(DELIVERY if number < 24 else FRIENDLY, at=MONDAY)

    tasks.send_weekly_digests_task()

    [mail] = mailoutbox
    assert (
        "delivery: 60% of the read comments (24), +50 points (significant at 95%)"
        in mail.body
    )


@pytest.mark.django_db
@pytest.mark.now(NOW)
def test_each_manager_reads_the_themes_in_their_language(manager, mailoutbox):
    from feedback import tasks
    from feedback.models import StaffPreference
    from tests.factories import UserFactory

    chinese = UserFactory.create(username="li.na", groups=["Manager"])
    StaffPreference.objects.create(user=chinese, language="zh-hans")
    for number in range(40):
        answered(DELIVERY if number < 4 else FRIENDLY, at=MONDAY - timedelta(days=7))
        answered(DELIVERY if number < 24 else FRIENDLY, at=MONDAY)

    tasks.send_weekly_digests_task()

    by_recipient = {mail.to[0]: mail.body for mail in mailoutbox}
    assert "delivery: 60%" in by_recipient[manager.email]
    assert (
        "物流：" in by_recipient[chinese.email]
        or "物流: " in by_recipient[chinese.email]
    )


@pytest.mark.django_db
@pytest.mark.now(NOW)
def test_a_quiet_week_has_no_moving_theme_and_the_mail_says_so(manager, mailoutbox):
    from feedback import tasks

    tasks.send_weekly_digests_task()

    [mail] = mailoutbox
    assert "Moving themes\nNo theme moved this week." in mail.body


@given(
    count=st.integers(0, 400),
    extra=st.integers(0, 400),
    count_before=st.integers(0, 400),
    extra_before=st.integers(0, 400),
)
def test_a_share_change_is_the_pooled_two_proportion_test(
    count, extra, count_before, extra_before
):
    n, n_before = count + extra, count_before + extra_before

    move = statistics.share_change(count, n, count_before, n_before, minimum=30)

    if n == 0 or n_before == 0:
        assert move.change is None
        assert move.is_significant is None
        return
    p, q = count / n, count_before / n_before
    assert move.share == pytest.approx(100 * p)
    assert move.change == pytest.approx(100 * (p - q))
    if n < 30 or n_before < 30:
        assert move.is_significant is None
        return
    pooled = (count + count_before) / (n + n_before)
    error = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / n_before))
    expected = p != q if error == 0 else abs((p - q) / error) > 1.96
    assert move.is_significant is expected
