"""Finding a case in the admin's list by what support staff know: its
number, or the customer's name, email or company, in a constant number of
queries."""

import pytest
from django.urls import reverse

from tests.factories import CaseFactory, CompanyFactory, CustomerFactory
from tests.feedback.admin_helpers import NOW, count_queries

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]

LIST = reverse("admin:feedback_case_changelist")


@pytest.fixture
def cases():
    acme = CompanyFactory.create(name="Northwind Trading")
    sofia = CustomerFactory.create(
        name="Sofia Phillips", email="sofia@mail.example", company=acme
    )
    wang = CustomerFactory.create(name="王芳", email="wang.fang@acme.cn")
    return {
        "sofia": CaseFactory.create(response__invitation__interaction__customer=sofia),
        "wang": CaseFactory.create(response__invitation__interaction__customer=wang),
    }


def found(client, term: str) -> set[int]:
    response = client.get(LIST, {"q": term})
    assert response.status_code == 200
    return {case.pk for case in response.context["cl"].result_list}


@pytest.mark.parametrize(
    ("term", "who"),
    [
        ("Sofia", {"sofia"}),
        ("sofia phillips", {"sofia"}),
        ("Phillips Sofia", {"sofia"}),
        ("sofia@mail.example", {"sofia"}),
        ("Northwind", {"sofia"}),
        ("acme", {"wang"}),
        ("王", {"wang"}),
        ("王芳", {"wang"}),
        ("Nobody", set()),
    ],
)
def test_a_case_is_found_by_its_customer(client, manager, cases, term, who):
    client.force_login(manager)

    assert found(client, term) == {cases[name].pk for name in who}


def test_a_case_is_found_by_its_number_with_or_without_a_hash(client, manager, cases):
    client.force_login(manager)
    number = cases["wang"].pk

    assert found(client, str(number)) == {number}
    assert found(client, f"#{number}") == {number}
    assert found(client, "#999999") == set()


def test_a_search_runs_as_many_queries_for_one_match_as_for_ten(client, manager):
    client.force_login(manager)
    customer = CustomerFactory.create(name="Sofia Phillips")
    CaseFactory.create(response__invitation__interaction__customer=customer)
    _, one = count_queries(client, f"{LIST}?q=Sofia")
    for _ in range(9):
        CaseFactory.create(response__invitation__interaction__customer=customer)

    page, ten = count_queries(client, f"{LIST}?q=Sofia")

    assert len(page.context["cl"].result_list) == 10
    assert ten == one
