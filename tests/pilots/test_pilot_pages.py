"""The pilots' pages under the dashboard, the dashboard's KPI panel, the
customer page's pilots and the digest's sections (pilots/views.py,
pilots/services/digest.py)."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from pilots.models import Formula, Kpi, Pilot, PilotAssignment, PilotEvent, Unit
from pilots.services.digest import digest_section
from pilots.views import dashboard_panel
from tests.factories import CompanyFactory, CustomerFactory, SurveyFactory
from tests.pilots.seeding import bulk_answers, companies, customers_of, noon, today
from tests.pilots.test_pilot_result_database import planned_pilot, seed_planted_effect

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def plain_pilot(kpi: Kpi, *, name: str = "Pilot", **fields) -> Pilot:
    day = today()
    return Pilot.objects.create(
        name=name,
        hypothesis="It helps.",
        primary_kpi=kpi,
        unit=Unit.COMPANY,
        treatment=fields.pop("treatment", [1]),
        control=fields.pop("control", [2]),
        go_live=fields.pop("go_live", day + timedelta(days=10)),
        planned_end=fields.pop("planned_end", day + timedelta(days=70)),
        min_effect=5,
        **fields,
    )


@pytest.fixture
def kpi():
    return Kpi.objects.create(name="NPS", formula=Formula.NPS, target=30)


# Who may see the pages --------------------------------------------------------


def test_the_list_needs_a_login(client):
    response = client.get(reverse("pilots:list"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_an_outsider_is_refused_with_a_page_that_says_why(client, outsider, kpi):
    pilot = plain_pilot(kpi)
    client.force_login(outsider)
    for url in (reverse("pilots:list"), reverse("pilots:detail", args=[pilot.pk])):
        response = client.get(url)
        assert response.status_code == 403
        assert "may not see pilots" in response.content.decode()


@pytest.mark.parametrize("role", ["manager", "support"])
def test_managers_and_support_read_the_list_and_the_page(client, role, request, kpi):
    pilot = plain_pilot(kpi, name="Callback within an hour")
    client.force_login(request.getfixturevalue(role))

    listing = client.get(reverse("pilots:list"))
    page = client.get(reverse("pilots:detail", args=[pilot.pk]))

    assert listing.status_code == page.status_code == 200
    assert "Callback within an hour" in listing.content.decode()
    assert "design" in listing.content.decode()
    assert "Hypothesis" in page.content.decode()


def test_the_list_takes_the_same_queries_for_any_number_of_pilots(
    client, manager, kpi, django_assert_max_num_queries
):
    client.force_login(manager)
    plain_pilot(kpi)
    client.get(reverse("pilots:list"))  # warms the session and permissions
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("pilots:list"))
    for index in range(6):
        plain_pilot(kpi, name=f"Pilot {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("pilots:list"))
    assert response.content.decode().count('class="pilot-row"') == 7


# Bad input --------------------------------------------------------------------


def test_an_unknown_pilot_is_a_404(client, manager):
    client.force_login(manager)
    assert client.get("/dashboard/pilots/999999/").status_code == 404
    assert (
        client.get("/dashboard/pilots/999999/answers/treated/after/").status_code == 404
    )


def test_a_cell_that_does_not_exist_is_a_404(client, manager, kpi):
    pilot = plain_pilot(kpi)
    client.force_login(manager)
    for group, period in (("everyone", "after"), ("treated", "during")):
        url = f"/dashboard/pilots/{pilot.pk}/answers/{group}/{period}/"
        assert client.get(url).status_code == 404


def test_a_decision_before_the_end_is_refused(client, manager, kpi):
    pilot = plain_pilot(kpi)
    client.force_login(manager)

    response = client.post(
        reverse("pilots:detail", args=[pilot.pk]), {"decision": "Roll out."}
    )

    assert response.status_code == 400
    assert "after the planned end" in response.content.decode()
    pilot.refresh_from_db()
    assert pilot.decision == ""


def test_the_page_shows_the_variant_a_randomised_pilot_applies(client, manager, kpi):
    pilot = plain_pilot(
        kpi,
        treated_share=0.5,
        variant_setting="reminder_delay",
        variant_value={"hours": 24},
        go_live=today() - timedelta(days=1),
    )
    client.force_login(manager)

    response = client.get(reverse("pilots:detail", args=[pilot.pk]))

    body = response.content.decode()
    assert "Reminder delay: {&quot;hours&quot;: 24}" in body
    assert "assigned by Touchloop: 50.0% treated" in body
    row = body[body.index('id="design-variant_setting"') :]
    assert 'class="locked"' in row[: row.index("</tr>")]


def test_the_design_names_the_listed_units_and_spells_out_a_filter(
    client, manager, kpi
):
    acme, globex = (
        CompanyFactory.create(name="Acme"),
        CompanyFactory.create(name="Globex"),
    )
    pilot = plain_pilot(
        kpi,
        treatment=[acme.pk, globex.pk, 999_999],
        control={"filter": {"segment": "smb", "channel": "email"}},
    )
    client.force_login(manager)

    response = client.get(reverse("pilots:detail", args=[pilot.pk]))
    design = {row["field"]: row["value"] for row in response.context["design"]}

    assert design["treatment"] == "Company Acme, Globex, #999999"
    assert design["control"] == "Company where channel = email, segment = smb"


def test_the_page_before_go_live_says_there_is_no_data_to_plan_from(
    client, manager, kpi
):
    pilot = plain_pilot(kpi)
    client.force_login(manager)

    response = client.get(reverse("pilots:detail", args=[pilot.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Power before go-live" in body
    assert "no data" in body


# The result -------------------------------------------------------------------


def test_the_result_card_of_a_planted_effect_reads_as_one_sentence_greyed_interim(
    client, manager
):
    kpi, treated, control, baseline_start, go_live = seed_planted_effect(per_company=10)
    pilot = planned_pilot(kpi, treated, control, baseline_start, go_live)
    client.force_login(manager)

    response = client.get(reverse("pilots:detail", args=[pilot.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    sentence = response.context["sentence"]
    assert sentence.startswith("NPS +10.0 points (95% CI ")
    assert (
        "difference-in-differences against the control group, n = 2,000 / 2,000"
        in sentence
    )
    assert sentence.endswith("observational")
    assert 'class="module dashboard-section result-card interim"' in body
    assert "interim — do not decide" in body
    assert "<svg" in body
    assert 'class="go-live"' in body
    assert 'class="locked"' in body  # the design is locked after go-live
    # The list shows the headline computed on the page, greyed too.
    listing = client.get(reverse("pilots:list")).content.decode()
    assert "NPS +10.0 points" in listing
    assert 'class="headline interim"' in listing


def test_after_the_planned_end_the_result_is_final_and_a_manager_records_the_decision(
    client, manager, support
):
    kpi, treated, control, baseline_start, go_live = seed_planted_effect(per_company=10)
    pilot = planned_pilot(
        kpi,
        treated,
        control,
        baseline_start,
        go_live,
        planned_end=today() - timedelta(days=1),
        decision_rule="Roll out if the interval excludes 0.",
    )
    url = reverse("pilots:detail", args=[pilot.pk])
    client.force_login(support)
    assert client.post(url, {"decision": "No."}).status_code == 403
    client.force_login(manager)

    page = client.get(url)
    response = client.post(url, {"decision": "Roll out to every team."})

    assert page.context["interim"] is False
    assert "interim — do not decide" not in page.content.decode()
    assert "Roll out if the interval excludes 0." in page.content.decode()
    assert response.status_code == 302
    pilot.refresh_from_db()
    assert pilot.decision == "Roll out to every team."
    event = pilot.events.get(fields=["decision"])
    assert event.actor == manager
    assert event.action == PilotEvent.Action.EDITED
    assert "Roll out to every team." in client.get(url).content.decode()


def test_each_cell_drills_down_to_its_answers(client, support):
    kpi, treated, control, baseline_start, go_live = seed_planted_effect(per_company=2)
    pilot = planned_pilot(kpi, treated, control, baseline_start, go_live)
    client.force_login(support)

    response = client.get(
        reverse("pilots:answers", args=[pilot.pk, "treated", "before"])
    )
    second = client.get(
        reverse("pilots:answers", args=[pilot.pk, "treated", "before"]) + "?page=2"
    )
    bad_page = client.get(
        reverse("pilots:answers", args=[pilot.pk, "treated", "before"]) + "?page=x"
    )

    assert response.status_code == second.status_code == bad_page.status_code == 200
    assert response.context["count"] == 200
    assert len(response.context["rows"]) == 50
    assert "page 2 of 4" in second.content.decode()


def test_the_result_page_in_chinese(client, manager):
    kpi, treated, control, baseline_start, go_live = seed_planted_effect(per_company=5)
    pilot = planned_pilot(kpi, treated, control, baseline_start, go_live)
    client.force_login(manager)

    response = client.get(
        reverse("pilots:detail", args=[pilot.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    body = response.content.decode()
    assert "试点组" in body
    assert "中期结果" in body


# The parts on other pages -------------------------------------------------------


def test_the_dashboard_shows_each_kpi_against_its_target(
    client, manager, kpi, django_assert_max_num_queries
):
    company = companies(1)[0]
    [customer] = customers_of(company, 1)
    survey = SurveyFactory.create(kind="nps")
    bulk_answers(
        survey,
        [
            {"customer": customer, "score": 3, "answered_at": noon(today())}
            for _ in range(5)
        ],
    )
    Kpi.objects.create(name="CSAT", formula=Formula.CSAT, target=80)
    Kpi.objects.create(
        name="Time to close", formula=Formula.TIME_TO_CLOSE, direction="lower"
    )
    client.force_login(manager)

    response = client.get(reverse("dashboard:index"))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="kpis"' in body
    assert f'id="kpi-{kpi.pk}"' in body
    assert "-100.0" in body  # five detractors
    assert "off target" in body
    assert "low sample" in body
    assert "no target" in body
    assert 'class="sparkline"' in body


def test_the_kpi_panel_is_left_out_for_support_and_without_kpis(client, support):
    request = RequestFactory().get("/dashboard/")
    request.user = support

    Kpi.objects.create(name="NPS", formula=Formula.NPS)
    assert dashboard_panel(request=request) is not None
    Kpi.objects.all().delete()
    assert dashboard_panel(request=request) is None


def test_the_customer_page_shows_the_pilots_the_customer_is_in(client, manager, kpi):
    customer = CustomerFactory.create()
    pilot = plain_pilot(kpi, name="Faster reminders", treated_share=0.5)
    PilotAssignment.objects.create(pilot=pilot, customer=customer, group="treated")
    other = CustomerFactory.create()
    client.force_login(manager)

    page = client.get(reverse("admin:customers_customer_change", args=[customer.pk]))
    bare = client.get(reverse("admin:customers_customer_change", args=[other.pk]))

    assert "Faster reminders" in page.content.decode()
    assert "Treatment group" in page.content.decode()
    assert reverse("pilots:detail", args=[pilot.pk]) in page.content.decode()
    assert "Faster reminders" not in bare.content.decode()


def test_the_digest_sections_list_the_kpis_off_target_in_the_readers_language(kpi):
    Kpi.objects.create(name="CSAT", formula=Formula.CSAT, target=80)
    day = today()
    week_start = day - timedelta(days=6)
    running = plain_pilot(kpi, name="Callback", go_live=day - timedelta(days=3))

    sections = digest_section(week_start=week_start, week_end=day)

    assert sections is not None
    kpis, pilots = sections
    # Without answers a KPI has no value: neither on nor off target.
    assert [str(line.text) for line in kpis.lines] == []
    assert str(kpis.empty) == "Every KPI with a target meets it."
    assert [str(line.text) for line in pilots.lines] == ["Callback (running)"]
    assert pilots.lines[0].link.endswith(f"/dashboard/pilots/{running.pk}/")
    with translation.override("zh-hans"):
        assert str(kpis.title) == "未达标的关键绩效指标"
        assert str(pilots.lines[0].text) == "Callback（进行中）"
