"""Who may read the metrics: managers, with a key or a session; nobody else."""

import pytest
from rest_framework.test import APIClient

from tests.feedback.metrics_api_helpers import (
    ENDPOINTS,
    METRICS,
    NOT_A_MANAGER,
    NOT_SIGNED_IN,
    NOW,
    get,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


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
