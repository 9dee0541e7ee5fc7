"""`/api/v1/metrics/loop/`: the figures of the cases opened in the range, in
total, per week and per owner, for the answers asked for."""

from datetime import date, timedelta

import pytest

from customers.models import Channel
from feedback.models import Case
from surveys.models import Kind
from tests.factories import (
    CaseFactory,
    RootCauseFactory,
    SurveyFactory,
    TouchpointFactory,
)
from tests.feedback.metrics_api_helpers import (
    ABOUT,
    HOUR,
    NOW,
    RANGE,
    WEEK_47,
    WEEK_48,
    answer,
    at_noon,
    get,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


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
