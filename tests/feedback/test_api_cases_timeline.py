"""A case's timeline through the API: oldest first, paged, read-only."""

import pytest

from tests.api import bearer
from tests.factories import CaseEventFactory
from tests.feedback.case_api_helpers import CASES, HOUR, NOW, NOW_TEXT, timeline, url

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


# The timeline


def test_a_cases_timeline_is_listed_oldest_first(support, case_owner, owned_case):
    opened = CaseEventFactory.create(
        case=owned_case,
        kind="opened",
        created_at=NOW - HOUR,
        data={"reason": "detractor"},
    )
    contacted = CaseEventFactory.create(
        case=owned_case,
        kind="contacted",
        actor=case_owner,
        note="Called.",
        data={"channel": "phone"},
        created_at=NOW,
    )
    CaseEventFactory.create(kind="note")  # another case's

    response = bearer(support).get(url(owned_case, "events"))

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            {
                "id": opened.id,
                "kind": "opened",
                "actor": None,
                "note": "",
                "data": {"reason": "detractor"},
                "created_at": "2026-11-18T09:00:00Z",
            },
            {
                "id": contacted.id,
                "kind": "contacted",
                "actor": case_owner.id,
                "note": "Called.",
                "data": {"channel": "phone"},
                "created_at": NOW_TEXT,
            },
        ],
    }


def test_a_timeline_is_cursor_paginated(support, owned_case):
    events = CaseEventFactory.create_batch(3, case=owned_case, kind="note")
    client = bearer(support)

    page = client.get(url(owned_case, "events"), {"page_size": 2}).json()
    rest = client.get(page["next"]).json()

    assert [row["id"] for row in page["results"]] == [e.id for e in events[:2]]
    assert [row["id"] for row in rest["results"]] == [events[2].id]


def test_the_timeline_of_an_unknown_case_is_a_404(support):
    response = bearer(support).get(f"{CASES}999999/events/")

    assert response.status_code == 404


def test_the_timeline_ignores_the_case_filters(support, owned_case):
    CaseEventFactory.create(case=owned_case)

    response = bearer(support).get(url(owned_case, "events"), {"status": "closed"})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_the_timeline_is_read_only(manager, owned_case):
    response = bearer(manager).post(
        url(owned_case, "events"), {"kind": "note"}, format="json"
    )

    assert response.status_code == 405
    assert timeline(owned_case) == []
