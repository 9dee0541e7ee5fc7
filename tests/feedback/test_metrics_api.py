"""`/api/v1/metrics/`: each endpoint's figures on small hand-made data sets,
worked out by hand; the query parameters and their 400s; who may read the
figures; constant query counts; the schema."""

import html
import json
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from customers.models import Channel, Stage
from feedback import charts
from feedback.models import Case
from surveys.models import Invitation, Kind, Survey, SurveyResponse
from surveys.services import rollup
from tests.factories import (
    ApiTokenFactory,
    CaseFactory,
    InvitationFactory,
    RootCauseFactory,
    SurveyFactory,
    SurveyResponseFactory,
    TouchpointFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # a Monday
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# Two whole weeks: 2026-W47 and 2026-W48.
WEEK_47 = date(2026, 11, 16)
WEEK_48 = date(2026, 11, 23)
RANGE = {"from": "2026-11-16", "to": "2026-11-29"}
# What every answer starts with: what its figures are about.
ABOUT = {"kind": "nps", "from": "2026-11-16", "to": "2026-11-29", "mode": "all"}
METRICS = "/api/v1/metrics/"
ENDPOINTS = ["trend", "breakdown", "funnel", "journey", "loop"]
NOT_A_MANAGER = {"detail": "Only managers may see the metrics."}
NOT_SIGNED_IN = {"detail": "Authentication credentials were not provided."}


@pytest.fixture(autouse=True)
def frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def nps_survey(db) -> Survey:
    return SurveyFactory.create(name="Relationship NPS", kind=Kind.NPS)


def bearer(user) -> APIClient:
    client = APIClient()
    if user is not None:
        key = ApiTokenFactory.create(user=user).key
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def get(user, endpoint: str, **query):
    return bearer(user).get(f"{METRICS}{endpoint}/", query)


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def answer(survey: Survey, score: int, day: date, **dimensions) -> SurveyResponse:
    dimensions.setdefault("channel", Channel.PHONE)
    return SurveyResponseFactory.create(
        invitation__survey=survey,
        score=score,
        answered_at=at_noon(day),
        **dimensions,
    )


def answers(survey: Survey, scores: list[int], day: date, **dimensions) -> None:
    for score in scores:
        answer(survey, score, day, **dimensions)


def counted() -> None:
    """The answers made here bypass the answer service, which keeps the score
    rollup current: rebuild it as a bulk writer does."""
    rollup.rebuild_rollup()


def period(
    start,
    label,
    n,
    bands,
    score,
    margin,
    change=None,
    significant=None,
    *,
    low_sample=True,
):
    """A trend period as the API shows it, for an NPS survey."""
    return {
        "period": start,
        "label": label,
        "n": n,
        "promoters": bands[0],
        "passives": bands[1],
        "detractors": bands[2],
        "nps": score,
        "margin": margin,
        "low_sample": low_sample,
        "change": change,
        "is_significant": significant,
    }


EMPTY_47 = period("2026-11-16", "2026-W47", 0, (0, 0, 0), None, None)
EMPTY_48 = period("2026-11-23", "2026-W48", 0, (0, 0, 0), None, None)


# Trend


@pytest.mark.parametrize("use_rollup", [True, False])
def test_the_nps_trend_has_every_week_with_its_figures_worked_out_by_hand(
    manager, nps_survey, settings, use_rollup
):
    settings.METRICS_USE_ROLLUP = use_rollup
    # About the z-test itself: a verdict on any sample.
    settings.METRICS_MIN_SAMPLE = 1
    # The week before the range: one promoter (NPS 100), for W47's change.
    answers(nps_survey, [10], WEEK_47 - timedelta(days=5))
    answers(nps_survey, [10, 9, 9, 7, 3], WEEK_47 + timedelta(days=1))
    answers(nps_survey, [9, 0], WEEK_48 + timedelta(days=1))
    counted()

    response = get(manager, "trend", **RANGE)

    # W47: p = 3/5, d = 1/5: NPS 40; variance 0.8 − 0.4² = 0.64, margin
    # 1.96 · √(0.64 / 5) · 100 = 70.12. Change 40 − 100 = −60, z = −0.6 /
    # √(0.64/5 + 0/1) = −1.68: not significant.
    # W48: p = d = 1/2: NPS 0; variance 1, margin 1.96 · √(1/2) · 100 =
    # 138.59. Change 0 − 40 = −40, z = −0.4 / √(1/2 + 0.64/5) = −0.50.
    assert response.status_code == 200
    assert response.json() == {
        "kind": "nps",
        "interval": "week",
        "from": "2026-11-16",
        "to": "2026-11-29",
        "mode": "all",
        "by": None,
        "results": [
            period(
                "2026-11-16",
                "2026-W47",
                5,
                (3, 1, 1),
                40.0,
                70.1,
                -60.0,
                False,
                low_sample=False,
            ),
            period(
                "2026-11-23",
                "2026-W48",
                2,
                (1, 0, 1),
                0.0,
                138.6,
                -40.0,
                False,
                low_sample=False,
            ),
        ],
    }


def test_a_csat_trend_names_its_score_csat(manager):
    survey = SurveyFactory.create(kind=Kind.CSAT)
    answers(survey, [5, 4, 3, 1], WEEK_47 + timedelta(days=2))
    counted()

    response = get(manager, "trend", survey=survey.id, **RANGE)

    # 2 of 4 answers are 4–5: CSAT 50 %; margin 1.96 · √(0.25 / 4) · 100 = 49.
    assert response.status_code == 200
    assert response.json()["kind"] == "csat"
    assert response.json()["results"] == [
        {
            "period": "2026-11-16",
            "label": "2026-W47",
            "n": 4,
            "promoters": 2,
            "passives": 1,
            "detractors": 1,
            "csat": 50.0,
            "margin": 49.0,
            "low_sample": True,
            "change": None,
            "is_significant": None,
        },
        {
            "period": "2026-11-23",
            "label": "2026-W48",
            "n": 0,
            "promoters": 0,
            "passives": 0,
            "detractors": 0,
            "csat": None,
            "margin": None,
            "low_sample": True,
            "change": None,
            "is_significant": None,
        },
    ]


def test_a_ces_trend_by_kind_names_its_score_ces_and_counts_no_other_kind(
    manager, nps_survey
):
    survey = SurveyFactory.create(kind=Kind.CES)
    answers(survey, [7, 6, 5, 2], WEEK_48)
    answers(nps_survey, [10, 0], WEEK_48)
    counted()

    response = get(manager, "trend", kind="ces", interval="month", **RANGE)

    # 3 of 4 answers are 5–7: CES 75 %; margin 1.96 · √(0.75 · 0.25 / 4) · 100
    # = 42.44.
    assert response.status_code == 200
    body = response.json()
    assert (body["kind"], body["interval"]) == ("ces", "month")
    assert body["results"] == [
        {
            "period": "2026-11-01",
            "label": "2026-11",
            "n": 4,
            "promoters": 3,
            "passives": 0,
            "detractors": 1,
            "ces": 75.0,
            "margin": 42.4,
            "low_sample": True,
            "change": None,
            "is_significant": None,
        }
    ]


def test_a_trend_by_a_dimension_is_one_series_per_value_most_answers_first(
    manager, nps_survey
):
    answers(nps_survey, [10, 9, 3], WEEK_47, channel=Channel.PHONE)
    answers(nps_survey, [0], WEEK_48, channel=Channel.EMAIL)
    counted()

    response = get(manager, "trend", by="channel", **RANGE)

    # Phone: p = 2/3, d = 1/3: NPS 33.3; variance 1 − (1/3)² = 0.889, margin
    # 1.96 · √(0.889 / 3) · 100 = 106.69. Email: one detractor, no spread.
    assert response.status_code == 200
    assert response.json() == {
        "kind": "nps",
        "interval": "week",
        "from": "2026-11-16",
        "to": "2026-11-29",
        "mode": "all",
        "by": "channel",
        "limit": 100,
        "results": [
            {
                "key": "phone",
                "label": "Phone",
                "periods": [
                    period("2026-11-16", "2026-W47", 3, (2, 0, 1), 33.3, 106.7),
                    EMPTY_48,
                ],
            },
            {
                "key": "email",
                "label": "Email",
                "periods": [
                    EMPTY_47,
                    period("2026-11-23", "2026-W48", 1, (0, 0, 1), -100.0, 0.0),
                ],
            },
        ],
    }


def test_a_dimension_narrows_the_trend_to_its_answers(manager, nps_survey):
    checkout = TouchpointFactory.create(name="Checkout")
    answers(nps_survey, [10, 9], WEEK_47, touchpoint=checkout)
    answers(nps_survey, [0, 0, 0], WEEK_47)
    counted()

    response = get(manager, "trend", touchpoint=checkout.id, **RANGE)

    assert response.status_code == 200
    assert response.json()["results"] == [
        period("2026-11-16", "2026-W47", 2, (2, 0, 0), 100.0, 0.0),
        EMPTY_48,
    ]


def test_the_latest_mode_counts_each_customers_latest_answer(manager, nps_survey):
    first = answer(nps_survey, 0, WEEK_47)
    SurveyResponseFactory.create(
        invitation__survey=nps_survey,
        invitation__customer=first.customer,
        invitation__interaction__customer=first.customer,
        score=10,
        channel=Channel.PHONE,
        answered_at=at_noon(WEEK_47 + timedelta(days=1)),
    )
    counted()

    everything = get(manager, "trend", **RANGE)
    latest = get(manager, "trend", mode="latest", **RANGE)

    assert everything.json()["results"][0]["n"] == 2
    assert latest.json()["mode"] == "latest"
    assert latest.json()["results"] == [
        period("2026-11-16", "2026-W47", 1, (1, 0, 0), 100.0, 0.0),
        EMPTY_48,
    ]


def test_without_a_range_the_trend_covers_the_last_90_days(manager):
    response = get(manager, "trend")

    body = response.json()
    assert (body["from"], body["to"]) == ("2026-09-02", "2026-11-30")
    # From the week of Wednesday 2 September to the week of Monday 30 November.
    assert [each["label"] for each in body["results"]][::6] == [
        "2026-W36",
        "2026-W42",
        "2026-W48",
    ]
    assert len(body["results"]) == 14
    assert body["results"][-1]["period"] == "2026-11-30"


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


# Funnel


def invitation(survey: Survey, *, created: date, **fields) -> Invitation:
    return InvitationFactory.create(
        survey=survey, created_at=at_noon(created), **fields
    )


def test_the_funnel_counts_the_invitations_of_the_range_by_how_far_they_got(
    manager, nps_survey
):
    day = WEEK_47 + timedelta(days=2)
    sent = {"sent_at": at_noon(day)}
    opened = {**sent, "opened_at": at_noon(day) + HOUR}
    answered = {**opened, "answered_at": at_noon(day) + 2 * HOUR}
    for fields in [answered, answered]:
        invitation(nps_survey, created=day, status=Invitation.Status.ANSWERED, **fields)
    invitation(nps_survey, created=day, status=Invitation.Status.SENT, **opened)
    invitation(nps_survey, created=day, status=Invitation.Status.SENT, **sent)
    invitation(
        nps_survey, created=day, status=Invitation.Status.SCHEDULED, sent_at=None
    )
    for reason in ["throttled", "throttled", "opted_out"]:
        invitation(
            nps_survey,
            created=day,
            status=Invitation.Status.SUPPRESSED,
            suppressed_reason=reason,
            sent_at=None,
        )
    # Created before the range, and a CSAT survey's: not counted.
    invitation(nps_survey, created=date(2026, 11, 10), **answered)
    invitation(SurveyFactory.create(kind=Kind.CSAT), created=day, **answered)

    response = get(manager, "funnel", **RANGE)

    assert response.status_code == 200
    assert response.json() == {
        **ABOUT,
        "scheduled": 8,
        "suppressed": {"throttled": 2, "opted_out": 1},
        "suppressed_total": 3,
        "sent": 4,
        "opened": 3,
        "answered": 2,
        "response_rate": 50.0,
    }


def test_an_empty_funnel_has_no_response_rate(manager):
    response = get(manager, "funnel", **RANGE)

    assert response.json() == {
        **ABOUT,
        "scheduled": 0,
        "suppressed": {},
        "suppressed_total": 0,
        "sent": 0,
        "opened": 0,
        "answered": 0,
        "response_rate": None,
    }


# Journey


def cell(stage, touchpoint, label, n, bands, score, margin) -> dict:
    return {
        "stage": stage,
        "touchpoint": touchpoint,
        "touchpoint_label": label,
        "n": n,
        "promoters": bands[0],
        "passives": bands[1],
        "detractors": bands[2],
        "nps": score,
        "margin": margin,
        "low_sample": True,
    }


def test_the_journey_map_has_a_cell_per_stage_and_touchpoint_and_its_pain_points(
    manager, nps_survey
):
    checkout = TouchpointFactory.create(name="Checkout", stage=Stage.PURCHASE)
    ticket = TouchpointFactory.create(name="Support ticket")
    answers(nps_survey, [10, 9, 2], WEEK_47, stage=Stage.PURCHASE, touchpoint=checkout)
    answers(nps_survey, [6, 5], WEEK_47, stage=Stage.USAGE, touchpoint=ticket)
    answers(nps_survey, [8], WEEK_47, stage=Stage.USAGE)
    counted()

    response = get(manager, "journey", **RANGE)

    # 6 answers in all: the ticket's 2 detractors weigh 2/6, checkout's 1/6.
    checkout_cell = cell("purchase", checkout.id, "Checkout", 3, (2, 0, 1), 33.3, 106.7)
    ticket_cell = cell("usage", ticket.id, "Support ticket", 2, (0, 0, 2), -100.0, 0.0)
    assert response.status_code == 200
    assert response.json() == {
        **ABOUT,
        "cells": [
            checkout_cell,
            ticket_cell,
            cell("usage", None, "—", 1, (0, 1, 0), 0.0, 0.0),
        ],
        "pain_points": [
            {**ticket_cell, "impact": 0.3333, "negative_share": 1.0},
            {**checkout_cell, "impact": 0.1667, "negative_share": 1 / 3},
        ],
    }


# Loop


@pytest.fixture
def cases_of_two_weeks(manager):
    """A case contacted after 2 hours and closed (W47); one not contacted
    yet, inside its deadline (W48); one from before the range."""
    opened = at_noon(WEEK_47 + timedelta(days=1))
    CaseFactory.create(
        owner=manager,
        created_at=opened,
        due_at=opened + 48 * HOUR,
        first_contact_at=opened + 2 * HOUR,
        contact_channel="phone",
        status=Case.Status.CLOSED,
        closed_at=opened + 3 * HOUR,
        root_cause=RootCauseFactory.create(name="Billing"),
        resolution="Refunded the fee.",
    )
    CaseFactory.create(created_at=at_noon(WEEK_48), due_at=NOW + 24 * HOUR)
    CaseFactory.create(created_at=at_noon(date(2026, 11, 10)))


def loop_row(key, label, **figures) -> dict:
    return {
        "key": key,
        "label": label,
        "opened": 1,
        "contacted": 0,
        "deadline_counted": 0,
        "from_responses": 1,
        "outcomes_known": 0,
        "median_hours_to_first_contact": None,
        "contacted_within_deadline_pct": None,
        "closed_pct": 0.0,
        "loop_closure_rate_pct": 0.0,
        "recovery_rate_pct": None,
        **figures,
    }


def test_the_loop_figures_of_the_cases_opened_in_the_range(manager, cases_of_two_weeks):
    response = get(manager, "loop", **RANGE)

    assert response.status_code == 200
    assert response.json() == {
        **ABOUT,
        "interval": "week",
        "by": None,
        "results": [
            loop_row(
                None,
                "all cases",
                opened=2,
                contacted=1,
                deadline_counted=1,
                from_responses=2,
                median_hours_to_first_contact=2.0,
                contacted_within_deadline_pct=100.0,
                closed_pct=50.0,
                loop_closure_rate_pct=50.0,
            )
        ],
    }


def test_the_loop_figures_per_week_are_keyed_by_the_weeks_first_day(
    manager, cases_of_two_weeks
):
    response = get(manager, "loop", by="period", interval="week", **RANGE)

    assert response.status_code == 200
    assert response.json() == {
        **ABOUT,
        "interval": "week",
        "by": "period",
        "results": [
            loop_row(
                "2026-11-16",
                "2026-W47",
                contacted=1,
                deadline_counted=1,
                median_hours_to_first_contact=2.0,
                contacted_within_deadline_pct=100.0,
                closed_pct=100.0,
                loop_closure_rate_pct=100.0,
            ),
            loop_row("2026-11-23", "2026-W48"),
        ],
    }


def test_the_loop_figures_per_owner_are_keyed_by_the_owners_id(
    manager, cases_of_two_weeks
):
    response = get(manager, "loop", by="owner", **RANGE)

    assert [(row["key"], row["label"]) for row in response.json()["results"]] == [
        (manager.id, "mia-manager"),
        (None, "—"),
    ]


@pytest.mark.parametrize("by", ["bogus", "channel"])
def test_the_loop_refuses_a_grouping_it_does_not_have(manager, by):
    response = get(manager, "loop", by=by)

    assert response.status_code == 400
    assert response.json() == {
        "by": ["Group cases by one of: owner, root_cause, touchpoint, period."]
    }


def test_the_loop_reads_its_dates_like_the_other_endpoints(manager):
    response = get(manager, "loop", **{"from": "2026-11-30", "to": "2026-11-01"})

    assert response.status_code == 400
    assert response.json() == {"to": ["The range ends before it starts."]}


def test_the_loop_counts_the_cases_of_the_answers_asked_for(manager, nps_survey):
    csat_survey = SurveyFactory.create(kind=Kind.CSAT)
    checkout = TouchpointFactory.create(name="Checkout")
    day = WEEK_47 + timedelta(days=1)
    opened_from = {
        "checkout": answer(nps_survey, 2, day, touchpoint=checkout),
        "email": answer(nps_survey, 3, day, channel=Channel.EMAIL),
        "csat": answer(csat_survey, 1, day, touchpoint=checkout),
    }
    for response in opened_from.values():
        CaseFactory.create(response=response, created_at=response.answered_at)
    # Opened by hand: no answer, so no kind, survey or touchpoint to match.
    CaseFactory.create(
        response=None,
        customer=opened_from["email"].customer,
        reason=Case.Reason.MANUAL,
        created_at=at_noon(day),
    )

    def opened(**query) -> int:
        response = get(manager, "loop", **query, **RANGE)
        assert response.status_code == 200
        return response.json()["results"][0]["opened"]

    assert opened() == 2
    assert opened(kind="csat") == 1
    assert opened(survey=csat_survey.id) == 1
    assert opened(touchpoint=checkout.id) == 1
    assert opened(channel="email") == 1
    assert opened(channel="chat") == 0
    # The loop's own `by` groups the cases the filters kept.
    by_touchpoint = get(manager, "loop", by="touchpoint", touchpoint=checkout.id)
    assert by_touchpoint.json()["by"] == "touchpoint"
    assert [(row["key"], row["opened"]) for row in by_touchpoint.json()["results"]] == [
        (checkout.id, 1)
    ]


# The query parameters


@pytest.mark.parametrize("endpoint", ["trend", "breakdown", "funnel", "journey"])
def test_a_survey_of_another_kind_than_the_kind_asked_for_is_a_400(manager, endpoint):
    survey = SurveyFactory.create(kind=Kind.CSAT)

    response = get(manager, endpoint, survey=survey.id, kind="nps", by="channel")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["The survey asks csat, not nps."]}


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            {"from": "2026-11-30", "to": "2026-11-01"},
            {"to": ["The range ends before it starts."]},
        ),
        ({"from": "2026-13-01"}, {"from": ["Enter a valid date."]}),
        ({"to": "yesterday"}, {"to": ["Enter a valid date."]}),
        (
            {"from": "2020-01-01", "to": "2026-11-30"},
            {"from": ["Ask for at most 1830 days at once."]},
        ),
        (
            {"by": "colour"},
            {
                "by": [
                    "Select a valid choice. colour is not one of the available choices."
                ]
            },
        ),
        (
            {"kind": "stars"},
            {
                "kind": [
                    "Select a valid choice. stars is not one of the available choices."
                ]
            },
        ),
        (
            {"interval": "year"},
            {
                "interval": [
                    "Select a valid choice. year is not one of the available choices."
                ]
            },
        ),
        (
            {"survey": "999999"},
            {
                "survey": [
                    "Select a valid choice. That choice is not one of the "
                    "available choices."
                ]
            },
        ),
        ({"touchpoint": "x"}, {"touchpoint": ["Enter a whole number."]}),
    ],
)
def test_an_invalid_parameter_is_a_400_under_its_name(manager, query, errors):
    response = get(manager, "trend", **query)

    assert response.status_code == 400
    assert response.json() == errors


