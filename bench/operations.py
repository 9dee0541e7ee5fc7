"""The operations the benchmark times: one small function each, in a registry.

An operation makes one request through Django's test client, as a logged-in
manager, and returns the response; `run.py` times it, checks its status and
counts its queries. Add one with the `@operation(name, expect=...)`
decorator. An operation may instead call Touchloop's Python functions (or
the database) directly and return None: it is timed and its queries counted
the same way, with no status to check.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from django.db import connection
from django.http import HttpResponseBase
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from customers.models import Customer, Touchpoint
from feedback.metrics import scores
from feedback.metrics.filters import AnswerFilter
from surveys.models import Kind, SurveyResponse


@dataclass
class Env:
    """What operations share: the client and a few real rows to ask about."""

    client: Client
    customer: Customer
    search: str
    touchpoint: Touchpoint | None
    secure: bool = False

    def get(self, path: str, **params: Any) -> HttpResponseBase:
        return self.client.get(path, params, secure=self.secure)

    def post_json(self, path: str, data: dict[str, Any]) -> HttpResponseBase:
        return self.client.post(
            path, data, content_type="application/json", secure=self.secure
        )


Run = Callable[[Env], HttpResponseBase | None]


RowsOf = Literal["customers", "answers"]


@dataclass(frozen=True)
class Operation:
    name: str
    run: Run
    expect: int
    # The table whose size the operation's time depends on, for the table.
    rows: RowsOf = "customers"


OPERATIONS: list[Operation] = []


def operation(
    name: str, *, expect: int = 200, rows: RowsOf = "customers"
) -> Callable[[Run], Run]:
    def register(function: Run) -> Run:
        OPERATIONS.append(Operation(name, function, expect, rows))
        return function

    return register


@operation("admin: customer list")
def admin_customer_list(env: Env) -> HttpResponseBase:
    return env.get("/admin/customers/customer/")


@operation("admin: customer search by name")
def admin_customer_search(env: Env) -> HttpResponseBase:
    return env.get("/admin/customers/customer/", q=env.search)


@operation("admin: search, a surname (prefix)")
def admin_customer_search_short(env: Env) -> HttpResponseBase:
    return env.get("/admin/customers/customer/", q=env.search[:1])


@operation("admin: search by email")
def admin_customer_search_email(env: Env) -> HttpResponseBase:
    return env.get("/admin/customers/customer/", q=env.customer.email)


@operation("admin: search by company name")
def admin_customer_search_company(env: Env) -> HttpResponseBase:
    company = env.customer.company
    return env.get("/admin/customers/customer/", q=company.name if company else "x")


@operation("admin: interaction list")
def admin_interaction_list(env: Env) -> HttpResponseBase:
    return env.get("/admin/customers/interaction/")


@operation("admin: interactions by email")
def admin_interaction_search(env: Env) -> HttpResponseBase:
    return env.get("/admin/customers/interaction/", q=env.customer.email)


@operation("admin: response list")
def admin_response_list(env: Env) -> HttpResponseBase:
    return env.get("/admin/surveys/surveyresponse/")


@operation("admin: customer page")
def admin_customer_page(env: Env) -> HttpResponseBase:
    return env.get(f"/admin/customers/customer/{env.customer.pk}/change/")


@operation("admin: case list")
def admin_case_list(env: Env) -> HttpResponseBase:
    return env.get("/admin/feedback/case/")


@operation("admin: overdue cases")
def admin_overdue_cases(env: Env) -> HttpResponseBase:
    return env.get("/admin/feedback/case/", overdue="1")


@operation("admin: home, everyone's open cases")
def admin_home(env: Env) -> HttpResponseBase:
    return env.get("/admin/")


@operation("api: customer list")
def api_customer_list(env: Env) -> HttpResponseBase:
    return env.get("/api/v1/customers/")


@operation("api: case list, 50 a page")
def api_case_list(env: Env) -> HttpResponseBase:
    return env.get("/api/v1/cases/", page_size=50)


@operation("api: case list, 500 a page")
def api_case_list_long(env: Env) -> HttpResponseBase:
    return env.get("/api/v1/cases/", page_size=500)


@operation("api: overdue cases")
def api_overdue_cases(env: Env) -> HttpResponseBase:
    return env.get("/api/v1/cases/", overdue="true")


@operation("api: create interaction", expect=201)
def api_create_interaction(env: Env) -> HttpResponseBase:
    data: dict[str, Any] = {
        "customer": env.customer.pk,
        "channel": "phone",
        "direction": "inbound",
        "subject": "Benchmark call",
        "notes": "Written by bench/run.py.",
    }
    if env.touchpoint is not None:
        data["touchpoint"] = env.touchpoint.pk
    return env.post_json("/api/v1/interactions/", data)


def year_ago(today: date) -> date:
    """The first day of the 52 weeks that end today."""
    return today - timedelta(weeks=52) + timedelta(days=1)


@operation("metrics: floor, seq scan of responses", rows="answers")
def metrics_floor(env: Env) -> None:
    # sum(score), not count(*): no index holds the score, so the database
    # reads every row of the table (PostgreSQL: a sequential scan, parallel
    # as the live trend's may be) and cannot count a smaller index instead.
    table = connection.ops.quote_name(SurveyResponse._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT sum(score) FROM {table}")  # noqa: S608


def nps_trend_by_segment() -> None:
    today = timezone.localdate()
    answers = AnswerFilter(kind=Kind.NPS, start=year_ago(today), end=today)
    scores.trend_by(answers, by="segment", interval="week")


@operation("metrics: NPS trend 52 weeks by segment (live)", rows="answers")
def metrics_trend_live(env: Env) -> None:
    with override_settings(METRICS_USE_ROLLUP=False):
        nps_trend_by_segment()


@operation("metrics: NPS trend 52 weeks by segment (rollup)", rows="answers")
def metrics_trend_rollup(env: Env) -> None:
    with override_settings(METRICS_USE_ROLLUP=True):
        nps_trend_by_segment()


@operation("dashboard: page (last 90 days)", rows="answers")
def dashboard_page(env: Env) -> HttpResponseBase:
    return env.get("/dashboard/")


@operation("dashboard: page, 52 weeks", rows="answers")
def dashboard_page_year(env: Env) -> HttpResponseBase:
    today = timezone.localdate()
    return env.get("/dashboard/", **{"from": year_ago(today), "to": today})


@operation("api: metrics trend by segment, 52 weeks", rows="answers")
def api_metrics_trend(env: Env) -> HttpResponseBase:
    today = timezone.localdate()
    return env.get(
        "/api/v1/metrics/trend/",
        by="segment",
        **{"from": year_ago(today), "to": today},
    )


# A 50-row page of every list endpoint (the default page size), so that p50 and
# the query count of each are in the table.


@operation("api: company list")
def api_company_list(env: Env) -> HttpResponseBase:
    return env.get("/api/v1/companies/")


@operation("api: touchpoint list")
def api_touchpoint_list(env: Env) -> HttpResponseBase:
    return env.get("/api/v1/touchpoints/")


@operation("api: interaction list")
def api_interaction_list(env: Env) -> HttpResponseBase:
    return env.get("/api/v1/interactions/")


@operation("api: survey list")
def api_survey_list(env: Env) -> HttpResponseBase:
    return env.get("/api/v1/surveys/")


@operation("api: invitation list")
def api_invitation_list(env: Env) -> HttpResponseBase:
    return env.get("/api/v1/invitations/")


@operation("api: response list")
def api_response_list(env: Env) -> HttpResponseBase:
    return env.get("/api/v1/responses/")


@operation("api: root cause list")
def api_root_cause_list(env: Env) -> HttpResponseBase:
    return env.get("/api/v1/root-causes/")


@operation("api: webhook list")
def api_webhook_list(env: Env) -> HttpResponseBase:
    return env.get("/api/v1/webhooks/")


@operation("api: customers, latest updated first")
def api_customer_list_by_update(env: Env) -> HttpResponseBase:
    return env.get("/api/v1/customers/", ordering="-updated_at")


@operation("api: customers updated since a day ago")
def api_customer_sync(env: Env) -> HttpResponseBase:
    since = env.customer.updated_at - timedelta(days=1)
    return env.get("/api/v1/customers/", updated_since=since.isoformat())


@operation("api: customer search by name")
def api_customer_search(env: Env) -> HttpResponseBase:
    return env.get("/api/v1/customers/", search=env.search)


@operation("api: customer search by email")
def api_customer_search_email(env: Env) -> HttpResponseBase:
    return env.get("/api/v1/customers/", search=env.customer.email)


@operation("api: responses, latest answered first")
def api_response_list_by_answer(env: Env) -> HttpResponseBase:
    return env.get("/api/v1/responses/", ordering="-answered_at")


@operation("api: interactions by customer email")
def api_interaction_search(env: Env) -> HttpResponseBase:
    return env.get("/api/v1/interactions/", search=env.customer.email)
