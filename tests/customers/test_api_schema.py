"""The OpenAPI schema and the browsable docs."""

import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.customers.api_helpers import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def test_the_schema_lists_the_endpoints_and_bearer_authentication():
    response = APIClient().get("/api/v1/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert "/api/v1/customers/" in schema["paths"]
    assert "/api/v1/interactions/{id}/" in schema["paths"]
    assert {"type": "http", "scheme": "bearer"} in schema["components"][
        "securitySchemes"
    ].values()
    parameters = {
        parameter["name"]
        for parameter in schema["paths"]["/api/v1/customers/"]["get"]["parameters"]
    }
    assert parameters == {
        "company",
        "cursor",
        "email",
        "external_id",
        "ordering",
        "page_size",
        "search",
        "updated_since",
    }


def test_the_schema_is_valid_and_free_of_warnings(tmp_path):
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yml"),
    )


def test_the_browsable_docs_are_served(client):
    response = client.get("/api/v1/docs/")

    assert response.status_code == 200
