"""The dashboard's figures on a small hand-made data set, checked by hand
and against the metrics functions: the cards, bands, changes, best and worst,
comments, breakdowns, the loop section, latest mode, and the page's query
count."""

import html
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from feedback.metrics import scores
from feedback.metrics.filters import AnswerFilter
from feedback.models import Case
from feedback.views import dashboard, display
from surveys.models import Kind, Survey
from surveys.services import rollup
from tests.factories import (
    CaseFactory,
    CustomerFactory,
    SurveyFactory,
    TouchpointFactory,
    UserFactory,
)
from tests.feedback.dashboard_helpers import (
    ANSWERS,
    CSV_URL,
    DEFAULT_START,
    INDEX,
    NOW,
    TODAY,
    answer,
    listed_ids,
    read_csv,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def test_the_cards_show_the_hand_computed_nps_with_margin_and_warning(
    client, manager, five
):
    client.force_login(manager)

    response = client.get(INDEX)

    nps, csat, ces = response.context["cards"]
    assert (nps["name"], csat["name"], ces["name"]) == ("NPS", "CSAT", "CES")
    assert nps["figures"] == display.Shown(
        score="40.0",
        margin="±70.1",
        n=5,
        change="",
        arrow="",
        is_significant=None,
        is_low_sample=True,
        is_empty=False,
    )
    assert nps["is_current"] is True
    assert csat["figures"].is_empty is True
    page = response.content.decode()
    assert '<span class="score">40.0</span> <span class="margin"' in page
    assert ">±70.1</span>" in page
    assert "Low sample: fewer than 30 answers. Read with care." in page
    assert "No answers in this range." in page


def test_the_figures_are_the_metrics_functions_figures(client, manager, five):
    client.force_login(manager)

    context = client.get(INDEX).context

    answers = AnswerFilter(kind=Kind.NPS, start=DEFAULT_START, end=TODAY)
    headline = scores.headline(answers)
    assert (headline.score, headline.margin, headline.n) == (40.0, 70.1, 5)
    assert context["current"] == display.shown(headline)
    cell = context["journey"]["rows"][0]["cells"][3]
    assert context["journey"]["columns"][3] == "Purchase"
    assert context["journey"]["rows"][0]["label"] == "Checkout"
    assert cell["figures"] == display.shown(scores.journey(answers)[0].figures)
    assert cell["figures"].score == "40.0"
    assert [point["impact"] for point in context["pain_points"]] == ["20.0%"]
    assert context["pain_points"][0]["negative_share"] == "20.0%"
    assert context["funnel"]["figures"].answered == 5
    assert context["funnel"]["response_rate"] == "100.0%"
    assert context["loop"]["opened"] == 1


def test_the_band_split_counts_each_band(client, manager, five):
    client.force_login(manager)

    chart = str(client.get(INDEX).context["band_chart"])

    assert "<title>Promoters (9–10): 3 (60.0%)</title>" in chart
    assert "<title>Passives (7–8): 1 (20.0%)</title>" in chart
    assert "<title>Detractors (0–6): 1 (20.0%)</title>" in chart


def test_the_change_is_against_the_range_before_with_its_significance(
    client, manager, survey, checkout
):
    # Range 2026-11-09 … 11-18 (10 days); the one before is 10-30 … 11-08.
    for _ in range(40):
        answer(survey, 10, day=date(2026, 11, 10), touchpoint=checkout)
    for _ in range(40):
        answer(survey, 0, day=date(2026, 11, 1), touchpoint=checkout)
    rollup.rebuild_rollup()
    client.force_login(manager)

    response = client.get(INDEX, {"from": "2026-11-09", "to": "2026-11-18"})

    figures = response.context["cards"][0]["figures"]
    assert (figures.score, figures.change, figures.arrow) == ("100.0", "+200.0", "▲")
    assert figures.is_significant is True
    assert figures.is_low_sample is False
    page = response.content.decode()
    assert "▲ +200.0" in page
    assert '<strong class="significant">significant</strong>' in page
    assert "Low sample" not in page


def test_best_and_worst_prefer_groups_with_enough_answers(
    client, manager, survey, checkout, onboarding, settings
):
    settings.METRICS_MIN_SAMPLE = 2
    answer(survey, 10, touchpoint=checkout)
    answer(survey, 10, touchpoint=checkout)
    answer(survey, 0, touchpoint=onboarding)
    answer(survey, 9, touchpoint=onboarding)
    small = TouchpointFactory.create(name="Tiny")
    answer(survey, 10, touchpoint=small)  # perfect, but one answer
    rollup.rebuild_rollup()
    client.force_login(manager)

    touchpoints = client.get(INDEX).context["breakdowns"][0]

    assert [row["label"] for row in touchpoints["best"]] == ["Checkout"]
    assert [row["label"] for row in touchpoints["worst"]] == ["Onboarding call"]
    assert [row["label"] for row in touchpoints["low_sample"]] == ["Tiny"]
    assert touchpoints["best"][0]["url"] == f"{ANSWERS}?touchpoint={checkout.pk}"


def test_the_latest_detractor_comments_link_to_their_case(client, manager, five):
    client.force_login(manager)

    response = client.get(INDEX)

    [comment] = response.context["comments"]
    assert comment.comment == "Delivery took three weeks."
    case_url = reverse("admin:feedback_case_change", args=[comment.case_pk])
    page = response.content.decode()
    assert f'<a href="{case_url}">#{comment.case_pk}</a>' in page
    assert "Wang Fang" in page


def test_comments_without_text_and_other_bands_are_left_out(client, manager, survey):
    answer(survey, 2, comment="")
    answer(survey, 9, comment="Great")
    answer(survey, 8, comment="Fine")
    rollup.rebuild_rollup()
    client.force_login(manager)

    assert client.get(INDEX).context["comments"] == []


def dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(INDEX, {"by": "staff"})
    assert response.status_code == 200
    return len(queries)


def varied_answers(survey: Survey, count: int) -> None:
    """Answers in distinct touchpoints, staff members and segments, each a
    detractor with a comment and a case: every list on the page grows."""
    for number in range(count):
        response = answer(
            survey,
            number % 11,
            day=date(2026, 11, 1) + timedelta(days=number % 17),
            touchpoint=TouchpointFactory.create(),
            staff=UserFactory.create(is_staff=True),
            segment=f"segment {number}",
            comment=f"comment {number}",
        )
        CaseFactory.create(response=response)
    rollup.rebuild_rollup()


def test_the_dashboard_makes_as_many_queries_for_50_answers_as_for_5(
    client, manager, survey, django_assert_max_num_queries
):
    client.force_login(manager)
    varied_answers(survey, 5)
    few = dashboard_queries(client)
    varied_answers(survey, 45)

    # 30 for the figures, 3 for the privacy panel (privacy.views).
    with django_assert_max_num_queries(33):
        many = dashboard_queries(client)

    assert many == few


def test_the_trend_is_titled_with_the_chosen_interval(client, manager, five):
    client.force_login(manager)

    chart = str(client.get(INDEX, {"interval": "month"}).context["trend_chart"])

    assert "<title>NPS per month, with the 95% margin of error</title>" in chart


def test_a_breakdown_shows_the_50_groups_with_the_most_answers(client, manager, survey):
    answer(survey, 0, segment="crowded")
    answer(survey, 0, segment="crowded")
    for number in range(50):
        answer(survey, 10, segment=f"segment {number:02}")
    rollup.rebuild_rollup()
    client.force_login(manager)

    response = client.get(INDEX, {"by": "segment"})

    rows = response.context["full_breakdown"]
    assert len(rows) == dashboard.BREAKDOWN_ROWS == 50
    # The worst score, but the most answers: kept, and last.
    assert rows[-1]["label"] == "crowded"
    assert rows[-1]["figures"].n == 2
    page = response.content.decode()
    assert "The 50 groups with the most answers; the CSV export has every" in page
    assert len(read_csv(client.get(CSV_URL))) == 1 + 52


def test_a_short_breakdown_says_nothing_about_a_cut(client, manager, five):
    client.force_login(manager)

    response = client.get(INDEX, {"by": "segment"})

    assert [row["label"] for row in response.context["full_breakdown"]] == ["smb"]
    assert "groups with the most answers" not in response.content.decode()


def test_with_a_survey_the_other_cards_count_their_kind_without_it(
    client, manager, survey, checkout, onboarding
):
    answer(survey, 9, touchpoint=checkout)
    answer(survey, 0, touchpoint=onboarding)
    csat = SurveyFactory.create(kind=Kind.CSAT)
    answer(csat, 5, touchpoint=checkout)
    answer(csat, 1, touchpoint=checkout)
    answer(csat, 5, touchpoint=onboarding)
    rollup.rebuild_rollup()
    client.force_login(manager)

    response = client.get(INDEX, {"survey": survey.pk, "touchpoint": checkout.pk})

    nps, csat_card, ces = response.context["cards"]
    assert (nps["figures"].n, nps["figures"].score) == (1, "100.0")
    # The survey asks NPS only; the touchpoint still applies.
    assert (csat_card["figures"].n, csat_card["figures"].score) == (2, "50.0")
    assert ces["figures"].is_empty is True
    assert csat_card["url"] == f"{INDEX}?touchpoint={checkout.pk}&kind=csat"
    followed = client.get(csat_card["url"]).context["current"]
    assert (followed.n, followed.score) == (2, "50.0")


def test_the_loop_section_counts_the_cases_of_the_views_answers(
    client, manager, survey, checkout, onboarding
):
    CaseFactory.create(response=answer(survey, 2, touchpoint=checkout))
    CaseFactory.create(response=answer(survey, 1, touchpoint=onboarding))
    csat = SurveyFactory.create(kind=Kind.CSAT)
    CaseFactory.create(
        response=answer(csat, 1, touchpoint=checkout), reason=Case.Reason.LOW_CSAT
    )
    CaseFactory.create(
        response=None, customer=CustomerFactory.create(), reason=Case.Reason.MANUAL
    )
    rollup.rebuild_rollup()
    client.force_login(manager)

    def opened(**params: str) -> int:
        response = client.get(INDEX, params)
        assert response.status_code == 200
        return int(response.context["loop"]["opened"])

    assert Case.objects.count() == 4
    assert opened() == 2
    assert opened(touchpoint=str(checkout.pk)) == 1
    assert opened(kind="csat") == 1
    assert opened(kind="ces") == 0
    assert opened(survey=str(csat.pk)) == 1
    # The cases were opened today, 2026-11-18.
    assert opened(**{"from": "2026-11-01", "to": "2026-11-17"}) == 0
    page = client.get(INDEX).content.decode()
    assert '<td id="loop-opened">2</td>' in page
    assert (
        "The cases opened in this range from NPS answers that match the survey "
        "and filters above."
    ) in page
    assert "Cases opened by hand, without an answer, are not counted." in page
    latest = client.get(INDEX, {"mode": "latest"}).content.decode()
    assert "not only from each customer's latest." in html.unescape(latest)


def test_in_latest_mode_a_row_a_headline_and_a_list_agree(
    client, manager, survey, checkout, onboarding
):
    """A customer's latest answer stands for them: under the touchpoint of
    that answer only — in the breakdown, in the headline filtered to the
    touchpoint, in the answers list and in the CSV."""
    first, second, third = (CustomerFactory.create() for _ in range(3))
    answer(survey, 9, day=date(2026, 11, 2), customer=first, touchpoint=checkout)
    first_latest = answer(
        survey, 3, day=date(2026, 11, 10), customer=first, touchpoint=onboarding
    )
    answer(survey, 10, day=date(2026, 11, 3), customer=second, touchpoint=checkout)
    second_latest = answer(
        survey, 8, day=date(2026, 11, 12), customer=second, touchpoint=checkout
    )
    answer(survey, 2, day=date(2026, 11, 4), customer=third, touchpoint=onboarding)
    third_latest = answer(
        survey, 10, day=date(2026, 11, 14), customer=third, touchpoint=checkout
    )
    only = answer(survey, 6, day=date(2026, 11, 5), touchpoint=onboarding)
    rollup.rebuild_rollup()
    client.force_login(manager)

    response = client.get(INDEX, {"mode": "latest", "by": "touchpoint"})

    rows = {row["label"]: row for row in response.context["full_breakdown"]}
    assert response.context["current"].n == 4
    expected = {
        "Checkout": [third_latest.pk, second_latest.pk],
        "Onboarding call": [first_latest.pk, only.pk],
    }
    assert set(rows) == set(expected)
    for label, ids in expected.items():
        row = rows[label]
        headline = client.get(row["url"].replace(ANSWERS, INDEX)).context["current"]
        _header, *exported = read_csv(client.get(row["url"].replace(ANSWERS, CSV_URL)))
        assert row["figures"].n == headline.n == len(ids)
        assert row["figures"].score == headline.score
        assert listed_ids(client, row["url"]) == ids
        assert [int(line[0]) for line in exported] == ids
    assert sum(row["figures"].n for row in rows.values()) == 4
