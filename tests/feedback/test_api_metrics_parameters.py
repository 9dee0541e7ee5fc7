"""The metrics endpoints' query parameters: the 400s under each parameter's
name, hostile dates, the first and last days allowed, unknown parameters."""

import pytest

from surveys.models import Kind
from tests.factories import SurveyFactory
from tests.feedback.metrics_api_helpers import (
    NOW,
    RANGE,
    WEEK_47,
    answers,
    answers_and_cases,
    counted,
    get,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


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