OUT_OF_RANGE = "Choose a day from 1900-01-01 to 2999-12-31."
# Every endpoint, with a `by` where it has one.
EVERY_ENDPOINT = [
    ("trend", {}),
    ("trend", {"by": "company"}),
    ("breakdown", {"by": "company"}),
    ("funnel", {}),
    ("journey", {}),
    ("loop", {}),
    ("loop", {"by": "period"}),
]


@pytest.mark.parametrize(("endpoint", "extra"), EVERY_ENDPOINT)
@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"from": "9999-12-31"}, {"from": [OUT_OF_RANGE]}),
        ({"to": "0001-01-05"}, {"to": [OUT_OF_RANGE]}),
        ({"from": "0001-01-01", "to": "0001-01-05"}, {"from": [OUT_OF_RANGE]}),
        ({"from": "2026-11-30", "to": "3000-01-01"}, {"to": [OUT_OF_RANGE]}),
        (
            {"from": "1900-01-01", "interval": "day"},
            {"from": ["Ask for at most 1830 days at once."]},
        ),
    ],
)
def test_a_hostile_date_is_a_400_naming_its_parameter(
    manager, endpoint, extra, query, errors
):
    response = get(manager, endpoint, **extra, **query)

    assert response.status_code == 400
    assert response.json() == errors


