"""The answers behind the dashboard's figures: the drill-down links of the
trend, the journey and the breakdowns, the answers list and its paging, and
the CSV export."""

import codecs
import html
import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from customers.models import Stage
from feedback import answers
from surveys.models import Kind
from surveys.services import rollup
from tests.factories import CustomerFactory, SurveyFactory, UserFactory
from tests.feedback.dashboard_helpers import (
    ANSWERS,
    CSV_URL,
    INDEX,
    NOW,
    answer,
    at_noon,
    listed_ids,
    read_csv,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


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
        date_format(timezone.localtime(at_noon(date(2026, 11, 16))), "DATETIME_FORMAT"),
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
    assert header == answers.CSV_COLUMNS
    assert len(rows) == 5
    detractor = five[-1]
    [row] = [row for row in rows if row[0] == str(detractor.pk)]
    assert dict(zip(header, row, strict=True)) == {
        "id": str(detractor.pk),
        "answered_at": "2026-11-16T12:00:00+00:00",
        "kind": "nps",
        "score": "3",
        "band": "detractor",
        "band_label": "Detractor",
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
        # Not read yet (the tests run no worker): blank, not a guess.
        "comment_language": "",
        "sentiment": "",
        "themes": "",
        "needs_review": "",
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


def test_the_csv_opens_in_excel_chinese_comments_included(client, manager, survey):
    answer(survey, 3, comment="送货太慢了，客服也没回电话。")
    client.force_login(manager)

    data = b"".join(client.get(CSV_URL).streaming_content)

    # UTF-8's byte order mark: without it, Excel reads the file as GBK or
    # Windows-1252.
    assert data.startswith(codecs.BOM_UTF8 + b"id,answered_at,")
    _header, row = read_csv(client.get(CSV_URL))
    assert row[5] == "送货太慢了，客服也没回电话。"


def test_the_csv_names_the_staff_member_as_the_dashboard_does(client, manager, survey):
    sam = UserFactory.create(username="sam", first_name="Sam", last_name="Reed")
    li = UserFactory.create(username="li.na")
    answer(survey, 9, staff=sam)
    answer(survey, 7, staff=li)
    client.force_login(manager)

    header, *rows = read_csv(client.get(CSV_URL))

    named = {row[header.index("staff_id")]: row[header.index("staff")] for row in rows}
    assert named == {str(sam.pk): "Sam Reed", str(li.pk): "li.na"}


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_the_csv_quotes_cells_a_spreadsheet_would_run(client, manager, survey, start):
    customer = CustomerFactory.create(name=f"{start}Evil Corp")
    answer(survey, 3, customer=customer, comment=f'{start}HYPERLINK("http://x")')
    client.force_login(manager)

    _header, row = read_csv(client.get(CSV_URL))

    assert row[5] == f'\'{start}HYPERLINK("http://x")'
    assert row[8] == f"'{start}Evil Corp"
    assert row[3] == "3"
