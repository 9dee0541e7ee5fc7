"""`/api/v1/metrics/themes/` in the OpenAPI schema: its parameters (the
dashboard's, the comment filters included) and the shape of its answer."""

import json

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PATH = "/api/v1/metrics/themes/"


@pytest.fixture
def schema() -> dict:
    response = APIClient().get("/api/v1/schema/", {"format": "json"})
    return json.loads(response.content)


def test_the_schema_documents_the_themes_endpoint_and_its_filters(schema):
    operation = schema["paths"][PATH]["get"]
    parameters = {each["name"]: each for each in operation["parameters"]}

    assert sorted(parameters) == sorted(
        [
            "survey",
            "kind",
            "interval",
            "from",
            "to",
            "mode",
            "channel",
            "touchpoint",
            "stage",
            "segment",
            "company",
            "staff",
            "theme",
            "sentiment",
            "language",
        ]
    )
    # The schema lists a parameter's values in alphabetical order.
    assert parameters["sentiment"]["schema"]["enum"] == [
        "mixed",
        "negative",
        "neutral",
        "positive",
    ]
    assert parameters["language"]["schema"]["enum"] == ["en", "unknown", "zh"]
    assert sorted(operation["responses"]) == ["200", "400", "401", "403", "406", "429"]


def test_the_comment_filters_are_documented_on_every_metrics_endpoint(schema):
    for endpoint in ["trend", "breakdown", "funnel", "journey", "loop", "themes"]:
        names = {
            each["name"]
            for each in schema["paths"][f"/api/v1/metrics/{endpoint}/"]["get"][
                "parameters"
            ]
        }
        assert {"theme", "sentiment", "language"} <= names, endpoint


def test_the_schema_shows_the_themes_answer_in_the_metrics_envelope(schema):
    components = schema["components"]["schemas"]

    assert list(components["MetricsThemes"]["properties"]) == [
        "kind",
        "interval",
        "from",
        "to",
        "mode",
        "themes",
        "sentiment",
    ]
    assert list(components["MetricsTheme"]["properties"]) == [
        "id",
        "key",
        "name",
        "n",
        "share",
        "score_with",
        "score_without",
        "impact",
        "margin",
        "low_sample",
    ]
    assert list(components["MetricsSentimentPeriod"]["properties"]) == [
        "period",
        "label",
        "n",
        "low_sample",
        "shares",
    ]
