"""The Content-Security-Policy in a real browser: the pages people use load
and work without a violation (the page fixture fails a test on any), and an
injected inline script is refused."""

import pytest
from playwright.sync_api import expect

from feedback.models import Case
from tests.e2e.conftest import log_in, watch_csp
from tests.factories import (
    CaseFactory,
    CustomerFactory,
    InvitationFactory,
    SurveyResponseFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def log_in_as_a_manager(page, live_server) -> None:
    UserFactory.create(username="mia.manager", groups=["Manager"])
    log_in(page, live_server, "mia.manager")


def some_feedback() -> Case:
    customer = CustomerFactory.create(name="Ada Lovelace")
    for score in [2, 7, 9, 10]:
        SurveyResponseFactory.create(
            invitation=InvitationFactory.create(interaction__customer=customer),
            score=score,
            comment=f"Comment {score}",
        )
    return CaseFactory.create(customer=customer)


def test_the_staff_pages_load_without_a_violation(page, live_server):
    case = some_feedback()
    customer = case.customer
    survey = InvitationFactory.create().survey
    log_in_as_a_manager(page, live_server)
    pages = [
        "/admin/",
        "/admin/customers/customer/",
        f"/admin/customers/customer/{customer.pk}/change/",
        "/admin/customers/interaction/add/",
        "/admin/feedback/case/",
        f"/admin/feedback/case/{case.pk}/change/",
        "/admin/surveys/survey/",
        f"/admin/surveys/survey/{survey.pk}/change/",
        "/admin/surveys/invitation/",
        "/admin/tokens/apitoken/add/",
        "/admin/axes/accessattempt/",
        "/dashboard/",
        "/dashboard/?kind=nps&days=30",
        "/dashboard/answers/",
        "/api/v1/customers/",
        "/api/v1/docs/",
    ]

    for path in pages:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None, path
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")

    # The API's documentation is drawn by its script, loaded from this site.
    expect(page.locator(".swagger-ui .info")).to_be_visible()


def test_the_dashboard_filters_work_under_the_policy(page, live_server):
    some_feedback()
    log_in_as_a_manager(page, live_server)
    page.goto(f"{live_server.url}/dashboard/")

    filters = page.locator("form.dashboard-filters")
    filters.locator("select[name=kind]").select_option("csat")
    filters.get_by_role("button", name="Apply").click()

    page.wait_for_url(f"{live_server.url}/dashboard/?*kind=csat*")
    expect(filters.locator("select[name=kind]")).to_have_value("csat")


def test_an_injected_inline_script_is_refused_and_reported(browser, live_server):
    context = browser.new_context(locale="en-US")
    violations = watch_csp(context)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/admin/login/")
        with pytest.raises(Exception, match=r"Content Security Policy|CSP"):
            page.add_script_tag(content="window.injected = true")
        page.wait_for_timeout(200)
        injected = page.evaluate("window.injected === true")
    finally:
        context.close()

    assert injected is False
    assert any("script-src" in text for text in violations), violations
