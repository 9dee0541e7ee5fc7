"""The operations the benchmark times: one small function each, in a registry.

An operation makes one request through Django's test client, as a logged-in
manager, and returns the response; `run.py` times it and counts its queries.
Add one with the `@operation(name, expect=...)` decorator.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponseBase
from django.test import Client

from customers.models import Customer, Touchpoint


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


@dataclass(frozen=True)
class Operation:
    name: str
    run: Callable[[Env], HttpResponseBase]
    expect: int


OPERATIONS: list[Operation] = []


def operation(
    name: str, *, expect: int = 200
) -> Callable[[Callable[[Env], HttpResponseBase]], Callable[[Env], HttpResponseBase]]:
    def register(
        function: Callable[[Env], HttpResponseBase],
    ) -> Callable[[Env], HttpResponseBase]:
        OPERATIONS.append(Operation(name, function, expect))
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
