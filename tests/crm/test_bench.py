import pytest
from django.http import HttpResponse
from django.test import Client

from bench import run
from bench.operations import OPERATIONS, Env, Operation
from bench.report import format_table, percentile
from customers.models import Customer
from tests.factories import SurveyResponseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def env():
    return Env(client=Client(), customer=Customer(), search="", touchpoint=None)


def test_percentile_interpolates_between_the_closest_values():
    values = [4.0, 1.0, 3.0, 2.0]

    assert percentile(values, 0.5) == 2.5
    assert percentile(values, 0.0) == 1.0
    assert percentile(values, 1.0) == 4.0
    assert percentile(values, 0.95) == pytest.approx(3.85)
    assert percentile([7.0], 0.95) == 7.0


def test_percentile_refuses_no_values_and_fractions_off_the_scale():
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentile([1.0], 95)


def test_the_table_aligns_text_left_and_numbers_right():
    table = format_table(
        ["operation", "rows", "p50 ms", "queries"],
        [
            ["admin: customer list", 1_000_000, 12.345, "6"],
            ["api: create", 20, 3.0, "9 (8–9)"],
        ],
    )

    assert table.splitlines() == [
        "operation                  rows  p50 ms  queries",
        "--------------------  ---------  ------  -------",
        "admin: customer list  1,000,000    12.3  6",
        "api: create                  20     3.0  9 (8–9)",
    ]


def test_a_failing_operation_shows_its_status_instead_of_numbers():
    result = run.Result("api: customer list", 10, error="HTTP 404")

    assert result.cells() == ["api: customer list", 10, "-", "-", "HTTP 404"]


def test_measure_times_an_operation_and_counts_its_queries(env):
    def count_customers(env):
        Customer.objects.count()
        Customer.objects.exists()
        return HttpResponse("ok")

    operation = Operation("count", count_customers, expect=200)

    result = run.measure(operation, env, rows=5, iterations=4, warmup=1)

    assert result.name == "count"
    assert result.rows == 5
    assert result.error == ""
    assert result.queries == "2"
    assert result.p50 is not None
    assert result.p95 is not None
    assert 0 < result.p50 <= result.p95


def test_measure_stops_at_the_first_unexpected_status(env):
    calls = []

    def missing(env):
        calls.append(1)
        return HttpResponse(status=404)

    result = run.measure(
        Operation("gone", missing, 200), env, rows=1, iterations=5, warmup=2
    )

    assert result.error == "HTTP 404"
    assert result.p50 is None
    assert len(calls) == 1


def test_the_registry_times_the_admin_and_the_api():
    names = [operation.name for operation in OPERATIONS]

    assert names[:2] == ["admin: customer list", "admin: customer search by name"]
    assert "api: customer list" in names
    assert "api: create interaction" in names


def test_measure_times_a_python_operation_with_no_status_to_check(env):
    def count_twice(env):
        Customer.objects.count()
        Customer.objects.count()

    result = run.measure(
        Operation("python", count_twice, expect=200),
        env,
        rows=3,
        iterations=3,
        warmup=1,
    )

    assert result.error == ""
    assert result.queries == "2"
    assert result.p50 is not None


METRICS_OPERATIONS = [
    "metrics: floor, seq scan of responses",
    "metrics: NPS trend 52 weeks by segment (live)",
    "metrics: NPS trend 52 weeks by segment (rollup)",
    "dashboard: page (last 90 days)",
    "dashboard: page, 52 weeks",
    "api: metrics trend by segment, 52 weeks",
]


def test_the_insight_operations_answer_a_manager_with_few_queries(manager):
    SurveyResponseFactory.create_batch(3, segment="smb")
    SurveyResponseFactory.create(segment="enterprise", score=3)
    client = Client()
    client.force_login(manager)
    env = Env(client=client, customer=Customer(), search="", touchpoint=None)
    by_name = {operation.name: operation for operation in OPERATIONS}

    results = [
        run.measure(by_name[name], env, rows=4, iterations=1, warmup=0)
        for name in METRICS_OPERATIONS
    ]

    assert [result.error for result in results] == [""] * 6
    assert [result.queries for result in results[:3]] == ["1", "1", "1"]
    assert {by_name[name].rows for name in METRICS_OPERATIONS} == {"answers"}
