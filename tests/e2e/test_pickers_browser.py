"""The admin's searchable pickers in a real browser, under the
Content-Security-Policy: support logs an interaction from the interactions
list by typing the customer's name, and gives a company an owner by typing a
colleague's."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from customers.models import Interaction
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.factories import CompanyFactory, CustomerFactory, UserFactory

UNAMBIGUOUS = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def pick(page, field: str, typed: str, choice: str) -> None:
    """Open the picker of `field`, type, and choose the match."""
    page.locator(f"#id_{field} + .select2").click()
    page.locator(".select2-search__field").fill(typed)
    page.locator(".select2-results__option", has_text=choice).click()
    expect(page.locator(f"#select2-id_{field}-container")).to_have_attribute(
        "title", choice
    )


# Away from a daylight saving change: in its repeated hour the forms' times
# are ambiguous and ask which one is meant, which is not what this tests.
@pytest.mark.now(UNAMBIGUOUS, tick=True)
def test_support_logs_an_interaction_by_typing_the_customers_name(page, live_server):
    support = UserFactory.create(username="li.na", groups=["Support"])
    wang = CustomerFactory.create(name="Wang Fang", email="wang.fang@acme.cn")
    CustomerFactory.create(name="Tom Baker")
    log_in(page, live_server, "li.na")

    page.goto(f"{live_server.url}/admin/customers/interaction/add/")
    pick(page, "customer", "wang", "Wang Fang")
    page.locator("#id_channel").select_option("phone")
    page.locator("#id_subject").fill("Invoice question")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin-add-interaction-picker.png"))
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    interaction = Interaction.objects.get()
    assert (interaction.customer, interaction.logged_by) == (wang, support)
    assert interaction.subject == "Invoice question"


@pytest.mark.now(UNAMBIGUOUS, tick=True)
def test_support_gives_a_company_an_owner_by_typing_a_colleagues_name(
    page, live_server
):
    UserFactory.create(username="li.na", groups=["Support"])
    colleague = UserFactory.create(username="tom.baker", groups=["Support"])
    company = CompanyFactory.create(name="Acme")
    log_in(page, live_server, "li.na")

    page.goto(f"{live_server.url}/admin/customers/company/{company.pk}/change/")
    pick(page, "owner", "tom", "tom.baker")
    page.screenshot(path=str(SCREENSHOTS / "admin-company-owner-picker.png"))
    page.get_by_role("button", name="Save", exact=True).click()
    assert page.locator(".errorlist").all_inner_texts() == []

    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    company.refresh_from_db()
    assert company.owner == colleague
