"""The query counts of the cases API's lists: the same for one row as for
five, and constant when filtered."""

import pytest

from tests.api import bearer
from tests.factories import CaseEventFactory, CaseFactory, CustomerFactory
from tests.feedback.case_api_helpers import (
    CASES,
    DEFAULT_ROOT_CAUSES,
    NOW,
    ROOT_CAUSES,
    closed_case,
    manual_case,
    url,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


# Query counts


def test_the_case_list_runs_the_same_queries_for_one_case_as_for_five(
    manager, cause, django_assert_num_queries
):
    client = bearer(manager)
    CaseFactory.create(owner=manager, root_cause=None)
    # The key with its user, the user's permissions, those of their groups,
    # the page, the access log's one entry (lib/access_log.py).
    with django_assert_num_queries(5):
        one = client.get(CASES)
    for _ in range(2):
        CaseFactory.create(owner=manager)
        closed_case(manager, cause)

    with django_assert_num_queries(5):
        five = client.get(CASES)

    assert (len(one.json()["results"]), len(five.json()["results"])) == (1, 5)


def test_a_filtered_case_list_runs_a_constant_number_of_queries(
    support, case_owner, django_assert_num_queries
):
    customer = CustomerFactory.create()
    for _ in range(5):
        manual_case(customer=customer, owner=case_owner)
    client = bearer(support)

    # As above, plus the checks that the customer and the owner exist.
    with django_assert_num_queries(7):
        response = client.get(CASES, {"customer": customer.id, "owner": case_owner.id})

    assert len(response.json()["results"]) == 5


def test_a_timeline_runs_the_same_queries_for_one_event_as_for_five(
    support, owned_case, django_assert_num_queries
):
    client = bearer(support)
    CaseEventFactory.create(case=owned_case)
    # As the list, plus the case.
    with django_assert_num_queries(5):
        one = client.get(url(owned_case, "events"))
    CaseEventFactory.create_batch(4, case=owned_case)
    with django_assert_num_queries(5):
        five = client.get(url(owned_case, "events"))

    assert (len(one.json()["results"]), len(five.json()["results"])) == (1, 5)


def test_the_root_cause_list_runs_a_constant_number_of_queries(
    support, django_assert_num_queries
):
    client = bearer(support)

    with django_assert_num_queries(4):
        response = client.get(ROOT_CAUSES)

    assert len(response.json()["results"]) == len(DEFAULT_ROOT_CAUSES)