@pytest.mark.parametrize(("endpoint", "extra"), EVERY_ENDPOINT)
@pytest.mark.parametrize(
    ("query", "about"),
    [
        # A future `from` alone is the one day from it.
        ({"from": "2030-01-01"}, ("2030-01-01", "2030-01-01")),
        (
            {"from": "1900-01-01", "to": "1900-03-31", "interval": "quarter"},
            ("1900-01-01", "1900-03-31"),
        ),
        (
            {"from": "2999-10-01", "to": "2999-12-31", "interval": "quarter"},
            ("2999-10-01", "2999-12-31"),
        ),
        ({"to": "1900-01-01", "interval": "day"}, ("1900-01-01", "1900-01-01")),
    ],
)
def test_the_first_and_last_days_allowed_and_a_future_start_have_figures(
    manager, nps_survey, endpoint, extra, query, about
):
    answers_and_cases(nps_survey, 1)

    response = get(manager, endpoint, **extra, **query)

    assert response.status_code == 200
    assert (response.json()["from"], response.json()["to"]) == about


def test_an_unknown_parameter_is_ignored(manager, nps_survey):
    answers(nps_survey, [10], WEEK_47)
    counted()

    response = get(manager, "trend", colour="red", **RANGE)

    assert response.status_code == 200
    assert [each["n"] for each in response.json()["results"]] == [1, 0]


