"""`/api/v1/pilots/` with a variant of one of Touchloop's own settings: the
value checked per setting, allowed on a randomised pilot only, one variant
of a setting at a time; and groups given as a filter instead of a list."""

from datetime import timedelta

import pytest

from customers.models import Channel
from pilots.models import Kpi, Pilot, PilotEvent
from pilots.services.groups import pilot_groups
from pilots.statistics.measures import NotEnoughDataError
from tests.factories import (
    CompanyFactory,
    CustomerFactory,
    InteractionFactory,
    SurveyFactory,
)
from tests.pilots.seeding import today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

URL = "/api/v1/pilots/"


@pytest.fixture
def kpi(db):
    return Kpi.objects.create(name="NPS", formula="nps")


def randomised(kpi, **changes):
    day = today()
    return {
        "name": "Reminder after a day",
        "hypothesis": "An earlier reminder lifts the response rate.",
        "primary_kpi": kpi.pk,
        "unit": "customer",
        "treatment": [],
        "control": None,
        "treated_share": 0.5,
        "go_live": str(day + timedelta(days=1)),
        "planned_end": str(day + timedelta(days=60)),
        "min_effect": 5,
        **changes,
    }


def test_a_manager_creates_a_variant_pilot(manager_api, kpi):
    survey = SurveyFactory.create()
    value = {"survey": survey.pk, "question_en": "Would you recommend us?"}

    response = manager_api.post(
        URL,
        randomised(kpi, variant_setting="survey_mail_text", variant_value=value),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["variant_setting"], body["variant_value"]) == (
        "survey_mail_text",
        value,
    )
    pilot = Pilot.objects.get()
    assert (pilot.variant_setting, pilot.variant_value) == ("survey_mail_text", value)


@pytest.mark.parametrize(
    ("setting", "value", "field", "words"),
    [
        (
            "survey_mail_text",
            {"survey": 10**9, "question_en": "x"},
            "variant_value",
            "No survey",
        ),
        ("survey_mail_text", {"survey": "SURVEY"}, "variant_value", "question"),
        (
            "survey_mail_text",
            {"survey": "SURVEY", "subject": "x"},
            "variant_value",
            "only",
        ),
        ("reminder_delay", {"hours": 0}, "variant_value", "whole hours"),
        ("reminder_delay", {"hours": 1.5}, "variant_value", "whole hours"),
        ("reminder_delay", {"days": 2}, "variant_value", "only"),
        ("case_sla", {}, "variant_value", "per priority"),
        ("case_sla", {"normal": -4}, "variant_value", "whole hours"),
        ("case_sla", {"low": 4}, "variant_value", "per priority"),
        ("assignment_rule", {"rule": "random"}, "variant_value", "round_robin"),
        (
            "assignment_rule",
            {"rule": "round_robin", "group": "Nobody"},
            "variant_value",
            "No group",
        ),
        ("case_sla", [4], "variant_value", "object"),
        ("", {"normal": 4}, "variant_value", "setting"),
        ("mail_subject", {}, "variant_setting", "valid choice"),
    ],
)
def test_a_bad_variant_is_refused_with_a_reason(
    manager_api, kpi, setting, value, field, words
):
    survey = SurveyFactory.create()
    if isinstance(value, dict) and value.get("survey") == "SURVEY":
        value = {**value, "survey": survey.pk}

    response = manager_api.post(
        URL,
        randomised(kpi, variant_setting=setting, variant_value=value),
        format="json",
    )

    assert response.status_code == 400
    assert words in str(response.json()[field]), response.json()
    assert not Pilot.objects.exists()
    assert not PilotEvent.objects.exists()


def test_a_variant_needs_a_randomised_pilot(manager_api, kpi):
    customers = CustomerFactory.create_batch(2)
    design = randomised(
        kpi,
        treated_share=None,
        treatment=[customers[0].pk],
        control=[customers[1].pk],
        variant_setting="case_sla",
        variant_value={"normal": 4},
    )

    response = manager_api.post(URL, design, format="json")

    assert response.status_code == 400
    assert "randomised" in str(response.json()["variant_setting"])


def test_two_variants_of_one_setting_at_once_are_refused(manager_api, kpi):
    design = randomised(kpi, variant_setting="case_sla", variant_value={"normal": 4})
    assert manager_api.post(URL, design, format="json").status_code == 201

    response = manager_api.post(URL, {**design, "name": "Again"}, format="json")

    assert response.status_code == 400
    assert "mix their effects" in str(response.json()["variant_setting"])


