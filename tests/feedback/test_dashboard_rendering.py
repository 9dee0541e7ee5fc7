"""How the dashboard renders: the Chinese page, the charts' escaping and
drawing, and the pages below it."""

import pytest

from feedback import charts
from tests.feedback.dashboard_helpers import ANSWERS, INDEX, NOW

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


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