# Who may read the figures


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    ("who", "status", "body"),
    [
        ("support", 403, NOT_A_MANAGER),
        ("outsider", 403, NOT_A_MANAGER),
        ("anonymous", 401, NOT_SIGNED_IN),
    ],
)
def test_only_managers_read_the_figures(request, endpoint, who, status, body):
    user = None if who == "anonymous" else request.getfixturevalue(who)

    response = get(user, endpoint, by="touchpoint")

    assert (response.status_code, response.json()) == (status, body)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_manager_signed_in_with_a_session_reads_the_figures_and_their_pages(
    manager, endpoint
):
    client = APIClient()
    client.force_login(manager)

    query = {"by": "touchpoint"}
    response = client.get(f"{METRICS}{endpoint}/", query)
    page = client.get(f"{METRICS}{endpoint}/", query, HTTP_ACCEPT="text/html")

    assert (response.status_code, page.status_code) == (200, 200)
    assert response["Content-Type"] == "application/json"
    assert page["Content-Type"] == "text/html; charset=utf-8"


# Query counts


def answers_and_cases(survey: Survey, count: int) -> None:
    """`count` answers, each about its own touchpoint and with a case."""
    for number in range(count):
        day = WEEK_47 + timedelta(days=number % 14)
        response = answer(
            survey,
            [10, 7, 3][number % 3],
            day,
            touchpoint=TouchpointFactory.create(),
            stage=Stage.USAGE,
            invitation__created_at=at_noon(day) - HOUR,
        )
        CaseFactory.create(response=response, created_at=response.answered_at)
    counted()


