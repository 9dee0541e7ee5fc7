"""What the tests of the case desk in the admin share (test_admin_*.py): the
moment they run at (their `pytestmark` pins it) and the helpers that read its
pages; their fixtures are in conftest.py."""

from datetime import UTC, datetime
from typing import Any

from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from feedback.models import Case, CaseEvent

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday
Event = CaseEvent.Kind


def case_url(case: Case, action: str = "change") -> str:
    return reverse(f"admin:feedback_case_{action}", args=[case.pk])


def count_queries(client, url: str) -> tuple[Any, int]:
    client.get(url)  # warm the per-process caches (content types, permissions)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response, len(queries)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def snapshot(case: Case) -> dict[str, object]:
    case.refresh_from_db()
    fields = ["status", "owner_id", "first_contact_at", "closed_at", "root_cause_id"]
    state = {name: getattr(case, name) for name in fields}
    state["resolution"] = case.resolution
    state["events"] = list(case.events.values_list("id", flat=True))
    return state