def test_the_variant_is_locked_at_go_live(manager_api, kpi):
    design = randomised(kpi, variant_setting="case_sla", variant_value={"normal": 4})
    created = manager_api.post(URL, design, format="json").json()
    Pilot.objects.filter(pk=created["id"]).update(
        go_live=today(), planned_end=today() + timedelta(days=30)
    )

    response = manager_api.patch(
        f"{URL}{created['id']}/", {"variant_value": {"normal": 8}}, format="json"
    )

    assert response.status_code == 400
    assert "variant_value" in response.json()


# Groups as a filter


def company_design(kpi, **changes):
    day = today()
    return {
        "name": "Callback within an hour",
        "hypothesis": "Calling back within an hour lifts NPS.",
        "primary_kpi": kpi.pk,
        "unit": "company",
        "baseline_start": str(day - timedelta(days=30)),
        "go_live": str(day + timedelta(days=1)),
        "planned_end": str(day + timedelta(days=60)),
        "min_effect": 10,
        **changes,
    }


def test_groups_given_as_filters_resolve_to_the_matching_units(manager_api, kpi):
    smb = [CompanyFactory.create(segment="smb") for _ in range(2)]
    enterprise = CompanyFactory.create(segment="enterprise")
    for company in (*smb, enterprise):
        CustomerFactory.create(company=company, segment=company.segment)
    phoned = CustomerFactory.create(company=enterprise, segment="enterprise")
    InteractionFactory.create(customer=phoned, channel=Channel.EMAIL)

    response = manager_api.post(
        URL,
        company_design(
            kpi,
            treatment={"filter": {"segment": "smb"}},
            control={"filter": {"segment": "enterprise", "channel": "email"}},
        ),
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["treatment"] == {"filter": {"segment": "smb"}}
    pilot = Pilot.objects.get()
    groups = pilot_groups(pilot)
    assert set(groups.treated or ()) == {company.pk for company in smb}
    assert set(groups.control or ()) == {enterprise.pk}
    # Resolved when the result is computed: a new smb company joins.
    late = CompanyFactory.create(segment="smb")
    CustomerFactory.create(company=late, segment="smb")
    assert late.pk in set(pilot_groups(pilot).treated or ())


def test_a_filter_and_a_list_mix(manager_api, kpi):
    company = CompanyFactory.create(segment="smb")
    CustomerFactory.create(company=company, segment="smb")
    other = CompanyFactory.create(segment="enterprise")

    response = manager_api.post(
        URL,
        company_design(
            kpi, treatment={"filter": {"segment": "smb"}}, control=[other.pk]
        ),
        format="json",
    )

    assert response.status_code == 201, response.json()
    groups = pilot_groups(Pilot.objects.get())
    assert set(groups.treated or ()) == {company.pk}
    assert set(groups.control or ()) == {other.pk}


@pytest.mark.parametrize(
    ("treatment", "control", "field", "words"),
    [
        ({"filter": {"segment": "nobody"}}, [], "treatment", "matches no"),
        (
            {"filter": {"segment": "smb"}},
            {"filter": {"segment": "smb"}},
            "control",
            "overlap",
        ),
        ({"filter": {}}, None, "treatment", "at least one"),
        ({"filter": {"colour": "red"}}, None, "treatment", "colour"),
        ({"filter": {"channel": "fax"}}, None, "treatment", "valid choice"),
        ({"segment": "smb"}, None, "treatment", "filter"),
    ],
)
def test_bad_filters_are_refused(manager_api, kpi, treatment, control, field, words):
    company = CompanyFactory.create(segment="smb")
    CustomerFactory.create(company=company, segment="smb")
    if control == []:
        control = [CompanyFactory.create().pk]

    response = manager_api.post(
        URL, company_design(kpi, treatment=treatment, control=control), format="json"
    )

    assert response.status_code == 400
    assert words in str(response.json()[field]), response.json()
    assert not Pilot.objects.exists()


def test_a_filter_that_matches_nobody_at_analysis_time_says_so(kpi):
    pilot = Pilot.objects.create(
        name="Gone",
        hypothesis="h",
        primary_kpi=kpi,
        unit="company",
        treatment={"filter": {"segment": "gone"}},
        control=None,
        go_live=today() + timedelta(days=1),
        planned_end=today() + timedelta(days=60),
        min_effect=5,
    )

    with pytest.raises(NotEnoughDataError, match="matches no"):
        pilot_groups(pilot)


def test_a_randomised_pilot_assigns_the_customers_its_filter_matches(manager_api, kpi):
    smb = CustomerFactory.create_batch(3, segment="smb")
    CustomerFactory.create(segment="enterprise")

    response = manager_api.post(
        URL, randomised(kpi, treatment={"filter": {"segment": "smb"}}), format="json"
    )

    assert response.status_code == 201, response.json()
    pilot = Pilot.objects.get()
    assert set(pilot.assignments.values_list("customer", flat=True)) == {
        customer.pk for customer in smb
    }
