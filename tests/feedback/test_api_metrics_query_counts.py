"""The metrics endpoints' query counts: the same for 5 answers as for 50, and
one query for a survey parameter."""

import pytest

from tests.api import bearer
from tests.feedback.metrics_api_helpers import METRICS, NOW, RANGE, answers_and_cases

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


# Query counts


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
