"""What the comments say, counted: the sentiment per week, each theme's
volume and impact on the score, the journey's negative themes, the filters
by theme, sentiment and language, and `/api/v1/metrics/themes/` giving the
dashboard's figures."""

import pytest
from django.utils import translation

from customers.models import Stage
from surveys.models import SurveyResponse
from tests.factories import TouchpointFactory
from tests.feedback.metrics_api_helpers import (
    ABOUT,
    DAY,
    NOW,
    RANGE,
    WEEK_47,
    WEEK_48,
    answer,
    counted,
    get,
)
from text.models import CommentAnalysis, CommentTheme, Theme
from text.reading import theme_name

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def read(
    response: SurveyResponse,
    label: str,
    themes=(),
    *,
    corrected: str = "",
    language: str = "en",
) -> SurveyResponse:
    """Give the answer's comment a reading that mentions `themes`."""
    analysis = CommentAnalysis.objects.create(
        response=response,
        comment_digest="test",
        dictionary_digest="test",
        language=language,
        score=0,
        label=label,
        corrected_label=corrected,
        analysed_at=response.answered_at,
    )
    for theme in themes:
        CommentTheme.objects.create(
            analysis=analysis, theme=theme, spans=[], source="analysis"
        )
    return response


@pytest.fixture
def themes(db) -> dict[str, Theme]:
    # The starter dictionary is switched off: only these two count.
    Theme.objects.update(is_active=False)
    return {
        "waiting": Theme.objects.create(
            key="test-waiting", name_en="Waiting", name_zh="等待"
        ),
        "staff": Theme.objects.create(key="test-staff", name_en="Staff", name_zh=""),
    }


@pytest.fixture
def said(settings, manager, nps_survey, themes):
    """Ten read NPS comments and one answer without a reading, over two
    weeks: in 2026-W47 four detractors and a passive about waiting (four
    negative, one neutral); in 2026-W48 three promoters about staff
    (positive), a promoter about both read as mixed and corrected to
    positive, and a detractor about neither (negative, in Chinese)."""
    settings.METRICS_MIN_SAMPLE = 3
    waiting, staff = themes["waiting"], themes["staff"]
    for score in [2, 2, 2, 2]:
        read(answer(nps_survey, score, WEEK_47, comment="Slow"), "negative", [waiting])
    read(answer(nps_survey, 8, WEEK_47 + DAY, comment="Slow-ish"), "neutral", [waiting])
    for _ in range(3):
        read(answer(nps_survey, 10, WEEK_48, comment="Kind"), "positive", [staff])
    read(
        answer(nps_survey, 9, WEEK_48 + DAY, comment="Kind but slow"),
        "mixed",
        [waiting, staff],
        corrected="positive",
    )
    read(
        answer(nps_survey, 0, WEEK_48 + 2 * DAY, comment="差"),
        "negative",
        language="zh",
    )
    answer(nps_survey, 10, WEEK_48 + 2 * DAY)
    counted()
    return themes


# Figures worked out by hand. Read answers: 4 promoters, 1 passive, 5
# detractors. Waiting: 1 promoter, 1 passive, 4 detractors (NPS −50.0)
# against 3 promoters and 1 detractor (50.0); share 60%; impact −60.0;
# margin 1.96 · √(0.5833/6 + 0.75/4) · 100 = 104.6.
# Staff: 4 promoters (100.0) against 1 passive and 5 detractors (−83.3);
# share 40%; impact 73.33; margin 1.96 · √(0 + 0.1389/6) · 100 = 29.8.
def theme_figures(said) -> list[dict]:
    return [
        {
            "id": said["waiting"].pk,
            "key": "test-waiting",
            "name": "Waiting",
            "n": 6,
            "share": 60.0,
            "score_with": -50.0,
            "score_without": 50.0,
            "impact": -60.0,
            "margin": 104.6,
            "low_sample": False,
        },
        {
            "id": said["staff"].pk,
            "key": "test-staff",
            "name": "Staff",
            "n": 4,
            "share": 40.0,
            "score_with": 100.0,
            "score_without": -83.3,
            "impact": 73.33,
            "margin": 29.8,
            "low_sample": False,
        },
    ]


