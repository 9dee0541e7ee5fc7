"""`/api/v1/metrics/breakdown/`: best first with the change from the range
before, filtered, the group without the dimension, and the limit on groups
(and on the trend's series)."""

from datetime import date

import pytest

from customers.models import Channel, Stage
from tests.factories import TouchpointFactory
from tests.feedback.metrics_api_helpers import (
    NOW,
    RANGE,
    WEEK_47,
    WEEK_48,
    answers,
    counted,
    get,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


# Breakdown


def test_the_breakdown_is_best_first_with_the_change_from_the_range_before(
    manager, nps_survey, settings
):
    # About the z-test itself: a verdict on any sample.
    settings.METRICS_MIN_SAMPLE = 1
    checkout = TouchpointFactory.create(name="Checkout")
    onboarding = TouchpointFactory.create(name="Onboarding call")
    answers(nps_survey, [10, 9], WEEK_47, touchpoint=checkout)
    answers(nps_survey, [9, 6, 6], WEEK_48, touchpoint=onboarding)
    # The range before (2–15 November): one onboarding promoter.
    answers(nps_survey, [10], date(2026, 11, 10), touchpoint=onboarding)
    counted()

    response = get(manager, "breakdown", by="touchpoint", **RANGE)

    # Onboarding: p = 1/3, d = 2/3: NPS −33.3, margin 106.7 as above; change
    # −33.3 − 100 = −133.3 with z = −1.333 / √(0.889/3 + 0/1) = −2.45:
    # significant. Checkout has no answers before: no change.
    assert response.status_code == 200
    assert response.json() == {
        "kind": "nps",
        "from": "2026-11-16",
        "to": "2026-11-29",
        "mode": "all",
        "by": "touchpoint",
        "limit": 100,
        "results": [
            {
                "key": checkout.id,
                "label": "Checkout",
                "n": 2,
                "promoters": 2,
                "passives": 0,
                "detractors": 0,
                "nps": 100.0,
                "margin": 0.0,
                "low_sample": False,
                "change": None,
                "is_significant": None,
            },
            {
                "key": onboarding.id,
                "label": "Onboarding call",
                "n": 3,
                "promoters": 1,
                "passives": 0,
                "detractors": 2,
                "nps": -33.3,
                "margin": 106.7,
                "low_sample": False,
                "change": -133.3,
                "is_significant": True,
            },
        ],
    }


def test_a_breakdown_with_a_filter_on_another_dimension_counts_only_its_answers(
    manager, nps_survey
):
    checkout = TouchpointFactory.create(name="Checkout")
    answers(nps_survey, [10, 6], WEEK_47, touchpoint=checkout, channel=Channel.EMAIL)
    answers(nps_survey, [0, 0], WEEK_47, touchpoint=checkout, channel=Channel.PHONE)
    counted()

    response = get(manager, "breakdown", by="touchpoint", channel="email", **RANGE)

    assert response.status_code == 200
    [group] = response.json()["results"]
    assert (group["key"], group["n"], group["nps"]) == (checkout.id, 2, 0.0)


def test_answers_without_the_dimension_are_one_group_labelled_with_a_dash(
    manager, nps_survey
):
    answers(nps_survey, [10], WEEK_47, stage=Stage.PURCHASE)
    answers(nps_survey, [0], WEEK_47, stage="")
    counted()

    response = get(manager, "breakdown", by="stage", **RANGE)

    assert [
        (group["key"], group["label"], group["nps"])
        for group in response.json()["results"]
    ] == [("purchase", "Purchase", 100.0), ("", "—", -100.0)]


def test_a_breakdown_needs_a_dimension(manager):
    response = get(manager, "breakdown", **RANGE)

    assert response.status_code == 400
    assert response.json() == {
        "by": ["Choose the dimension to break the figures down by."]
    }


def test_a_breakdown_keeps_the_limit_groups_with_the_most_answers_best_first(
    manager, nps_survey
):
    big = TouchpointFactory.create(name="Big")
    middle = TouchpointFactory.create(name="Middle")
    small = TouchpointFactory.create(name="Small")
    answers(nps_survey, [0, 0, 0], WEEK_47, touchpoint=big)
    answers(nps_survey, [10, 10], WEEK_47, touchpoint=middle)
    answers(nps_survey, [10], WEEK_47, touchpoint=small)
    counted()

    response = get(manager, "breakdown", by="touchpoint", limit="2", **RANGE)

    body = response.json()
    assert body["limit"] == 2
    assert [(group["label"], group["n"]) for group in body["results"]] == [
        ("Middle", 2),
        ("Big", 3),
    ]


def test_a_trend_by_a_dimension_keeps_the_limit_series_with_the_most_answers(
    manager, nps_survey
):
    answers(nps_survey, [10], WEEK_47, channel=Channel.EMAIL)
    answers(nps_survey, [10, 9, 3], WEEK_48, channel=Channel.PHONE)
    answers(nps_survey, [0, 0], WEEK_47, channel=Channel.CHAT)
    counted()

    one = get(manager, "trend", by="channel", limit="1", **RANGE)
    two = get(manager, "trend", by="channel", limit="2", **RANGE)

    assert [series["key"] for series in one.json()["results"]] == ["phone"]
    assert [series["key"] for series in two.json()["results"]] == ["phone", "chat"]


@pytest.mark.parametrize("endpoint", ["trend", "breakdown"])
@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("0", "Ensure this value is greater than or equal to 1."),
        ("-3", "Ensure this value is greater than or equal to 1."),
        ("1001", "Ensure this value is less than or equal to 1000."),
        ("many", "A valid integer is required."),
    ],
)
def test_a_limit_outside_1_to_1000_is_a_400(manager, endpoint, limit, message):
    response = get(manager, endpoint, by="company", limit=limit, **RANGE)

    assert response.status_code == 400
    assert response.json() == {"limit": [message]}


@pytest.mark.parametrize(("limit", "kept"), [("", 100), ("1000", 1000)])
def test_the_limit_is_100_unless_asked_and_at_most_1000(manager, limit, kept):
    response = get(manager, "breakdown", by="company", limit=limit, **RANGE)

    assert response.status_code == 200
    assert response.json()["limit"] == kept
