"""Each scale names its own bands: a CSAT 5 is "Satisfied" and a CES 2
"Difficult", never "Promoter" or "Detractor", on the customer page, in the
answers list and CSV, the API and the case alert mail. The stored `band`
code stays the same on every scale."""

import pytest
from django.urls import reverse

from lib import emails
from surveys.models import SurveyResponse, band_label
from tests.factories import CaseFactory, SurveyResponseFactory
from tests.feedback.dashboard_helpers import CSV_URL, NOW, read_csv

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


@pytest.mark.parametrize(
    ("kind", "score", "band", "label"),
    [
        ("nps", 10, "promoter", "Promoter"),
        ("nps", 7, "passive", "Passive"),
        ("nps", 3, "detractor", "Detractor"),
        ("csat", 5, "promoter", "Satisfied"),
        ("csat", 3, "passive", "Neutral"),
        ("csat", 1, "detractor", "Dissatisfied"),
        ("ces", 7, "promoter", "Easy"),
        ("ces", 4, "passive", "Neutral"),
        ("ces", 2, "detractor", "Difficult"),
    ],
)
def test_each_scale_names_its_own_bands(kind, score, band, label):
    response = SurveyResponse(kind=kind, score=score, band=band)

    assert response.get_band_display() == label
    assert band_label(kind, band) == label


def csat_five() -> SurveyResponse:
    return SurveyResponseFactory.create(
        invitation__survey__kind="csat", score=5, answered_at=NOW
    )


def test_the_customer_page_names_a_csat_5_satisfied(client, manager):
    response = csat_five()
    client.force_login(manager)

    page = client.get(
        reverse("admin:customers_customer_change", args=[response.customer_id])
    ).content.decode()

    assert "Satisfied" in page
    assert "Promoter" not in page


def test_the_answers_admin_list_names_a_csat_5_satisfied(client, manager):
    csat_five()
    client.force_login(manager)

    page = client.get(reverse("admin:surveys_surveyresponse_changelist")).content
    text = page.decode()

    assert '<td class="field-band_name">Satisfied</td>' in text


def test_the_csv_keeps_the_band_code_and_adds_the_scale_s_name(client, manager):
    response = csat_five()
    client.force_login(manager)

    header, row = read_csv(client.get(CSV_URL, {"kind": "csat"}))

    values = dict(zip(header, row, strict=True))
    assert values["id"] == str(response.pk)
    assert (values["band"], values["band_label"]) == ("promoter", "Satisfied")


def test_the_case_alert_mail_names_the_band_on_the_answer_s_scale():
    case = CaseFactory.create(
        response__invitation__survey__kind="ces", response__score=2
    )

    message = emails.render(
        "case_alert",
        to="oona@example.com",
        language="en",
        context={
            "kind": "opened",
            "case": case,
            "customer": case.customer,
            "response": case.response,
            "link": "http://testserver/",
        },
    )

    assert "Score: 2 — Difficult (Customer effort (1–7))" in message.body
    [(html, _mimetype)] = message.alternatives
    assert "2 — Difficult (Customer effort (1–7))" in str(html)


def test_an_answer_s_own_page_names_a_csat_5_satisfied(client, manager):
    response = csat_five()
    client.force_login(manager)

    page = client.get(
        reverse("admin:surveys_surveyresponse_change", args=[response.pk])
    ).content.decode()

    assert '<div class="readonly">Satisfied</div>' in page
    assert "Promoter" not in page
