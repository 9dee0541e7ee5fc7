"""The lists support staff work from fit a 1366-pixel laptop screen: the
customer list's language, owner and creation day and the case list's time
left and escalations are on screen, not behind a horizontal scroll."""

from datetime import timedelta

import pytest
from django.utils import timezone

from feedback.models import Case
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.factories import (
    CaseFactory,
    CompanyFactory,
    CustomerFactory,
    SurveyResponseFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LAPTOP = {"width": 1366, "height": 768}

# The right edge of each header and of the box that scrolls the table.
HEADER_EDGES = """() => {
  const box = document.querySelector('#changelist-form .results');
  const heads = {};
  for (const th of document.querySelectorAll('#result_list thead th')) {
    heads[th.innerText.trim().toLowerCase()] = th.getBoundingClientRect().right;
  }
  return {
    scrolls: box.scrollWidth > box.clientWidth,
    right: box.getBoundingClientRect().right,
    heads,
  };
}"""


def assert_on_screen(page, columns: list[str]) -> None:
    edges = page.evaluate(HEADER_EDGES)
    assert edges["scrolls"] is False, edges
    for column in columns:
        assert edges["heads"][column] <= edges["right"] + 0.5, (column, edges)


@pytest.fixture
def long_rows():
    """Rows as wide as real ones get: long names and addresses, subjects
    and comments, a case overdue for months (the longest time left)."""
    owner = UserFactory.create(username="alexandra.whitfield", groups=["Support"])
    company = CompanyFactory.create(name="Northwind Trading and Logistics Company")
    for number in range(3):
        customer = CustomerFactory.create(
            name=f"Maximilian Fairweather-Montgomery {number}",
            email=f"maximilian.fairweather-montgomery.{number}@northwind-logistics.example",
            company=company,
            owner=owner,
            segment="enterprise",
        )
        SurveyResponseFactory.create(
            invitation__interaction__customer=customer,
            invitation__interaction__subject="Invoice question about the March "
            "delivery to the Rotterdam warehouse",
            score=3,
            comment="The courier left the parcel at the wrong warehouse and "
            "nobody called me back for three days.",
        )
        CaseFactory.create(
            response=None,
            reason=Case.Reason.MANUAL,
            customer=customer,
            owner=owner,
            status=Case.Status.OPEN,
            due_at=timezone.now() - timedelta(days=160, hours=5),
        )
    return owner


def test_the_customer_list_shows_language_owner_and_created_at_1366_pixels(
    page, live_server, long_rows
):
    page.set_viewport_size(LAPTOP)
    log_in(page, live_server, long_rows.username)

    page.goto(f"{live_server.url}/admin/customers/customer/")

    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "customer-list-1366.png"))
    assert_on_screen(page, ["language", "owner", "created"])


def test_the_case_list_shows_time_left_and_escalations_at_1366_pixels(
    page, live_server, long_rows
):
    page.set_viewport_size(LAPTOP)
    log_in(page, live_server, long_rows.username)

    page.goto(f"{live_server.url}/admin/feedback/case/")

    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "case-list-1366.png"))
    assert_on_screen(page, ["time left", "escalations"])
    assert "overdue" in page.locator("td.field-time_left").first.inner_text()


@pytest.mark.parametrize(
    ("path", "columns"),
    [
        ("/admin/surveys/invitation/", ["sent at", "answered at"]),
        ("/admin/surveys/surveyresponse/", ["touchpoint", "staff member"]),
        ("/admin/customers/interaction/", ["status", "logged by"]),
    ],
)
def test_the_other_lists_keep_their_last_columns_on_a_laptop(
    page, live_server, long_rows, path, columns
):
    page.set_viewport_size(LAPTOP)
    log_in(page, live_server, long_rows.username)

    page.goto(f"{live_server.url}{path}")

    assert_on_screen(page, columns)


def test_the_navigation_sidebar_starts_closed_on_a_laptop_and_keeps_a_choice(
    page, live_server, long_rows
):
    page.set_viewport_size(LAPTOP)
    log_in(page, live_server, long_rows.username)
    page.goto(f"{live_server.url}/admin/customers/customer/")
    main = page.locator("#main")
    assert "shifted" not in main.get_attribute("class")

    page.locator("#toggle-nav-sidebar").click()
    page.reload()

    assert "shifted" in main.get_attribute("class")


def test_the_navigation_sidebar_starts_open_on_a_wide_screen(
    page, live_server, long_rows
):
    page.set_viewport_size({"width": 1920, "height": 1080})
    log_in(page, live_server, long_rows.username)

    page.goto(f"{live_server.url}/admin/customers/customer/")

    assert "shifted" in page.locator("#main").get_attribute("class")