def shares(negative, neutral, positive, mixed) -> list[dict]:
    # 1 in 5 or 4 in 5: 1.96 · √(0.2 · 0.8 / 5) · 100 = 35.1.
    def share(label, count):
        return {
            "label": label,
            "count": count,
            "share": 100 * count / 5,
            "margin": 0.0 if count in (0, 5) else 35.1,
        }

    return [
        share("negative", negative),
        share("neutral", neutral),
        share("positive", positive),
        share("mixed", mixed),
    ]


def test_the_themes_endpoint_gives_each_themes_impact_and_the_weekly_sentiment(
    manager, said
):
    response = get(manager, "themes", **RANGE)

    assert response.status_code == 200
    assert response.json() == {
        **ABOUT,
        "interval": "week",
        "themes": theme_figures(said),
        "sentiment": [
            {
                "period": "2026-11-16",
                "label": "2026-W47",
                "n": 5,
                "low_sample": False,
                "shares": shares(4, 1, 0, 0),
            },
            {
                "period": "2026-11-23",
                "label": "2026-W48",
                "n": 5,
                "low_sample": False,
                "shares": shares(1, 0, 4, 0),
            },
        ],
    }


def test_a_theme_below_the_minimum_sample_shows_too_few_answers(
    settings, manager, said
):
    settings.METRICS_MIN_SAMPLE = 5

    figures = get(manager, "themes", **RANGE).json()["themes"]

    # Staff: 4 answers mention it; waiting: 4 do not. Both under 5.
    hidden = {
        "score_with": None,
        "score_without": None,
        "impact": None,
        "margin": None,
        "low_sample": True,
    }
    assert figures == [{**each, **hidden} for each in theme_figures(said)]


def test_a_theme_at_the_minimum_sample_on_both_sides_is_shown(settings, manager, said):
    settings.METRICS_MIN_SAMPLE = 4

    figures = get(manager, "themes", **RANGE).json()["themes"]

    assert figures == theme_figures(said)


@pytest.mark.parametrize(
    ("query", "n", "nps"),
    [
        ({"sentiment": "negative"}, 5, -100.0),
        # The mixed reading corrected to positive counts as positive.
        ({"sentiment": "positive"}, 4, 100.0),
        ({"sentiment": "mixed"}, 0, None),
        ({"language": "zh"}, 1, -100.0),
        ({"language": "en"}, 9, 0.0),
    ],
)
def test_the_sentiment_and_language_filters_narrow_every_figure(
    manager, said, query, n, nps
):
    periods = get(manager, "trend", **RANGE, **query).json()["results"]

    assert sum(period["n"] for period in periods) == n
    breakdown = get(manager, "breakdown", **RANGE, by="survey", **query).json()
    assert [row["nps"] for row in breakdown["results"]] == ([nps] if n else [])


def test_the_theme_filter_narrows_the_figures_and_the_themes_themselves(manager, said):
    waiting = said["waiting"].pk

    periods = get(manager, "trend", **RANGE, theme=waiting).json()["results"]
    figures = get(manager, "themes", **RANGE, theme=waiting).json()["themes"]

    assert [(period["n"], period["nps"]) for period in periods] == [
        (5, -80.0),
        (1, 100.0),
    ]
    # Among the answers about waiting, every one mentions it: no "without".
    assert [(each["n"], each["share"], each["low_sample"]) for each in figures] == [
        (6, 100.0, True),
        (1, 16.7, True),
    ]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"theme": "999999"}, {"theme"}),
        ({"theme": "waiting"}, {"theme"}),
        ({"sentiment": "angry"}, {"sentiment"}),
        ({"language": "fr"}, {"language"}),
    ],
)
def test_bad_comment_filters_are_refused_with_the_forms_message(
    client, manager, said, query, errors
):
    response = get(manager, "themes", **RANGE, **query)
    client.force_login(manager)
    page = client.get("/dashboard/", {**RANGE, **query})
    listed = client.get("/dashboard/answers/", {**RANGE, **query})

    assert response.status_code == 400
    assert set(response.json()) == errors
    assert (page.status_code, listed.status_code) == (400, 400)
    assert set(page.context["form"].errors) == errors


def test_theme_names_follow_the_readers_language(themes):
    with translation.override("zh-hans"):
        chinese = [theme_name(themes["waiting"]), theme_name(themes["staff"])]
    with translation.override("en"):
        english = [theme_name(themes["waiting"]), theme_name(themes["staff"])]

    # Staff has no Chinese name: English stands in.
    assert chinese == ["等待", "Staff"]
    assert english == ["Waiting", "Staff"]


