"""A privacy request worked in a real browser: support staff record an
erasure from the customer's page, a manager verifies it, reads on the
confirmation page exactly what will happen (the open case among it) and
fulfils it; the dashboard then counts it. Under the Content-Security-Policy."""

import pytest
from playwright.sync_api import expect

from crm.celery import app
from customers.models import Customer
from privacy.models import PrivacyRequest
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.factories import UserFactory
from tests.privacy.history import build_history

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def tasks_run_in_the_server():
    # The fulfilment task runs in the live server's thread, after the commit.
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = False, False


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_an_erasure_is_recorded_verified_confirmed_and_done(page, live_server):
    support = UserFactory.create(username="sam-support", groups=["Support"])
    manager = UserFactory.create(username="mia-manager", groups=["Manager"])
    history = build_history(support, manager)
    person = history.customer

    log_in(page, live_server, "sam-support")
    page.goto(f"{live_server.url}/admin/customers/customer/{person.pk}/change/")
    page.locator("#record-privacy-request").click()
    page.locator("#id_kind").select_option("erasure")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_be_visible()
    request = PrivacyRequest.objects.get(customer=person)
    assert request.status == "received"

    page.context.clear_cookies()
    log_in(page, live_server, "mia-manager")
    page.goto(f"{live_server.url}/admin/privacy/privacyrequest/{request.pk}/change/")
    page.locator("#step-verify").click()
    page.locator("#id_how").fill("Reply from the address on file")
    page.locator("#step-form input[type=submit]").click()
    page.locator("#step-fulfil").click()
    preview = page.locator("#erasure-preview")
    expect(preview).to_contain_text("every figure stays the same")
    expect(page.locator("#open-cases")).to_contain_text('closed as "erased"')
    screenshot(page, "privacy-erasure-confirmation.png")
    page.locator("#step-form input[type=submit]").click()

    expect(page.locator(".messagelist")).to_contain_text("Queued")
    request.refresh_from_db()
    assert (request.status, request.outcome) == ("done", "erased")
    assert not Customer.objects.filter(pk=person.pk).exists()
    page.reload()
    expect(page.locator("#erasure-record")).to_be_visible()

    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("#privacy-median")).to_contain_text("(n 1)")
    page.locator("#privacy").scroll_into_view_if_needed()
    screenshot(page, "dashboard-privacy.png")
