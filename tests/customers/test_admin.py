import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Interaction
from tests.factories import (
    CompanyFactory,
    CustomerFactory,
    InteractionFactory,
    TouchpointFactory,
)

pytestmark = pytest.mark.django_db


def form_data(form) -> dict[str, object]:
    data: dict[str, object] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, tuple | list) and not isinstance(value, str):
            value = list(value)
        data[form.add_prefix(name)] = value
        if field.show_hidden_initial:
            data[form.add_initial_prefix(name)] = value
    return data


def change_form_data(response) -> dict[str, object]:
    """The POST a browser would send back for an untouched change form."""
    data = form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        data.update(form_data(inline.formset.management_form))
        for form in inline.formset.extra_forms:
            data.update(form_data(form))
    return data


def test_support_logs_an_interaction_from_the_customer_page(client, support):
    customer = CustomerFactory.create()
    touchpoint = TouchpointFactory.create(name="Support ticket")
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    client.force_login(support)
    data = change_form_data(client.get(url))
    data.update(
        {
            "interactions-TOTAL_FORMS": 1,
            "interactions-0-channel": "chat",
            "interactions-0-touchpoint": touchpoint.pk,
            "interactions-0-direction": "inbound",
            "interactions-0-subject": "Refund question",
            "interactions-0-notes": "",
            # Two days ago, local time (10:30 is in no daylight saving change).
            "interactions-0-occurred_at_0": str(
                timezone.localdate() - timedelta(days=2)
            ),
            "interactions-0-occurred_at_1": "10:30:00",
            "interactions-0-status": "resolved",
            "interactions-0-survey_mode": "skip",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    interaction = Interaction.objects.get()
    assert interaction.customer == customer
    assert interaction.logged_by == support
    assert interaction.touchpoint == touchpoint
    assert interaction.channel == "chat"
    assert interaction.survey_mode == "skip"
    assert interaction.resolved_at == interaction.occurred_at


def test_an_interaction_is_logged_in_the_hour_that_daylight_saving_repeats(
    client, support, settings, clock
):
    # New York, 2026-11-01 01:40 EST: 01:40 happened an hour ago too, in EDT.
    settings.TIME_ZONE = "America/New_York"
    now = datetime(2026, 11, 1, 6, 40, tzinfo=UTC)
    clock.move_to(now, tick=False)
    customer = CustomerFactory.create()
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    client.force_login(support)
    page = client.get(url)
    data = change_form_data(page)
    # The date and time inputs as the page shows them: the form's own "now".
    for part in ["0", "1"]:
        name = f"interactions-0-occurred_at_{part}"
        [data[name]] = re.findall(rf'name="{name}" value="([^"]*)"', page.text)
    assert (
        data["interactions-0-occurred_at_0"],
        data["interactions-0-occurred_at_1"],
    ) == (
        "2026-11-01",
        "01:40:00",
    )
    data.update(
        {
            "interactions-TOTAL_FORMS": 1,
            "interactions-0-channel": "phone",
            "interactions-0-direction": "inbound",
            "interactions-0-subject": "Late call",
            "interactions-0-status": "open",
            "interactions-0-survey_mode": "auto",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert Interaction.objects.get().occurred_at == now


def test_saving_the_customer_page_untouched_logs_nothing(client, support):
    customer = CustomerFactory.create()
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    client.force_login(support)

    response = client.post(url, change_form_data(client.get(url)))

    assert response.status_code == 302
    assert not Interaction.objects.exists()


def test_the_new_interaction_form_starts_now_on_the_phone(client, support):
    customer = CustomerFactory.create()
    client.force_login(support)

    response = client.get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    )

    log_form = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert log_form["channel"].value() == "phone"
    occurred_at = log_form["occurred_at"].value()
    assert abs((timezone.now() - occurred_at).total_seconds()) < 60


@pytest.mark.parametrize(
    "term",
    ["Wang", "wang fang", "fang@acme", "Acme", "crm-77", "WANG.FANG@ACME.CN"],
)
def test_customer_search_finds_by_name_email_company_and_external_id(
    client, support, term
):
    acme = CompanyFactory.create(name="Acme Trading")
    wanted = CustomerFactory.create(
        name="Wang Fang", email="wang.fang@acme.cn", company=acme, external_id="crm-77"
    )
    CustomerFactory.create(name="Tom Baker", email="tom@other.example")
    client.force_login(support)

    response = client.get(reverse("admin:customers_customer_changelist"), {"q": term})

    assert list(response.context["cl"].result_list) == [wanted]


def test_company_page_links_to_its_customers(client, support):
    acme = CompanyFactory.create(name="Acme")
    member = CustomerFactory.create(company=acme)
    CustomerFactory.create()
    client.force_login(support)

    response = client.get(
        reverse("admin:customers_customer_changelist"), {"company__id__exact": acme.pk}
    )

    assert list(response.context["cl"].result_list) == [member]


def test_touchpoints_are_listed_in_journey_order(client, manager):
    TouchpointFactory.create(name="Renewal meeting", stage="repurchase")
    TouchpointFactory.create(name="Ad click", stage="awareness")
    TouchpointFactory.create(name="Checkout", stage="purchase")
    client.force_login(manager)

    response = client.get(reverse("admin:customers_touchpoint_changelist"))

    names = [touchpoint.name for touchpoint in response.context["cl"].result_list]
    assert names == ["Ad click", "Checkout", "Renewal meeting"]


def test_tags_are_typed_with_commas_and_stored_as_a_list(client, support):
    customer = CustomerFactory.create(tags=["vip"])
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    client.force_login(support)
    data = change_form_data(client.get(url))
    assert data["tags"] == "vip"
    data["tags"] = " vip, beta ,, beta"

    response = client.post(url, data)

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.tags == ["vip", "beta"]


def test_a_tag_longer_than_the_api_allows_is_a_form_error(client, support):
    customer = CustomerFactory.create(tags=["vip"])
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    client.force_login(support)
    data = change_form_data(client.get(url))
    data["tags"] = "vip, " + "x" * 51

    response = client.post(url, data)

    assert response.status_code == 200
    assert "tags" in response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.tags == ["vip"]


def test_short_words_match_names_by_prefix(client, support):
    li = CustomerFactory.create(name="李娜", email="li.na@example.cn")
    CustomerFactory.create(name="王李", email="wang@example.cn")
    client.force_login(support)

    response = client.get(reverse("admin:customers_customer_changelist"), {"q": "李"})

    assert list(response.context["cl"].result_list) == [li]


def test_search_finds_customers_of_every_matching_company(client, support):
    companies = CompanyFactory.create_batch(502, name="Acme Holdings")
    last = CustomerFactory.create(company=companies[-1])
    first = CustomerFactory.create(company=companies[0])
    client.force_login(support)

    response = client.get(reverse("admin:customers_customer_changelist"), {"q": "acme"})

    assert set(response.context["cl"].result_list) == {first, last}


def test_the_interaction_list_shows_everything_until_searched_by_email(client, support):
    ann = CustomerFactory.create(email="Ann@Example.com")
    ann_call = InteractionFactory.create(customer=ann)
    other_call = InteractionFactory.create()
    client.force_login(support)
    url = reverse("admin:customers_interaction_changelist")

    everything = client.get(url)
    anns = client.get(url, {"q": " ann@example.COM "})

    assert set(everything.context["cl"].result_list) == {ann_call, other_call}
    assert list(anns.context["cl"].result_list) == [ann_call]


def test_the_customer_page_shows_the_latest_twenty_and_links_to_the_rest(
    client, support
):
    customer = CustomerFactory.create()
    InteractionFactory.create_batch(25, customer=customer)
    client.force_login(support)

    response = client.get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    )

    history = response.context["inline_admin_formsets"][1].formset
    assert len(history.forms) == 20
    all_link = (
        f"{reverse('admin:customers_interaction_changelist')}"
        f"?customer__id__exact={customer.pk}"
    )
    assert all_link in response.content.decode()
    listed = client.get(all_link).context["cl"].result_list
    assert len(listed) == 25
