"""The dashboard's touchpoint, segment and staff lists: the best and the worst
groups with enough answers, and the small groups with their flag; the pain
points' negative answers as count and share; the comments' heading in the
words of the kind's own scale."""

import pytest

from surveys.models import Kind
from surveys.services import rollup
from tests.factories import SurveyFactory, TouchpointFactory, UserFactory
from tests.feedback.dashboard_helpers import INDEX, NOW, answer

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def labels(rows) -> list[str]:
    return [row["label"] for row in rows]


def test_the_worst_touchpoint_shows_beside_the_best(client, manager, settings):
    settings.METRICS_MIN_SAMPLE = 3
    survey = SurveyFactory.create(kind=Kind.CSAT)
    names = ["Checkout", "Delivery", "Invoice", "Support call"]
    scores_of = [(5, 5, 5), (5, 4, 3), (4, 3, 3), (1, 2, 3)]
    for name, scores in zip(names, scores_of, strict=True):
        touchpoint = TouchpointFactory.create(name=name)
        for score in scores:
            answer(survey, score, touchpoint=touchpoint)
    rollup.rebuild_rollup()
    client.force_login(manager)

    response = client.get(INDEX, {"kind": "csat"})

    touchpoints = response.context["breakdowns"][0]
    assert labels(touchpoints["best"]) == ["Checkout", "Delivery"]
    assert labels(touchpoints["worst"]) == ["Support call", "Invoice"]
    assert touchpoints["low_sample"] == []
    worst_table = response.content.decode().split('<table class="worst">')[1]
    assert "Support call" in worst_table.split("</table>")[0]


def test_with_one_group_big_enough_the_small_ones_are_listed_with_their_flag(
    client, manager, survey, settings
):
    settings.METRICS_MIN_SAMPLE = 3
    checkout = TouchpointFactory.create(name="Checkout")
    support_call = TouchpointFactory.create(name="Support call")
    tiny = TouchpointFactory.create(name="Tiny")
    for score in (10, 9, 9):
        answer(survey, score, touchpoint=checkout)
    for score in (0, 3):
        answer(survey, score, touchpoint=support_call)
    answer(survey, 10, touchpoint=tiny)
    rollup.rebuild_rollup()
    client.force_login(manager)

    response = client.get(INDEX)

    touchpoints = response.context["breakdowns"][0]
    assert labels(touchpoints["best"]) == ["Checkout"]
    assert touchpoints["worst"] == []
    assert touchpoints["only_one_sure"] is True
    assert labels(touchpoints["low_sample"]) == ["Support call", "Tiny"]
    page = response.content.decode()
    assert (
        "Only one group has at least 3 answers: there is no other to rank it "
        "against." in page
    )
    small = page.split('<table class="low-sample">')[1].split("</table>")[0]
    assert "Support call" in small
    assert '<span class="n">(n = 2)</span>' in small
    assert small.count("⚠ low sample") == 2


def test_the_staff_list_links_to_the_rest_of_many_small_groups(
    client, manager, survey, settings
):
    settings.METRICS_MIN_SAMPLE = 5
    for number in range(5):
        answer(survey, number, staff=UserFactory.create(is_staff=True))
    rollup.rebuild_rollup()
    client.force_login(manager)

    response = client.get(INDEX)

    staff = response.context["breakdowns"][2]
    assert [row["figures"].n for row in staff["low_sample"]] == [1, 1, 1]
    assert staff["only_low_sample"] is True
    assert staff["low_sample_more"] == 2
    assert "2 more groups with a low sample" in response.content.decode()


def test_the_pain_points_show_the_count_and_share_of_negative_answers(
    client, manager, five
):
    client.force_login(manager)

    response = client.get(INDEX)

    [point] = response.context["pain_points"]
    assert (point["negative_count"], point["negative_share"], point["n"]) == (
        1,
        "20.0%",
        5,
    )
    assert '<td class="negative">1 (20.0%) of 5</td>' in response.content.decode()


@pytest.mark.parametrize(
    ("kind", "heading", "empty"),
    [
        ("nps", "Latest detractor comments", "No detractor comments in this range."),
        (
            "csat",
            "Latest dissatisfied comments",
            "No dissatisfied comments in this range.",
        ),
        (
            "ces",
            "Latest difficult-effort comments",
            "No difficult-effort comments in this range.",
        ),
    ],
)
def test_the_comments_heading_names_the_kind_s_negative_band(
    client, manager, kind, heading, empty
):
    client.force_login(manager)

    page = client.get(INDEX, {"kind": kind}).content.decode()

    assert f"<h2>{heading}</h2>" in page
    assert empty in page
    if kind != "nps":
        assert "detractor" not in page.lower().split('id="comments"')[1]