@pytest.mark.parametrize(
    ("endpoint", "query", "queries"),
    [
        # Token and user, the user's and their groups' permissions, then:
        ("trend", {}, 3 + 1),  # the counts
        ("trend", {"by": "touchpoint"}, 3 + 2),  # the counts, the labels
        ("breakdown", {"by": "touchpoint"}, 3 + 2),  # the counts, the labels
        ("funnel", {}, 3 + 1),  # the counts
        ("journey", {}, 3 + 2),  # the counts, the touchpoints' names
        ("loop", {"by": "touchpoint"}, 3 + 1),  # the figures, labels joined
    ],
)
def test_an_endpoint_runs_the_same_queries_for_5_and_50_answers(
    manager, nps_survey, django_assert_num_queries, endpoint, query, queries
):
    client = bearer(manager)
    answers_and_cases(nps_survey, 5)
    with django_assert_num_queries(queries):
        few = client.get(f"{METRICS}{endpoint}/", {**query, **RANGE})
    answers_and_cases(nps_survey, 45)
    # A new request: Django caches permissions on the user of one request only.
    with django_assert_num_queries(queries):
        many = client.get(f"{METRICS}{endpoint}/", {**query, **RANGE})

    assert (few.status_code, many.status_code) == (200, 200)
    assert few.json() != many.json()


