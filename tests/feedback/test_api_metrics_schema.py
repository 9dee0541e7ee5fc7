"""The metrics endpoints in the OpenAPI schema: documented with their
parameters, valid and free of warnings."""

import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.feedback.metrics_api_helpers import ENDPOINTS, METRICS, NOW

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


# The schema


def test_the_schema_documents_the_metrics_endpoints_and_their_parameters():
    response = APIClient().get("/api/v1/schema/", {"format": "json"})

    schema = json.loads(response.content)
    paths = {
        path: operations
        for path, operations in schema["paths"].items()
        if path.startswith(METRICS)
    }
    assert {path: sorted(operations) for path, operations in paths.items()} == {
        f"{METRICS}{endpoint}/": ["get"] for endpoint in ENDPOINTS
    }

    def parameters(endpoint: str) -> dict[str, bool]:
        return {
            parameter["name"]: parameter.get("required", False)
            for parameter in paths[f"{METRICS}{endpoint}/"]["get"]["parameters"]
        }

    dimensions = dict.fromkeys(
        [
            "channel",
            "touchpoint",
            "stage",
            "segment",
            "company",
            "staff",
            "theme",
            "sentiment",
            "language",
        ],
        False,
    )
    filters = {"survey": False, "kind": False, "from": False, "to": False}
    assert parameters("trend") == {
        **filters,
        **dimensions,
        "interval": False,
        "mode": False,
        "by": False,
        "limit": False,
    }
    assert parameters("breakdown") == {
        **filters,
        **dimensions,
        "mode": False,
        "by": True,
        "limit": False,
    }
    assert parameters("funnel") == {**filters, **dimensions}
    assert parameters("journey") == {**filters, **dimensions, "mode": False}
    assert parameters("loop") == {
        **filters,
        **dimensions,
        "interval": False,
        "by": False,
    }
    assert parameters("themes") == {
        **filters,
        **dimensions,
        "interval": False,
        "mode": False,
    }
    for endpoint in ENDPOINTS:
        responses = paths[f"{METRICS}{endpoint}/"]["get"]["responses"]
        assert sorted(responses) == ["200", "400", "401", "403", "406", "429"]
    components = schema["components"]["schemas"]
    assert list(components["MetricsPeriod"]["properties"]) == [
        "period",
        "label",
        "n",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "csat",
        "ces",
        "margin",
        "low_sample",
        "change",
        "is_significant",
    ]
    # Only one of the three scores is in a row: the one of its kind.
    assert not {"nps", "csat", "ces"} & set(components["MetricsPeriod"]["required"])
    # Every answer starts with what its figures are about.
    about = ["from", "to", "mode"]
    assert {
        name: list(components[name]["properties"])
        for name in [
            "MetricsTrend",
            "MetricsTrendByGroup",
            "MetricsBreakdown",
            "MetricsFunnel",
            "MetricsJourney",
            "MetricsLoop",
        ]
    } == {
        "MetricsTrend": ["kind", "interval", *about, "by", "results"],
        "MetricsTrendByGroup": ["kind", "interval", *about, "by", "limit", "results"],
        "MetricsBreakdown": ["kind", *about, "by", "limit", "results"],
        "MetricsFunnel": [
            "kind",
            *about,
            "scheduled",
            "suppressed",
            "suppressed_total",
            "sent",
            "opened",
            "answered",
            "response_rate",
        ],
        "MetricsJourney": ["kind", *about, "cells", "pain_points"],
        "MetricsLoop": ["kind", "interval", *about, "by", "results"],
    }
    assert components["MetricsLoop"]["properties"]["results"]["items"] == {
        "$ref": "#/components/schemas/MetricsLoopRow"
    }


def test_the_schema_with_the_metrics_is_valid_and_free_of_warnings(tmp_path):
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yml"),
    )
