"""The support desk in a real browser: find a customer, log a call in seconds."""

import pytest

from customers.models import Interaction
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.factories import CustomerFactory, TouchpointFactory, UserFactory

# serialized_rollback: the flush after the test must not take the roles and
# root causes that migrations made away from the tests that run after it.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_support_finds_a_customer_and_logs_a_call(page, live_server):
    support = UserFactory.create(username="li.na", groups=["Support"])
    customer = CustomerFactory.create(name="Wang Fang", email="wang.fang@acme.cn")
    CustomerFactory.create(name="Tom Baker")
    TouchpointFactory.create(name="Support ticket", stage="usage")
    log_in(page, live_server, "li.na")

    page.goto(f"{live_server.url}/admin/customers/customer/")
    page.locator("#searchbar").fill("wang")
    page.locator("#searchbar").press("Enter")
    page.get_by_role("link", name="Wang Fang").click()
    page.locator("#id_interactions-0-touchpoint").select_option(
        label="Usage · Support ticket"
    )
    page.locator("#id_interactions-0-subject").fill("Invoice question")
    page.locator("#id_interactions-0-survey_mode").select_option("skip")
    page.get_by_role("button", name="Save and continue editing").click()

    page.get_by_text("Call logged.").wait_for()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(
        path=str(SCREENSHOTS / "admin-customer-logged-call.png"), full_page=True
    )
    interaction = Interaction.objects.get()
    assert interaction.customer == customer
    assert interaction.logged_by == support
    assert interaction.channel == "phone"
    assert interaction.subject == "Invoice question"
    assert interaction.survey_mode == "skip"
    history = page.locator("#interactions-2-group")
    assert "Invoice question" in history.inner_text()