def test_a_survey_parameter_costs_one_query(
    manager, nps_survey, django_assert_num_queries
):
    client = bearer(manager)
    answers_and_cases(nps_survey, 5)

    with django_assert_num_queries(3 + 1 + 1):
        response = client.get(f"{METRICS}trend/", {"survey": nps_survey.id, **RANGE})

    assert [each["n"] for each in response.json()["results"]] == [5, 0]


# The dashboard's figures


@pytest.fixture
def shop(manager, support, nps_survey) -> dict[str, Survey]:
    """Answers of two kinds at two touchpoints (and none), from two segments,
    about two staff members, one customer answering twice; their invitations,
    half of them opened; a case per negative answer, every second one
    contacted and closed; a case opened by hand."""
    csat_survey = SurveyFactory.create(name="Checkout CSAT", kind=Kind.CSAT)
    checkout = TouchpointFactory.create(name="Checkout", stage=Stage.PURCHASE)
    ticket = TouchpointFactory.create(name="Support ticket", stage=Stage.USAGE)

    def about(touchpoint, segment, staff=None, channel=Channel.EMAIL) -> dict:
        # The answer's dimensions as the answer service freezes them from its
        # interaction and customer, which the funnel reads.
        return {
            "touchpoint": touchpoint,
            "stage": touchpoint.stage if touchpoint else Stage.USAGE,
            "segment": segment,
            "staff": staff,
            "channel": channel,
            "invitation__interaction__touchpoint": touchpoint,
            "invitation__interaction__channel": channel,
            "invitation__interaction__logged_by": staff,
            "invitation__interaction__customer__segment": segment,
        }

    answered = [
        # Before the range: the change of the breakdowns.
        (nps_survey, [10, 2], date(2026, 11, 10), about(checkout, "smb")),
        (nps_survey, [10, 9, 6], WEEK_47, about(checkout, "smb", manager)),
        (nps_survey, [3, 8], WEEK_47 + 2 * DAY, about(ticket, "ent", support, "phone")),
        (nps_survey, [10, 0, 7], WEEK_48 + DAY, about(ticket, "smb", support)),
        (nps_survey, [9], WEEK_48 + 3 * DAY, about(None, "ent", channel="chat")),
        (csat_survey, [5, 4, 2], WEEK_48, about(checkout, "smb", manager)),
    ]
    negative = []
    for survey, scores, day, dimensions in answered:
        for number, score in enumerate(scores):
            response = answer(
                survey,
                score,
                day,
                invitation__created_at=at_noon(day) - 2 * HOUR,
                invitation__opened_at=at_noon(day) - HOUR if number % 2 else None,
                **dimensions,
            )
            if response.band == "detractor":
                negative.append(response)
    # The second detractor's customer answers again, at the ticket.
    dimensions = about(ticket, "smb", support)
    del dimensions["invitation__interaction__customer__segment"]
    again = answer(
        nps_survey,
        9,
        WEEK_48 + 2 * DAY,
        invitation__interaction__customer=negative[1].customer,
        **dimensions,
    )
    assert again.customer == negative[1].customer
    for number, response in enumerate(negative):
        contacted = number % 2 == 0
        opened = response.answered_at + HOUR
        CaseFactory.create(
            response=response,
            created_at=opened,
            due_at=opened + 24 * HOUR,
            first_contact_at=opened + 3 * HOUR if contacted else None,
            status=Case.Status.CLOSED if contacted else Case.Status.OPEN,
            closed_at=opened + 4 * HOUR if contacted else None,
            root_cause=RootCauseFactory.create(name="Billing") if contacted else None,
            resolution="Called back." if contacted else "",
            outcome=Case.Outcome.RECOVERED if number == 2 else "",
        )
    CaseFactory.create(
        response=None,
        customer=negative[0].customer,
        reason=Case.Reason.MANUAL,
        created_at=at_noon(WEEK_47),
    )
    counted()
    return {"nps": nps_survey, "csat": csat_survey}


