"""A manager reads the pilots in a real browser: the list, a pilot's page
with its result card and weekly chart, and the dashboard's KPI panel, in
English and in Chinese, under the Content-Security-Policy."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from feedback.models import StaffPreference
from pilots.models import Formula, Kpi, Pilot, Unit
from surveys.services.rollup import rebuild_rollup
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.factories import UserFactory
from tests.pilots.seeding import today
from tests.pilots.test_pilot_result_database import planned_pilot, seed_planted_effect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_a_manager_reads_a_pilot_and_the_kpis_in_both_languages(page, live_server):
    kpi, treated, control, baseline_start, go_live = seed_planted_effect(per_company=10)
    # Written in bulk, past the services: the dashboard's own figures count
    # them once the rollup is rebuilt, as after an import of history.
    rebuild_rollup()
    kpi.target = 30
    kpi.save()
    Kpi.objects.create(name="CSAT", formula=Formula.CSAT, target=80)
    pilot = planned_pilot(
        kpi,
        treated,
        control,
        baseline_start,
        go_live,
        planned_end=today() - timedelta(days=1),
        decision_rule="Roll out if the interval is above 0 and no guardrail is harmed.",
    )
    Pilot.objects.create(
        name="Shorter reminder",
        hypothesis="A reminder after 24 hours lifts the response rate.",
        primary_kpi=kpi,
        unit=Unit.COMPANY,
        treatment=[treated[0].pk],
        control=[control[0].pk],
        go_live=today() + timedelta(days=7),
        planned_end=today() + timedelta(days=60),
        min_effect=5,
    )
    manager = UserFactory.create(username="mia-manager", groups=["Manager"])
    log_in(page, live_server, "mia-manager")

    page.goto(f"{live_server.url}/dashboard/pilots/")
    expect(page.locator(".pilot-row")).to_have_count(2)
    page.get_by_role("link", name="Callback within an hour").click()
    sentence = page.locator("#result-sentence")
    expect(sentence).to_contain_text("NPS +10.0 points (95% CI")
    expect(sentence).to_contain_text("difference-in-differences against the control")
    expect(page.locator("#interim")).to_have_count(0)
    expect(page.locator("svg.pilot-chart line.go-live")).to_have_count(1)
    expect(page.locator("#design-hypothesis .locked")).to_have_count(1)
    screenshot(page, "pilot-page.png")

    page.get_by_role("link", name="List its answers").first.click()
    expect(page.locator("table.cell-answers tbody tr")).to_have_count(50)

    page.goto(f"{live_server.url}/dashboard/")
    panel = page.locator("#kpis")
    expect(panel.locator(".kpi-row")).to_have_count(2)
    expect(panel).to_contain_text("NPS")
    panel.scroll_into_view_if_needed()
    screenshot(page, "dashboard-kpis.png")

    StaffPreference.objects.create(user=manager, language="zh-hans")
    page.goto(f"{live_server.url}/dashboard/pilots/{pilot.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#result-sentence")).to_contain_text("置信区间")
    expect(page.locator("#result-sentence")).to_contain_text("观察性研究")
    expect(page.locator("#design")).to_contain_text("试点组")
    screenshot(page, "pilot-page-zh.png")
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("#kpis")).to_contain_text("关键绩效指标")
    page.goto(f"{live_server.url}/dashboard/pilots/")
    expect(page.locator("#pilots")).to_contain_text("设计中")
