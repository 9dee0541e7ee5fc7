"""Schemathesis over the KPI and pilot operations, in-process: no input
makes a server error, and every answer matches the schema."""

import json
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from rest_framework.utils.encoders import JSONEncoder
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from pilots.models import Kpi, Pilot
from tests.factories import ApiTokenFactory, CompanyFactory, SurveyResponseFactory
from tests.pilots.seeding import today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture(scope="module")
def schema_document(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        document: dict[str, Any] = SchemaGenerator().get_schema(public=True)
    loaded: dict[str, Any] = json.loads(json.dumps(document, cls=JSONEncoder))
    return loaded


@pytest.fixture
def wsgi_app():
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_pilot_operations_are_documented(schema_document):
    paths = schema_document["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/kpis/"])
    assert {"get", "put", "patch", "delete"} <= set(paths["/api/v1/kpis/{id}/"])
    assert {"get", "post"} <= set(paths["/api/v1/pilots/"])
    assert {"get", "put", "patch"} == set(paths["/api/v1/pilots/{id}/"]) - {
        "parameters"
    }
    for action in ("power", "result"):
        responses = paths[f"/api/v1/pilots/{{id}}/{action}/"]["get"]["responses"]
        assert {"200", "409"} <= set(responses)


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/kpis/", "GET"),
        ("/api/v1/kpis/", "POST"),
        ("/api/v1/kpis/{id}/", "PATCH"),
        ("/api/v1/pilots/", "GET"),
        ("/api/v1/pilots/", "POST"),
        ("/api/v1/pilots/{id}/", "PATCH"),
        ("/api/v1/pilots/{id}/result/", "GET"),
        ("/api/v1/pilots/{id}/power/", "GET"),
    ],
)
def test_schemathesis_finds_no_server_error(
    manager, schema_document, wsgi_app, path, method
):
    SurveyResponseFactory.create()
    kpi = Kpi.objects.create(name="NPS", formula="nps")
    Pilot.objects.create(
        name="P",
        hypothesis="h",
        primary_kpi=kpi,
        unit="company",
        treatment=[CompanyFactory.create().pk],
        control=[CompanyFactory.create().pk],
        go_live=today(),
        planned_end=today() + timedelta(days=30),
        min_effect=5,
    )
    key = ApiTokenFactory.create(user=manager).key
    schema = schemathesis.openapi.from_dict(schema_document)
    operation = schema[path][method]

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        if "id" in (case.path_parameters or {}):
            case.path_parameters["id"] = Pilot.objects.values_list("id", flat=True)[0]
            if "kpis" in path:
                case.path_parameters["id"] = kpi.pk
        response = case.call(app=wsgi_app, headers={"Authorization": f"Bearer {key}"})
        case.validate_response(
            response, checks=[not_a_server_error, response_schema_conformance]
        )

    check()