def one_decimal(value: float | None, *, before: str = "") -> str:
    """A figure as the page prints it."""
    return "" if value is None else before + charts.number(value)


def percent(points: float | None) -> str:
    return "" if points is None else f"{charts.number(points)}%"


def printed(row: dict, kind: str) -> tuple:
    """What the page shows of a score."""
    return (
        row["n"],
        one_decimal(row[kind]),
        one_decimal(row["margin"], before="±"),
        row["low_sample"],
    )


def shown_on_the_page(figures) -> tuple:
    return (figures.n, figures.score, figures.margin, figures.is_low_sample)


TREND_POINT = re.compile(
    r"(?P<label>\S+): (?P<score>\S+) (?P<margin>±\S+) \((?P<n>\d+) answers?\)"
    r"(?P<low_sample> — low sample)?"
)


def trend_points(chart: str) -> list[tuple]:
    """The label and figures of each point of the dashboard's trend chart."""
    points = []
    for title in re.findall(r'class="trend-point[^"]*"[^>]*><title>([^<]*)<', chart):
        point = TREND_POINT.fullmatch(html.unescape(title))
        assert point, title
        points.append(
            (
                point["label"],
                int(point["n"]),
                point["score"],
                point["margin"],
                point["low_sample"] is not None,
            )
        )
    return points


@pytest.mark.parametrize(
    "query",
    [
        {"by": "touchpoint"},
        {"by": "segment", "mode": "latest", "interval": "day"},
        {"by": "staff", "channel": "email", "interval": "month"},
        {"by": "channel", "kind": "csat"},
        {"by": "stage", "survey": "nps"},
        {"by": "touchpoint", "segment": "smb", "mode": "latest"},
    ],
)
def test_the_api_returns_the_dashboards_figures_for_the_same_query_string(
    client, manager, shop, query
):
    if "survey" in query:
        query = {**query, "survey": shop[query["survey"]].id}
    query = {**query, **RANGE}
    client.force_login(manager)
    page = client.get("/dashboard/", query)
    assert page.status_code == 200
    context = page.context
    shown = context["answer_filter"]
    kind = shown.kind
    without_by = {name: value for name, value in query.items() if name != "by"}

    def api(endpoint: str, query: dict) -> dict:
        response = get(manager, endpoint, **query)
        assert response.status_code == 200, response.json()
        body = response.json()
        # Both about the same answers (the funnel and loop count them all).
        mode = "all" if endpoint in ("funnel", "loop") else shown.mode
        about = (kind, shown.start.isoformat(), shown.end.isoformat(), mode)
        assert (body["kind"], body["from"], body["to"], body["mode"]) == about
        return body

    trend = api("trend", without_by)["results"]
    assert trend_points(str(context["trend_chart"])) == [
        (period["label"], *printed(period, kind)) for period in trend if period["n"]
    ]
    assert sum(period["n"] for period in trend) > 0

    funnel = api("funnel", query)
    figures = context["funnel"]["figures"]
    assert {name: funnel[name] for name in ("scheduled", "suppressed", "sent")} == {
        "scheduled": figures.scheduled,
        "suppressed": figures.suppressed,
        "sent": figures.sent,
    }
    assert (funnel["opened"], funnel["answered"], funnel["response_rate"]) == (
        figures.opened,
        figures.answered,
        figures.response_rate,
    )
    assert funnel["opened"] > 0

    journey = api("journey", query)
    assert sorted(
        (row["label"], cell["stage"], *shown_on_the_page(cell["figures"]))
        for row in context["journey"]["rows"]
        for cell in row["cells"]
        if cell is not None
    ) == sorted(
        (
            cell["touchpoint_label"] if cell["touchpoint"] else "no touchpoint",
            cell["stage"],
            *printed(cell, kind),
        )
        for cell in journey["cells"]
    )
    assert [
        (
            point["cell"]["stage"],
            point["cell"]["figures"].n,
            point["impact"],
            point["negative_share"],
        )
        for point in context["pain_points"]
    ] == [
        (
            point["stage"],
            point["n"],
            percent(100 * point["impact"]),
            percent(100 * point["negative_share"]),
        )
        for point in journey["pain_points"]
    ]

    breakdown = api("breakdown", query)
    assert [
        (
            row["label"],
            *shown_on_the_page(row["figures"]),
            row["figures"].change,
            row["figures"].is_significant,
        )
        for row in context["full_breakdown"]
    ] == [
        (
            group["label"],
            *printed(group, kind),
            "" if group["change"] is None else f"{group['change']:+.1f}",
            group["is_significant"],
        )
        for group in breakdown["results"]
    ]
    assert breakdown["results"]

    for dimension, lists in zip(
        ("touchpoint", "segment", "staff"), context["breakdowns"], strict=True
    ):
        groups = api("breakdown", {**query, "by": dimension})["results"]
        figures_of = {group["label"]: printed(group, kind) for group in groups}
        for row in lists["best"] + lists["worst"]:
            assert shown_on_the_page(row["figures"]) == figures_of[row["label"]]

    [loop] = api("loop", without_by)["results"]
    assert context["loop"] == {
        "opened": loop["opened"],
        "median_hours": one_decimal(loop["median_hours_to_first_contact"]),
        "contacted": loop["contacted"],
        "within_deadline": percent(loop["contacted_within_deadline_pct"]),
        "deadline_counted": loop["deadline_counted"],
        "closed": percent(loop["closed_pct"]),
        "loop_closure": percent(loop["loop_closure_rate_pct"]),
        "from_responses": loop["from_responses"],
        "recovery": percent(loop["recovery_rate_pct"]),
        "outcomes_known": loop["outcomes_known"],
    }
    assert loop["opened"] > 0


