"""Reading cases through the API: a case with every field, when it is
overdue, the list and its pages, and the list's filters."""

import pytest

from tests.api import bearer, ids
from tests.factories import CaseFactory, CustomerFactory
from tests.feedback.case_api_helpers import (
    CASES,
    HOUR,
    NOW,
    NOW_TEXT,
    closed_case,
    manual_case,
    row,
    url,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


# Reading


def test_a_case_is_read_with_every_field(support, case_owner, cause):
    closed = closed_case(case_owner, cause)

    response = bearer(support).get(url(closed))

    assert response.status_code == 200
    assert response.json() == {
        "id": closed.id,
        "customer": closed.customer_id,
        "response": closed.response_id,
        "interaction": None,
        "reason": "detractor",
        "priority": "normal",
        "status": "closed",
        "owner": case_owner.id,
        "due_at": NOW_TEXT,
        "is_overdue": False,
        "first_contact_at": "2026-11-16T11:00:00Z",
        "contact_channel": "phone",
        "closed_at": "2026-11-17T10:00:00Z",
        "root_cause": cause.id,
        "resolution": "Refunded the fee.",
        "escalation_level": 0,
        "recovery_invitation": None,
        "outcome": "",
        "created_at": "2026-11-16T10:00:00Z",
        "updated_at": NOW_TEXT,
    }


@pytest.mark.parametrize(
    ("status", "due_in", "overdue"),
    [
        ("open", -HOUR, True),
        ("open", HOUR, False),
        ("open", None, False),
        ("contacted", -HOUR, False),
        ("closed", -HOUR, False),
    ],
)
def test_a_case_is_overdue_when_open_past_its_deadline(
    support, cause, status, due_in, overdue
):
    closing = {"root_cause": cause, "resolution": "Done."} if status == "closed" else {}
    late = manual_case(
        status=status, due_at=NOW + due_in if due_in else None, **closing
    )

    response = bearer(support).get(url(late))

    assert response.json()["is_overdue"] is overdue


def test_support_lists_every_case_not_only_their_own(support, case_owner):
    theirs = manual_case(owner=case_owner)
    nobodys = manual_case(owner=None)

    response = bearer(support).get(CASES)

    assert response.status_code == 200
    assert ids(response) == [theirs.id, nobodys.id]


def test_an_unknown_case_is_a_404(support):
    response = bearer(support).get(f"{CASES}999999/")

    assert response.status_code == 404


def test_cases_are_cursor_paginated_by_id(support):
    first, second, third = (manual_case() for _ in range(3))
    client = bearer(support)

    page = client.get(CASES, {"page_size": 2}).json()
    rest = client.get(page["next"]).json()

    assert [row["id"] for row in page["results"]] == [first.id, second.id]
    assert [row["id"] for row in rest["results"]] == [third.id]
    assert (rest["next"], page["previous"]) == (None, None)


def test_cases_are_not_changed_by_put_patch_or_delete(manager, owned_case):
    before = row(owned_case)
    client = bearer(manager)

    responses = [
        client.put(url(owned_case), {"status": "closed"}, format="json"),
        client.patch(url(owned_case), {"status": "closed"}, format="json"),
        client.delete(url(owned_case)),
    ]

    assert [response.status_code for response in responses] == [405, 405, 405]
    assert row(owned_case) == before


# Filters


def test_cases_are_filtered_by_status(support, cause):
    opened = manual_case()
    contacted = manual_case(status="contacted")
    closed = manual_case(status="closed", root_cause=cause, resolution="Done.")
    client = bearer(support)

    responses = [
        client.get(CASES, {"status": status})
        for status in ["open", "contacted", "closed"]
    ]

    assert [ids(response) for response in responses] == [
        [opened.id],
        [contacted.id],
        [closed.id],
    ]


def test_cases_are_filtered_by_owner(support, case_owner, colleague):
    mine = manual_case(owner=case_owner)
    manual_case(owner=colleague)
    manual_case(owner=None)

    response = bearer(support).get(CASES, {"owner": case_owner.id})

    assert ids(response) == [mine.id]


def test_owner_me_is_the_requester(case_owner, colleague):
    mine = manual_case(owner=case_owner)
    manual_case(owner=colleague)

    response = bearer(case_owner).get(CASES, {"owner": "me"})

    assert ids(response) == [mine.id]


def test_owner_none_lists_the_cases_nobody_owns(support, case_owner):
    manual_case(owner=case_owner)
    nobodys = manual_case(owner=None)

    response = bearer(support).get(CASES, {"owner": "none"})

    assert ids(response) == [nobodys.id]


def test_cases_are_filtered_by_overdue(support, cause):
    late = manual_case(due_at=NOW - HOUR)
    in_time = manual_case(due_at=NOW + HOUR)
    no_deadline = manual_case(due_at=None)
    contacted_late = manual_case(status="contacted", due_at=NOW - HOUR)
    closed_late = manual_case(
        status="closed", due_at=NOW - HOUR, root_cause=cause, resolution="Done."
    )
    client = bearer(support)

    overdue = client.get(CASES, {"overdue": "true"})
    not_overdue = client.get(CASES, {"overdue": "false"})

    assert ids(overdue) == [late.id]
    assert ids(not_overdue) == [
        in_time.id,
        no_deadline.id,
        contacted_late.id,
        closed_late.id,
    ]


def test_cases_are_filtered_by_customer(support):
    customer = CustomerFactory.create()
    theirs = manual_case(customer=customer)
    manual_case()

    response = bearer(support).get(CASES, {"customer": customer.id})

    assert ids(response) == [theirs.id]


def test_cases_are_filtered_by_reason_and_priority(support):
    manual = manual_case(priority="urgent")
    manual_case(priority="normal")
    CaseFactory.create(priority="urgent")

    response = bearer(support).get(CASES, {"reason": "manual", "priority": "urgent"})

    assert ids(response) == [manual.id]


def test_filters_combine(case_owner):
    wanted = manual_case(owner=case_owner, due_at=NOW - HOUR, priority="urgent")
    manual_case(owner=case_owner, due_at=NOW + HOUR, priority="urgent")
    manual_case(owner=None, due_at=NOW - HOUR, priority="urgent")

    response = bearer(case_owner).get(
        CASES, {"owner": "me", "overdue": "true", "priority": "urgent"}
    )

    assert ids(response) == [wanted.id]


UNKNOWN_CHOICE = (
    "Select a valid choice. That choice is not one of the available choices."
)


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            {"status": "pending"},
            {
                "status": [
                    "Select a valid choice. pending is not one of the available "
                    "choices."
                ]
            },
        ),
        (
            {"reason": "angry"},
            {
                "reason": [
                    "Select a valid choice. angry is not one of the available choices."
                ]
            },
        ),
        (
            {"priority": "high"},
            {
                "priority": [
                    "Select a valid choice. high is not one of the available choices."
                ]
            },
        ),
        ({"owner": "999999"}, {"owner": [UNKNOWN_CHOICE]}),
        ({"owner": "someone"}, {"owner": [UNKNOWN_CHOICE]}),
        ({"customer": "999999"}, {"customer": [UNKNOWN_CHOICE]}),
        ({"overdue": "yes"}, {"overdue": ['Enter "true" or "false".']}),
    ],
)
def test_an_invalid_case_filter_is_a_400(support, query, errors):
    response = bearer(support).get(CASES, query)

    assert response.status_code == 400
    assert response.json() == errors
