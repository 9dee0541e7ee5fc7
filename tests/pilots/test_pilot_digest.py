"""The weekly digest lists the KPIs off target and the pilots running, in
each manager's language (pilots/services/digest.py through
settings.HOOKS["digest_sections"])."""

import email
import email.policy
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import pytest

from feedback import tasks
from feedback.models import StaffPreference
from pilots.models import Formula, Kpi, Pilot, Unit
from tests.factories import SurveyFactory
from tests.pilots.seeding import bulk_answers, companies, customers_of, noon
from tests.smtp import smtp_server

__all__ = ["smtp_server"]

# Monday 23 November 2026, 08:00 UTC: the digest of 16–22 November is due.
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
WEEK_END = date(2026, 11, 22)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


@pytest.fixture(autouse=True)
def monday_at_eight(settings):
    settings.TIME_ZONE = "UTC"
    settings.WEEKLY_DIGEST_WEEKDAY = 0
    settings.WEEKLY_DIGEST_HOUR = 8


def text_of(raw: bytes) -> str:
    message = email.message_from_bytes(
        raw, _class=EmailMessage, policy=email.policy.default
    )
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None
    assert html is not None
    return str(plain.get_content()) + str(html.get_content())


@pytest.fixture
def off_target_week():
    """An NPS KPI with a target of 30 and five detractors this week (−100), a
    CSAT KPI without answers, and a pilot running."""
    [customer] = customers_of(companies(1)[0], 1)
    survey = SurveyFactory.create(kind="nps")
    bulk_answers(
        survey,
        [
            {"customer": customer, "score": 3, "answered_at": noon(WEEK_END)}
            for _ in range(5)
        ],
    )
    kpi = Kpi.objects.create(name="Branch NPS", formula=Formula.NPS, target=30)
    Kpi.objects.create(name="CSAT", formula=Formula.CSAT, target=80)
    Pilot.objects.create(
        name="Callback within an hour",
        hypothesis="It helps.",
        primary_kpi=kpi,
        unit=Unit.COMPANY,
        treatment=[1],
        control=[2],
        go_live=WEEK_END - timedelta(days=10),
        planned_end=WEEK_END + timedelta(days=50),
        min_effect=5,
    )


@pytest.mark.usefixtures("off_target_week")
def test_the_digest_lists_a_kpi_off_target_and_the_running_pilot(manager, smtp_server):
    tasks.send_weekly_digests_task()

    body = text_of(smtp_server.messages[0])
    assert "KPIs off target" in body
    assert "Branch NPS: -100.0" in body
    assert "target ≥ 30.0 (n = 5)" in body
    assert "low sample, read with care" in body
    assert "CSAT: —" not in body  # no value: not off target
    assert "Callback within an hour (running)" in body


@pytest.mark.usefixtures("off_target_week")
def test_the_digest_sections_are_in_chinese_for_a_chinese_reader(manager, smtp_server):
    StaffPreference.objects.create(user=manager, language="zh-hans")

    tasks.send_weekly_digests_task()

    body = text_of(smtp_server.messages[0])
    assert "未达标的关键绩效指标" in body
    assert "Branch NPS：-100.0" in body
    assert "样本量少，请谨慎解读" in body
    assert "Callback within an hour（进行中）" in body
    assert "KPIs off target" not in body