# The schema


def test_the_schema_documents_the_metrics_endpoints_and_their_parameters():
    response = APIClient().get("/api/v1/schema/", {"format": "json"})

    schema = json.loads(response.content)
    paths = {
        path: operations
        for path, operations in schema["paths"].items()
        if path.startswith(METRICS)
    }
    assert {path: sorted(operations) for path, operations in paths.items()} == {
        f"{METRICS}{endpoint}/": ["get"] for endpoint in ENDPOINTS
    }

    def parameters(endpoint: str) -> dict[str, bool]:
        return {
            parameter["name"]: parameter.get("required", False)
            for parameter in paths[f"{METRICS}{endpoint}/"]["get"]["parameters"]
        }

    dimensions = dict.fromkeys(
        ["channel", "touchpoint", "stage", "segment", "company", "staff"], False
    )
    filters = {"survey": False, "kind": False, "from": False, "to": False}
    assert parameters("trend") == {
        **filters,
        **dimensions,
        "interval": False,
        "mode": False,
        "by": False,
        "limit": False,
    }
    assert parameters("breakdown") == {
        **filters,
        **dimensions,
        "mode": False,
        "by": True,
        "limit": False,
    }
    assert parameters("funnel") == {**filters, **dimensions}
    assert parameters("journey") == {**filters, **dimensions, "mode": False}
    assert parameters("loop") == {
        **filters,
        **dimensions,
        "interval": False,
        "by": False,
    }
    for endpoint in ENDPOINTS:
        responses = paths[f"{METRICS}{endpoint}/"]["get"]["responses"]
        assert sorted(responses) == ["200", "400", "401", "403", "406", "429"]
    components = schema["components"]["schemas"]
    assert list(components["MetricsPeriod"]["properties"]) == [
        "period",
        "label",
        "n",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "csat",
        "ces",
        "margin",
        "low_sample",
        "change",
        "is_significant",
    ]
    # Only one of the three scores is in a row: the one of its kind.
    assert not {"nps", "csat", "ces"} & set(components["MetricsPeriod"]["required"])
    # Every answer starts with what its figures are about.
    about = ["from", "to", "mode"]
    assert {
        name: list(components[name]["properties"])
        for name in [
            "MetricsTrend",
            "MetricsTrendByGroup",
            "MetricsBreakdown",
            "MetricsFunnel",
            "MetricsJourney",
            "MetricsLoop",
        ]
    } == {
        "MetricsTrend": ["kind", "interval", *about, "by", "results"],
        "MetricsTrendByGroup": ["kind", "interval", *about, "by", "limit", "results"],
        "MetricsBreakdown": ["kind", *about, "by", "limit", "results"],
        "MetricsFunnel": [
            "kind",
            *about,
            "scheduled",
            "suppressed",
            "suppressed_total",
            "sent",
            "opened",
            "answered",
            "response_rate",
        ],
        "MetricsJourney": ["kind", *about, "cells", "pain_points"],
        "MetricsLoop": ["kind", "interval", *about, "by", "results"],
    }
    assert components["MetricsLoop"]["properties"]["results"]["items"] == {
        "$ref": "#/components/schemas/MetricsLoopRow"
    }


def test_the_schema_with_the_metrics_is_valid_and_free_of_warnings(tmp_path):
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yml"),
    )