# The dashboard and the API agree


def dashboard_rows(client, query: dict) -> list[tuple]:
    page = client.get("/dashboard/", query)
    assert page.status_code == 200
    rows = page.context["themes"]["by_volume"]
    html = page.content.decode()
    for row in rows:
        assert f'data-theme="{row["id"]}"' in html
    return [
        (row["id"], row["n"], row["share"], row["impact"], row["is_low_sample"])
        for row in rows
    ]


def api_rows(manager, query: dict) -> list[tuple]:
    figures = get(manager, "themes", **query).json()["themes"]
    return [
        (
            each["id"],
            each["n"],
            f"{each['share']:.1f}%",
            "" if each["impact"] is None else f"{each['impact']:+.1f}",
            each["low_sample"],
        )
        for each in figures
    ]


@pytest.mark.parametrize(
    "query",
    [
        RANGE,
        {**RANGE, "sentiment": "negative"},
        {**RANGE, "language": "en"},
        {**RANGE, "mode": "latest"},
        {"from": "2026-11-23", "to": "2026-11-29"},
    ],
)
def test_the_dashboard_shows_the_apis_theme_figures(client, manager, said, query):
    client.force_login(manager)

    assert dashboard_rows(client, query) == api_rows(manager, query)


def test_the_dashboards_sentiment_shares_link_to_their_answers(client, manager, said):
    client.force_login(manager)

    table = client.get("/dashboard/", RANGE).context["sentiment"]
    week_47 = table["rows"][0]
    negative = week_47["shares"][0]
    listed = client.get(negative["url"])

    assert (week_47["label"], negative["share"], negative["margin"]) == (
        "2026-W47",
        "80.0%",
        "±35.1",
    )
    assert [row.comment for row in listed.context["page"].rows] == ["Slow"] * 4


# The journey map and the pain points


def test_a_journey_cell_shows_its_top_negative_theme_and_what_drives_it(
    settings, client, manager, nps_survey, themes
):
    """At checkout two detractors about waiting (negative), a promoter about
    staff and one about nothing (positive): waiting's impact is (−100 − 100)
    × 2/4 = −100.0, staff's (100 − (−33.3)) × 1/4 = +33.3."""
    settings.METRICS_MIN_SAMPLE = 1
    checkout = TouchpointFactory.create(name="Checkout", stage=Stage.PURCHASE)
    at_checkout = {"touchpoint": checkout, "stage": Stage.PURCHASE}
    waiting, staff = themes["waiting"], themes["staff"]
    about_waiting = [
        read(answer(nps_survey, 1, WEEK_48, **at_checkout), "negative", [waiting])
        for _ in range(2)
    ]
    read(answer(nps_survey, 10, WEEK_48, **at_checkout), "positive", [staff])
    read(answer(nps_survey, 10, WEEK_48, **at_checkout), "positive")
    counted()
    client.force_login(manager)

    page = client.get("/dashboard/", RANGE)
    [cell] = [
        each for row in page.context["journey"]["rows"] for each in row["cells"] if each
    ]
    [point] = page.context["pain_points"]
    listed = client.get(cell["top_negative_theme"]["url"])

    assert cell["top_negative_theme"]["name"] == "Waiting"
    assert cell["top_negative_theme"]["count"] == 2
    assert point["cell"]["driving_theme"] == {
        "name": "Waiting",
        "impact": "-100.0",
        "margin": "±0.0",
        "url": point["cell"]["driving_theme"]["url"],
    }
    assert sorted(row.pk for row in listed.context["page"].rows) == sorted(
        response.pk for response in about_waiting
    )


def test_the_dashboard_names_themes_in_chinese_for_a_chinese_reader(
    client, manager, said
):
    client.force_login(manager)

    page = client.get("/dashboard/", RANGE, HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()

    assert [row["name"] for row in page.context["themes"]["by_volume"]] == [
        "等待",
        # No Chinese name: English stands in.
        "Staff",
    ]
    link = (
        "/dashboard/answers/?from=2026-11-16&amp;to=2026-11-29"
        f"&amp;theme={said['waiting'].pk}"
    )
    assert f'<a href="{link}">等待</a>' in html
