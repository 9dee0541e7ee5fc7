"""The cases API in the OpenAPI schema, and its browsable pages."""

import json

import pytest
from rest_framework.test import APIClient

from tests.feedback.case_api_helpers import CASES, NOW, url

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


# The schema


def test_the_schema_lists_the_case_endpoints_and_filters():
    response = APIClient().get("/api/v1/schema/", {"format": "json"})

    schema = json.loads(response.content)
    paths = schema["paths"]
    assert {
        path: sorted(paths[path])
        for path in paths
        if path.startswith(("/api/v1/cases/", "/api/v1/root-causes/"))
    } == {
        "/api/v1/cases/": ["get", "post"],
        "/api/v1/cases/assign/": ["post"],
        "/api/v1/cases/{id}/": ["get"],
        "/api/v1/cases/{id}/assign/": ["post"],
        "/api/v1/cases/{id}/close/": ["post"],
        "/api/v1/cases/{id}/contact/": ["post"],
        "/api/v1/cases/{id}/events/": ["get"],
        "/api/v1/cases/{id}/note/": ["post"],
        "/api/v1/cases/{id}/reopen/": ["post"],
        "/api/v1/root-causes/": ["get", "post"],
        "/api/v1/root-causes/{id}/": ["delete", "get", "patch", "put"],
    }
    parameters = {
        parameter["name"] for parameter in paths["/api/v1/cases/"]["get"]["parameters"]
    }
    assert parameters == {
        "cursor",
        "page_size",
        "status",
        "owner",
        "overdue",
        "customer",
        "reason",
        "priority",
        "ordering",
        "search",
        "updated_since",
    }
    events = {
        parameter["name"]
        for parameter in paths["/api/v1/cases/{id}/events/"]["get"]["parameters"]
    }
    assert events == {"id", "cursor", "page_size"}


def test_the_browsable_pages_render_without_listing_every_user(support, owned_case):
    client = APIClient()
    client.force_login(support)

    pages = [
        client.get(path, HTTP_ACCEPT="text/html")
        for path in [
            CASES,
            url(owned_case),
            url(owned_case, "events"),
            url(owned_case, "close"),
        ]
    ]

    assert [page.status_code for page in pages] == [200, 200, 200, 405]
    assert '<input type="text" name="owner"' in pages[0].content.decode()
    assert "oona-owner" not in pages[0].content.decode()
