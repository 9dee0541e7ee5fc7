"""Every admin page renders for both roles, with a number of queries that does
not grow with the number of rows shown."""

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer
from feedback.models import Case, RootCause
from tests.factories import (
    CaseEventFactory,
    CaseFactory,
    CompanyFactory,
    CustomerFactory,
    InteractionFactory,
    InvitationFactory,
    SurveyFactory,
    SurveyResponseFactory,
    TouchpointFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "customers_customer",
    "customers_company",
    "customers_touchpoint",
    "customers_interaction",
    "surveys_survey",
    "surveys_invitation",
    "surveys_surveyresponse",
    "feedback_case",
    "feedback_rootcause",
]


def make_rows(customer: Customer | None = None, count: int = 1) -> None:
    """`count` of everything: customers with an interaction, an answered
    invitation, a case with an event and an unanswered invitation."""
    for _ in range(count):
        interaction = InteractionFactory.create(
            **({"customer": customer} if customer else {})
        )
        response = SurveyResponseFactory.create(
            invitation__interaction=interaction,
            invitation__customer=interaction.customer,
            score=2,
            touchpoint=interaction.touchpoint,
            company=interaction.customer.company,
        )
        case = CaseFactory.create(response=response, owner=response.staff)
        CaseEventFactory.create(case=case)
        InvitationFactory.create(
            interaction=InteractionFactory.create(customer=interaction.customer),
            survey=response.survey,
        )


def get_counting_queries(client, url: str):
    client.get(url)  # warm the per-process caches (content types, permissions)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response, len(queries)


def count_queries(client, url: str) -> int:
    return get_counting_queries(client, url)[1]


@pytest.mark.parametrize("role", ["support", "manager"])
@pytest.mark.parametrize("page", CHANGELISTS)
def test_changelist_lists_every_row_with_queries_that_do_not_grow(
    client, request, role, page
):
    client.force_login(request.getfixturevalue(role))
    url = reverse(f"admin:{page}_changelist")
    model = apps.get_model(*page.split("_", 1))
    make_rows(count=1)
    with_one = count_queries(client, url)

    make_rows(count=4)
    response, with_five = get_counting_queries(client, url)

    assert with_five == with_one
    listed = response.context["cl"].result_list
    assert len(listed) == model.objects.count() > 0


@pytest.mark.parametrize("role", ["support", "manager"])
def test_customer_page_queries_do_not_grow_with_history(client, request, role):
    client.force_login(request.getfixturevalue(role))
    make_rows(count=1)
    customer = Customer.objects.get()
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    with_one = count_queries(client, url)

    make_rows(customer=customer, count=4)

    assert count_queries(client, url) == with_one


@pytest.mark.parametrize("role", ["support", "manager"])
def test_case_page_queries_do_not_grow_with_timeline(client, request, role):
    client.force_login(request.getfixturevalue(role))
    case = CaseFactory.create()
    CaseEventFactory.create(case=case)
    url = reverse("admin:feedback_case_change", args=[case.pk])
    with_one = count_queries(client, url)

    CaseEventFactory.create_batch(5, case=case)

    assert count_queries(client, url) == with_one


@pytest.mark.parametrize(
    ("role", "page", "status"),
    [
        ("support", "customers_customer", 200),
        ("support", "customers_company", 200),
        ("support", "customers_interaction", 200),
        ("support", "customers_touchpoint", 403),
        ("support", "surveys_survey", 403),
        # The add page of a case opens one by hand, through the case services.
        ("support", "feedback_case", 200),
        ("manager", "customers_touchpoint", 200),
        ("manager", "surveys_survey", 200),
        ("manager", "feedback_case", 200),
        ("manager", "feedback_rootcause", 200),
    ],
)
def test_add_pages_follow_the_roles(client, request, role, page, status):
    client.force_login(request.getfixturevalue(role))

    response = client.get(reverse(f"admin:{page}_add"))

    assert response.status_code == status


def test_outsider_cannot_open_the_admin(client, outsider):
    client.force_login(outsider)

    response = client.get(reverse("admin:customers_customer_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_survey_history_is_read_only_even_for_managers(client, manager):
    client.force_login(manager)

    assert client.get(reverse("admin:surveys_invitation_add")).status_code == 403
    assert client.get(reverse("admin:surveys_surveyresponse_add")).status_code == 403


def test_my_open_cases_lists_only_my_unclosed_cases(client, support):
    client.force_login(support)
    mine = CaseFactory.create(owner=support)
    CaseFactory.create(
        owner=support, status=Case.Status.CLOSED, resolution="Refunded", root_cause_id=1
    )
    CaseFactory.create()
    url = reverse("admin:feedback_case_changelist")

    response = client.get(url, {"mine": "open"})

    assert [case.pk for case in response.context["cl"].result_list] == [mine.pk]


CHANGE_PAGES = {
    "customers_company": lambda: CompanyFactory.create(),
    "customers_touchpoint": lambda: TouchpointFactory.create(),
    "customers_interaction": lambda: InteractionFactory.create(),
    "surveys_survey": lambda: SurveyFactory.create(),
    "surveys_invitation": lambda: InvitationFactory.create(),
    "surveys_surveyresponse": lambda: SurveyResponseFactory.create(),
    "feedback_rootcause": lambda: RootCause.objects.get(name="Billing"),
}


@pytest.mark.parametrize("role", ["support", "manager"])
@pytest.mark.parametrize("page", list(CHANGE_PAGES))
def test_every_change_page_renders_for_both_roles(client, request, role, page):
    client.force_login(request.getfixturevalue(role))
    row = CHANGE_PAGES[page]()

    response = client.get(reverse(f"admin:{page}_change", args=[row.pk]))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "page",
    [
        "customers_customer",
        "customers_company",
        "customers_touchpoint",
        "customers_interaction",
        "surveys_survey",
        "surveys_invitation",
        "surveys_surveyresponse",
        "feedback_case",
    ],
)
def test_history_cannot_be_deleted_in_the_admin(client, manager, page):
    make_rows(count=1)
    model = apps.get_model(*page.split("_", 1))
    row = model.objects.get(pk=model.objects.order_by("pk").values("pk")[:1])
    client.force_login(manager)

    response = client.post(
        reverse(f"admin:{page}_delete", args=[row.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


def test_a_nul_in_the_query_string_is_a_400_not_a_crash(client, support):
    client.force_login(support)

    response = client.get("/admin/customers/customer/?stage__exact=%00&q=a%00")

    assert response.status_code == 400
    assert b"NUL" in response.content


def test_owners_are_chosen_among_staff_only(client, support):
    UserFactory.create(username="not-staff")
    customer = CustomerFactory.create()
    client.force_login(support)

    response = client.get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    )

    owners = response.context["adminform"].form.fields["owner"].queryset
    assert [user.username for user in owners] == ["sam-support"]
