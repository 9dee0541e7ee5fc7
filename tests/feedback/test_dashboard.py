"""The manager dashboard at /dashboard/ and the answers behind its figures:
who may see it, its figures on a small hand-made data set (checked by hand
and against the metrics functions), its query count, bad query strings, the
drill-down links, paging, the CSV export and the Chinese page."""

import csv
import html
import io
import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, Stage, Touchpoint
from feedback import charts
from feedback.metrics import scores
from feedback.metrics.filters import AnswerFilter
from feedback.models import Case
from feedback.views import dashboard, display, export
from surveys.models import Kind, Survey, SurveyResponse
from surveys.services import rollup
from tests.factories import (
    CaseFactory,
    CustomerFactory,
    SurveyFactory,
    SurveyResponseFactory,
    TouchpointFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday in 2026-W47
TODAY = NOW.date()
# The default range: the 90 days up to today.
DEFAULT_START = date(2026, 8, 21)
INDEX = "/dashboard/"
ANSWERS = "/dashboard/answers/"
CSV_URL = "/dashboard/answers.csv"


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def survey(db) -> Survey:
    return SurveyFactory.create(name="Relationship NPS", kind=Kind.NPS)


@pytest.fixture
def checkout(db) -> Touchpoint:
    return TouchpointFactory.create(name="Checkout", stage=Stage.PURCHASE)


@pytest.fixture
def onboarding(db) -> Touchpoint:
    return TouchpointFactory.create(name="Onboarding call", stage=Stage.USAGE)


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def answer(
    survey: Survey,
    score: int,
    *,
    day: date = date(2026, 11, 16),
    customer: Customer | None = None,
    **fields,
) -> SurveyResponse:
    customer = customer or CustomerFactory.create()
    fields.setdefault("stage", Stage.PURCHASE)
    fields.setdefault("segment", "smb")
    return SurveyResponseFactory.create(
        invitation__survey=survey,
        invitation__answered_at=at_noon(day),
        invitation__customer=customer,
        invitation__interaction__customer=customer,
        company=customer.company,
        score=score,
        answered_at=at_noon(day),
        **fields,
    )


@pytest.fixture
def five(survey, checkout) -> list[SurveyResponse]:
    """3 promoters, 1 passive, 1 detractor with a comment and a case:
    NPS 40.0, margin 1.96 · √((0.6 + 0.2 − 0.4²) / 5) · 100 = ±70.1."""
    rows = [
        answer(survey, score, touchpoint=checkout, customer=CustomerFactory.create())
        for score in (9, 10, 9, 7)
    ]
    detractor = answer(
        survey,
        3,
        touchpoint=checkout,
        customer=CustomerFactory.create(name="Wang Fang"),
        comment="Delivery took three weeks.",
    )
    CaseFactory.create(response=detractor)
    rollup.rebuild_rollup()
    return [*rows, detractor]


def test_anonymous_is_sent_to_the_admin_login(client):
    response = client.get(INDEX + "?kind=csat")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/dashboard/%3Fkind%3Dcsat"


@pytest.mark.parametrize("path", [ANSWERS, CSV_URL])
def test_anonymous_gets_no_answers_either(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/dashboard/answers")


@pytest.mark.parametrize("who", ["support", "outsider"])
@pytest.mark.parametrize("path", [INDEX, ANSWERS, CSV_URL])
def test_a_logged_in_user_who_is_no_manager_is_told_why(client, request, who, path):
    user = request.getfixturevalue(who)
    client.force_login(user)

    response = client.get(path)

    assert response.status_code == 403
    page = response.content.decode()
    assert "The dashboard is for managers." in page
    assert f"You are logged in as {user.username}, who is not in the Manager" in page
    assert "Relationship NPS" not in page


def test_a_manager_sees_the_dashboard_in_the_admins_look(client, manager, five):
    client.force_login(manager)

    response = client.get(INDEX)

    assert response.status_code == 200
    page = response.content.decode()
    assert '<div id="site-name"><a href="/admin/">Touchloop</a></div>' in page
    assert '<a href="/admin/">Home</a>\n&rsaquo; Dashboard' in page
    assert page.count('<svg class="chart') == 3


def test_a_superuser_sees_the_dashboard(client, five):
    boss = User.objects.create_superuser("boss", "boss@example.com", "x")
    client.force_login(boss)

    assert client.get(INDEX).status_code == 200


def test_the_admin_home_links_managers_to_the_dashboard(client, manager, support):
    client.force_login(manager)
    assert 'href="/dashboard/"' in client.get("/admin/").content.decode()

    client.force_login(support)
    assert 'href="/dashboard/"' not in client.get("/admin/").content.decode()


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

    assert [row["label"] for row in touchpoints["best"]] == [
        "Checkout",
        "Onboarding call",
    ]
    assert touchpoints["worst"] == []
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

    with django_assert_max_num_queries(30):
        many = dashboard_queries(client)

    assert many == few


def test_bad_query_parameters_are_explained_not_a_500(client, manager, five):
    client.force_login(manager)

    response = client.get(
        INDEX,
        {"kind": "loyalty", "from": "2026-13-01", "touchpoint": "x", "mode": "some"},
    )

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {
        "kind",
        "from_",
        "touchpoint",
        "mode",
    }
    page = response.content.decode()
    assert "These filters cannot be shown." in page
    assert "Select a valid choice. loyalty is not one of the available choices." in (
        html.unescape(page)
    )
    assert "Enter a valid date." in page
    assert '<svg class="chart' not in page


def test_a_range_that_ends_before_it_starts_is_explained(client, manager):
    client.force_login(manager)

    response = client.get(INDEX, {"from": "2026-11-10", "to": "2026-11-01"})

    assert response.status_code == 400
    assert "The range ends before it starts." in response.content.decode()


def test_a_survey_of_another_kind_is_explained(client, manager, survey):
    client.force_login(manager)

    response = client.get(INDEX, {"survey": survey.pk, "kind": "csat"})

    assert response.status_code == 400
    assert "The survey asks nps, not csat." in response.content.decode()


def test_bad_parameters_for_the_list_and_the_csv_are_400s(client, manager):
    client.force_login(manager)

    listed = client.get(ANSWERS, {"to": "yesterday"})
    exported = client.get(CSV_URL, {"to": "yesterday"})

    assert listed.status_code == 400
    assert "Enter a valid date." in listed.content.decode()
    assert exported.status_code == 400
    assert exported.content.decode() == "to: Enter a valid date."


HOSTILE_RANGES = [
    ({"from": "9999-12-31"}, "from", "Choose a day from 1900-01-01 to 2999-12-31."),
    ({"to": "0001-01-05"}, "to", "Choose a day from 1900-01-01 to 2999-12-31."),
    ({"from": "0001-01-01", "to": "9999-12-31"}, "from", "Choose a day from"),
    (
        {"from": "1900-01-01", "interval": "day"},
        "from",
        "Ask for at most 1830 days at once.",
    ),
    (
        {"from": "2026-11-10", "to": "2026-11-01"},
        "to",
        "The range ends before it starts.",
    ),
    ({"from": "99999-01-01"}, "from", "Enter a valid date."),
    ({"to": "2026-02-30"}, "to", "Enter a valid date."),
]


@pytest.mark.parametrize(("params", "name", "message"), HOSTILE_RANGES)
@pytest.mark.parametrize("path", [INDEX, ANSWERS])
def test_a_hostile_range_is_a_400_page_that_says_why(
    client, manager, five, path, params, name, message
):
    client.force_login(manager)

    response = client.get(path, params)

    assert response.status_code == 400
    field = "from_" if name == "from" else name
    assert message in " ".join(response.context["form"].errors[field])
    assert message in html.unescape(response.content.decode())
    assert "answer_filter" not in response.context  # no figures were read


@pytest.mark.parametrize(("params", "name", "message"), HOSTILE_RANGES)
def test_a_hostile_range_is_a_400_text_for_the_csv(
    client, manager, five, params, name, message
):
    client.force_login(manager)

    response = client.get(CSV_URL, params)

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(f"{name}: {message}")


@pytest.mark.parametrize(
    "params",
    [
        # From a future day without an end: that one day.
        {"from": "2030-01-01"},
        # The oldest and newest days allowed, in whole quarters, the range
        # before them included.
        {"from": "1900-01-01", "to": "1900-03-31", "interval": "quarter"},
        {"from": "2999-10-01", "to": "2999-12-31", "interval": "quarter"},
        # The default start, 90 days before, may be before the oldest day.
        {"to": "1900-01-05"},
        {"from": "2022-01-01", "to": "2026-11-18", "interval": "day"},
    ],
)
@pytest.mark.parametrize("path", [INDEX, ANSWERS, CSV_URL])
def test_extreme_ranges_that_are_allowed_are_shown(client, manager, five, path, params):
    client.force_login(manager)

    response = client.get(path, params)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "cursor",
    [
        "99999999999999999999.1",
        "-99999999999999999999.1",
        "1.99999999999999999999",
        "1.-99999999999999999999",
        "1e400.1",
        ".",
    ],
)
@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_hostile_page_cursor_is_never_a_500(client, manager, five, direction, cursor):
    client.force_login(manager)

    response = client.get(ANSWERS, {direction: cursor})

    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert "This page link is broken." in response.content.decode()


def test_a_broken_page_link_is_explained(client, manager, five):
    client.force_login(manager)

    response = client.get(ANSWERS, {"after": "not-a-cursor"})

    assert response.status_code == 400
    assert "This page link is broken." in response.content.decode()


def listed_ids(client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200
    return [answer.pk for answer in response.context["page"].rows]


def link_of_point(chart: str, label: str) -> str:
    match = re.search(rf'<a href="([^"]+)"><circle[^>]*><title>{label}:', chart)
    assert match, f"no link for {label}"
    return html.unescape(match[1])


def test_a_trend_point_lists_exactly_the_answers_of_its_period(
    client, manager, survey, checkout
):
    week_46 = [answer(survey, 9, day=date(2026, 11, 9 + offset)) for offset in (0, 6)]
    answer(survey, 9, day=date(2026, 11, 8))  # Sunday: week 45
    answer(survey, 9, day=date(2026, 11, 16))  # Monday: week 47
    csat = SurveyFactory.create(kind=Kind.CSAT)
    answer(csat, 5, day=date(2026, 11, 10))  # week 46, but CSAT
    rollup.rebuild_rollup()
    client.force_login(manager)
    chart = str(client.get(INDEX, {"interval": "week"}).context["trend_chart"])

    url = link_of_point(chart, "2026-W46")

    query = parse_qs(urlsplit(url).query)
    assert query == {"interval": ["week"], "from": ["2026-11-09"], "to": ["2026-11-15"]}
    assert listed_ids(client, url) == [week_46[1].pk, week_46[0].pk]


def test_a_period_without_answers_has_no_link(client, manager, five):
    client.force_login(manager)

    chart = str(client.get(INDEX).context["trend_chart"])

    # 14 weeks in the range, and answers in one.
    assert chart.count("<a href=") == 1
    assert chart.count("<circle") == 1
    assert ">2026-W34</text>" in chart


def test_a_journey_cell_lists_exactly_its_answers(
    client, manager, survey, checkout, onboarding
):
    cell = [
        answer(survey, 9, touchpoint=checkout, stage=Stage.PURCHASE),
        answer(survey, 2, touchpoint=checkout, stage=Stage.PURCHASE),
    ]
    answer(survey, 9, touchpoint=checkout, stage=Stage.USAGE)
    answer(survey, 9, touchpoint=onboarding, stage=Stage.PURCHASE)
    rollup.rebuild_rollup()
    client.force_login(manager)
    journey = client.get(INDEX).context["journey"]
    [row] = [row for row in journey["rows"] if row["label"] == "Checkout"]
    purchase = row["cells"][Stage.values.index(Stage.PURCHASE)]

    assert purchase["figures"].n == 2
    assert purchase["url"] == (f"{ANSWERS}?stage=purchase&touchpoint={checkout.pk}")
    assert listed_ids(client, purchase["url"]) == [cell[1].pk, cell[0].pk]


def test_the_journey_colours_cells_red_to_green_and_greys_low_samples(
    client, manager, survey, checkout, onboarding, settings
):
    settings.METRICS_MIN_SAMPLE = 2
    answer(survey, 10, touchpoint=checkout)
    answer(survey, 10, touchpoint=checkout)
    answer(survey, 0, touchpoint=onboarding, stage=Stage.USAGE)
    answer(survey, 0, touchpoint=onboarding, stage=Stage.USAGE)
    answer(survey, 0, touchpoint=onboarding)  # one answer: low sample
    rollup.rebuild_rollup()
    client.force_login(manager)

    journey = client.get(INDEX).context["journey"]

    checkout_row, onboarding_row = journey["rows"]
    purchase, usage = Stage.values.index("purchase"), Stage.values.index("usage")
    assert checkout_row["cells"][purchase]["color"] == "hsl(120, 70%, 82%)"
    assert onboarding_row["cells"][usage]["color"] == "hsl(0, 70%, 82%)"
    assert onboarding_row["cells"][purchase]["color"] == ""
    assert onboarding_row["cells"][purchase]["figures"].is_low_sample is True
    assert checkout_row["cells"][usage] is None


def test_a_breakdown_row_lists_its_answers(client, manager, survey, checkout):
    staff = UserFactory.create(username="li.na", first_name="Li", last_name="Na")
    theirs = answer(survey, 9, staff=staff)
    answer(survey, 9)
    rollup.rebuild_rollup()
    client.force_login(manager)

    rows = client.get(INDEX, {"by": "staff"}).context["full_breakdown"]

    [row] = [row for row in rows if row["label"] == "Li Na"]
    assert row["url"] == f"{ANSWERS}?by=staff&staff={staff.pk}"
    assert listed_ids(client, row["url"]) == [theirs.pk]


def test_the_links_keep_the_views_filters(client, manager, survey, checkout, five):
    client.force_login(manager)

    context = client.get(
        INDEX, {"survey": survey.pk, "mode": "latest", "from": "2026-11-01", "to": ""}
    ).context

    assert context["answers_url"] == (
        f"{ANSWERS}?survey={survey.pk}&mode=latest&from=2026-11-01"
    )
    assert context["csv_url"] == (
        f"{CSV_URL}?survey={survey.pk}&mode=latest&from=2026-11-01"
    )


def test_latest_mode_lists_each_customers_latest_answer_only(client, manager, survey):
    customer = CustomerFactory.create()
    answer(survey, 2, day=date(2026, 11, 2), customer=customer)
    latest = answer(survey, 9, day=date(2026, 11, 12), customer=customer)
    other = answer(survey, 7, day=date(2026, 11, 5))
    client.force_login(manager)

    assert listed_ids(client, f"{ANSWERS}?mode=latest") == [latest.pk, other.pk]
    assert len(listed_ids(client, ANSWERS)) == 3


def test_the_answers_list_shows_every_column(client, manager, survey, checkout, five):
    client.force_login(manager)

    page = client.get(ANSWERS).content.decode()

    detractor = five[-1]
    row = page[page.index(f'<tr data-answer="{detractor.pk}">') :]
    row = row[: row.index("</tr>")]
    customer_url = reverse(
        "admin:customers_customer_change", args=[detractor.customer_id]
    )
    case_url = reverse("admin:feedback_case_change", args=[detractor.case.pk])
    cells = [
        # Noon UTC, shown in the site's zone.
        f"{timezone.localtime(at_noon(date(2026, 11, 16))):%Y-%m-%d %H:%M}",
        f'<a href="{customer_url}">Wang Fang</a>',
        "<td>3</td>",
        "Detractor",
        "Delivery took three weeks.",
        "Relationship NPS",
        "Checkout",
        "Phone",
        "Purchase",
        "smb",
        f'<a href="{case_url}">#{detractor.case.pk}</a>',
    ]
    assert [cell in row for cell in cells] == [True] * len(cells)


def test_the_answers_list_pages_by_50_without_counting(
    client, manager, survey, django_assert_num_queries
):
    made = [
        answer(survey, 9, day=date(2026, 11, 1) + timedelta(hours=number))
        for number in range(120)
    ]
    newest_first = [response.pk for response in reversed(made)]
    client.force_login(manager)
    with CaptureQueriesContext(connection) as first_page_queries:
        first = client.get(ANSWERS)
    # Read now: the next request clears the connection's query log.
    first_page_count = len(first_page_queries)
    assert not any("COUNT(" in query["sql"] for query in first_page_queries)

    second = client.get(first.context["next_url"])
    with django_assert_num_queries(first_page_count):
        third = client.get(second.context["next_url"])
    back = client.get(second.context["previous_url"])

    assert [a.pk for a in first.context["page"].rows] == newest_first[:50]
    assert first.context["previous_url"] == ""
    assert [a.pk for a in second.context["page"].rows] == newest_first[50:100]
    assert [a.pk for a in third.context["page"].rows] == newest_first[100:]
    assert third.context["next_url"] == ""
    assert [a.pk for a in back.context["page"].rows] == newest_first[:50]
    assert back.context["previous_url"] == ""
    assert 'rel="next"' in second.content.decode()
    assert 'rel="prev"' in second.content.decode()


def read_csv(response) -> list[list[str]]:
    assert response.streaming is True
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_has_one_row_per_answer_with_every_dimension(
    client, manager, survey, checkout, five
):
    client.force_login(manager)

    response = client.get(CSV_URL, {"from": "2026-11-01", "to": "2026-11-30"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="answers-nps-2026-11-01-2026-11-30.csv"'
    )
    header, *rows = read_csv(response)
    assert header == export.CSV_COLUMNS
    assert len(rows) == 5
    detractor = five[-1]
    [row] = [row for row in rows if row[0] == str(detractor.pk)]
    assert dict(zip(header, row, strict=True)) == {
        "id": str(detractor.pk),
        "answered_at": "2026-11-16T12:00:00+00:00",
        "kind": "nps",
        "score": "3",
        "band": "detractor",
        "comment": "Delivery took three weeks.",
        "language": "en",
        "customer_id": str(detractor.customer_id),
        "customer": "Wang Fang",
        "survey_id": str(survey.pk),
        "survey": "Relationship NPS",
        "channel": "phone",
        "touchpoint_id": str(checkout.pk),
        "touchpoint": "Checkout",
        "stage": "purchase",
        "segment": "smb",
        "company_id": str(detractor.company_id),
        "company": detractor.company.name,
        "staff_id": "",
        "staff": "",
        "case_id": str(detractor.case.pk),
    }


def test_the_csv_follows_a_cells_filters_and_latest_mode(
    client, manager, survey, checkout
):
    customer = CustomerFactory.create()
    answer(survey, 2, day=date(2026, 11, 2), customer=customer, touchpoint=checkout)
    latest = answer(
        survey, 9, day=date(2026, 11, 12), customer=customer, touchpoint=checkout
    )
    answer(survey, 9, day=date(2026, 11, 12))  # another touchpoint
    client.force_login(manager)

    response = client.get(CSV_URL, {"mode": "latest", "touchpoint": checkout.pk})

    _header, *rows = read_csv(response)
    assert [row[0] for row in rows] == [str(latest.pk)]


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_the_csv_quotes_cells_a_spreadsheet_would_run(client, manager, survey, start):
    customer = CustomerFactory.create(name=f"{start}Evil Corp")
    answer(survey, 3, customer=customer, comment=f'{start}HYPERLINK("http://x")')
    client.force_login(manager)

    _header, row = read_csv(client.get(CSV_URL))

    assert row[5] == f'\'{start}HYPERLINK("http://x")'
    assert row[8] == f"'{start}Evil Corp"
    assert row[3] == "3"


def test_the_chinese_page_renders_with_the_same_numbers(client, manager, five):
    client.force_login(manager)

    response = client.get(INDEX, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="zh-hans"' in page
    assert "首页" in page  # the admin's own "Home"
    assert '<span class="score">40.0</span>' in page
    assert ">±70.1</span>" in page


def test_a_name_in_a_chart_is_escaped():
    chart = str(
        charts.line_chart(
            [charts.Point(label="<b>", value=10.0, url="/x?a=1&b=2", title="<i>")],
            low=0,
            high=100,
            ticks=[0, 100],
            title="<script>",
        )
    )

    assert "<b>" not in chart
    assert "&lt;b&gt;" in chart
    assert "<title>&lt;script&gt;</title>" in chart
    assert 'href="/x?a=1&amp;b=2"' in chart


def test_the_line_chart_draws_the_margin_as_a_band_and_breaks_at_gaps():
    points = [
        charts.Point(label="a", value=50.0, low=40.0, high=60.0, url="/a"),
        charts.Point(label="b", value=None),
        charts.Point(label="c", value=0.0, low=-20.0, high=20.0, url="/c"),
        charts.Point(label="d", value=100.0, low=80.0, high=120.0, url="/d"),
    ]

    chart = str(
        charts.line_chart(
            points, low=0, high=100, ticks=[0, 100], title="t", width=456, height=140
        )
    )

    # The plot is 400 × 100 from (44, 12): x = 44 + (i + 0.5) · 100, and the
    # band is clipped to [0, 100].
    assert '<rect class="margin-band" x="90" y="52" width="8" height="20"' in chart
    assert 'class="margin-band" points="294,92 394,12 394,32 294,112"' in chart
    assert '<polyline class="trend-line" points="294,112 394,12"' in chart
    assert chart.count("<polyline") == 1
    assert chart.count("<circle") == 3
    assert chart.count("<a href=") == 3


def test_the_answers_page_and_the_digest_page_sit_below_the_dashboard(
    client, manager, survey
):
    client.force_login(manager)

    listed = client.get(ANSWERS, {"kind": "csat"}).content.decode()
    digest = client.get("/dashboard/digest/").content.decode()

    assert (
        '<a href="/admin/">Home</a>\n&rsaquo; <a href="/dashboard/?kind=csat">'
        "Dashboard</a>\n&rsaquo; Answers"
    ) in listed
    assert (
        '<a href="/admin/">Home</a>\n&rsaquo; <a href="/dashboard/">Dashboard</a>'
        "\n&rsaquo; Weekly digest"
    ) in digest


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
