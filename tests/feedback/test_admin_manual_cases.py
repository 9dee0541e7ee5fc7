"""Cases opened by hand in the admin: the links that open them from a
customer, an interaction or an answer, and the add form."""

from datetime import timedelta

import pytest
from django.urls import reverse

from feedback.models import Case
from tests.factories import (
    CaseFactory,
    CustomerFactory,
    InteractionFactory,
    SurveyResponseFactory,
    UserFactory,
)
from tests.feedback.admin_helpers import NOW, Event, case_url, messages_of

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


# Cases opened by hand


def test_the_customer_page_links_to_a_new_case_for_the_customer(client, support):
    customer = CustomerFactory.create()
    client.force_login(support)

    response = client.get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    )

    add_url = reverse("admin:feedback_case_add")
    assert f'href="{add_url}?customer={customer.pk}"' in response.content.decode()


def test_the_add_form_starts_with_the_customer(client, support):
    customer = CustomerFactory.create(name="Wang Fang")
    client.force_login(support)

    response = client.get(reverse("admin:feedback_case_add"), {"customer": customer.pk})

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.fields) == [
        "customer",
        "interaction",
        "response",
        "priority",
        "owner",
        "note",
    ]
    assert str(form["customer"].value()) == str(customer.pk)
    assert "Wang Fang" in response.content.decode()


def test_support_opens_a_case_by_hand(client, support, owner):
    interaction = InteractionFactory.create()
    client.force_login(support)

    response = client.post(
        reverse("admin:feedback_case_add"),
        {
            "customer": interaction.customer_id,
            "interaction": interaction.pk,
            "priority": "urgent",
            "owner": owner.pk,
            "note": "Shouted on the phone",
        },
    )

    case = Case.objects.get()
    assert response["Location"] == case_url(case)
    assert messages_of(response) == [
        f"Case #{case.pk} was opened for {interaction.customer}."
    ]
    assert (case.customer, case.interaction) == (interaction.customer, interaction)
    assert (case.reason, case.priority, case.owner) == ("manual", "urgent", owner)
    assert case.due_at == NOW + timedelta(hours=4)
    opened = case.events.get(kind=Event.OPENED)
    assert (opened.actor, opened.note) == (support, "Shouted on the phone")


def test_a_manual_case_for_another_customers_interaction_is_refused(client, support):
    customer = CustomerFactory.create()
    elsewhere = InteractionFactory.create()
    client.force_login(support)

    response = client.post(
        reverse("admin:feedback_case_add"),
        {"customer": customer.pk, "interaction": elsewhere.pk, "priority": "normal"},
    )

    assert response.status_code == 200
    assert "This interaction is with another customer." in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.parametrize("customer", ["", "abc", "99999999999999999999999", "42"])
def test_a_manual_case_needs_a_customer(client, support, customer):
    client.force_login(support)

    response = client.post(
        reverse("admin:feedback_case_add"), {"customer": customer, "priority": "normal"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["customer"]
    assert not Case.objects.exists()


def test_a_bad_customer_in_the_link_shows_an_empty_form(client, support):
    client.force_login(support)

    response = client.get(reverse("admin:feedback_case_add"), {"customer": "1x"})

    assert response.status_code == 200


def test_staff_without_a_role_may_not_open_cases(client):
    client.force_login(UserFactory.create(username="stan-staff", is_staff=True))

    assert client.get(reverse("admin:feedback_case_add")).status_code == 403


def test_cases_are_opened_from_a_customer_an_interaction_or_an_answer(client, support):
    interaction = InteractionFactory.create()
    customer = interaction.customer
    answered = SurveyResponseFactory.create(invitation__customer=customer, score=9)
    with_case = CaseFactory.create()
    client.force_login(support)
    add = reverse("admin:feedback_case_add")

    pages = {
        reverse("admin:customers_customer_change", args=[customer.pk]): (
            f'href="{add}?customer={customer.pk}"'
        ),
        reverse("admin:customers_interaction_change", args=[interaction.pk]): (
            f'href="{add}?customer={customer.pk}&amp;interaction={interaction.pk}"'
        ),
        reverse("admin:surveys_surveyresponse_change", args=[answered.pk]): (
            f'href="{add}?customer={customer.pk}&amp;response={answered.pk}"'
        ),
        reverse("admin:surveys_surveyresponse_change", args=[with_case.response_id]): (
            f'href="{reverse("admin:feedback_case_change", args=[with_case.pk])}"'
        ),
    }

    for page, link in pages.items():
        assert link in client.get(page).content.decode(), page


def test_the_add_form_takes_what_the_links_prefill(client, support):
    interaction = InteractionFactory.create()
    client.force_login(support)

    page = client.get(
        reverse("admin:feedback_case_add"),
        {"customer": interaction.customer_id, "interaction": interaction.pk},
    )

    form = page.context["adminform"].form
    assert form.initial == {
        "customer": str(interaction.customer_id),
        "interaction": str(interaction.pk),
    }
