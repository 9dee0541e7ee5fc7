"""A case owner closes the loop in a real browser: from the home page to the
case, a recorded contact, and the case closed with its root cause."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from feedback import tasks
from feedback.models import Case, CaseEvent, RootCause
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.factories import (
    CaseEventFactory,
    CaseFactory,
    CustomerFactory,
    InteractionFactory,
    SurveyResponseFactory,
    UserFactory,
)

# serialized_rollback: the flush after the test must not take the roles and
# root causes that migrations made away from the tests that run after it.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def support_member(username: str, **fields: str) -> User:
    return UserFactory.create(
        username=username, is_staff=True, groups=["Support"], **fields
    )


def test_an_owner_records_a_contact_and_closes_the_case(page, live_server, monkeypatch):
    # The alert tasks' broker is the edge of this test.
    monkeypatch.setattr(tasks.deliver_alert_task, "delay", lambda alert_id: None)
    owner = support_member("li.na", first_name="Li", last_name="Na")
    billing = RootCause.objects.get(name="Billing")
    customer = CustomerFactory.create(name="Wang Fang", email="wang.fang@acme.cn")
    interaction = InteractionFactory.create(
        customer=customer, subject="Invoice charged twice"
    )
    response = SurveyResponseFactory.create(
        invitation__interaction=interaction,
        invitation__customer=customer,
        score=2,
        comment="I was charged twice and nobody answers my emails.",
    )
    now = timezone.now()
    case = CaseFactory.create(
        response=response,
        interaction=interaction,
        owner=owner,
        priority=Case.Priority.URGENT,
        created_at=now - timedelta(hours=2),
        due_at=now + timedelta(hours=2),
    )
    CaseEventFactory.create(
        case=case, kind=CaseEvent.Kind.OPENED, created_at=case.created_at
    )
    log_in(page, live_server, "li.na")
    page.screenshot(path=str(SCREENSHOTS / "case_home.png"), full_page=True)

    page.locator("#open-cases").get_by_role("link", name="Wang Fang").click()
    page.wait_for_url(f"{live_server.url}/admin/feedback/case/{case.pk}/change/")
    page.locator("#id_contact-channel").select_option("email")
    page.locator("#id_contact-note").fill("Apologised and refunded by email.")
    page.get_by_role("button", name="Record contact").click()
    page.get_by_text("The contact was recorded.").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "case_page.png"), full_page=True)

    page.locator("#id_close-root_cause").select_option(label="Billing")
    page.locator("#id_close-resolution").fill("Refunded the second charge.")
    page.get_by_role("button", name="Close the case").click()
    page.get_by_text("The case was closed.").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "case_closed.png"), full_page=True)

    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert case.contact_channel == "email"
    assert case.first_contact_at is not None
    assert case.root_cause == billing
    assert case.resolution == "Refunded the second charge."
    assert case.recovery_invitation is not None
    assert list(case.events.order_by("id").values_list("kind", "actor")) == [
        ("opened", None),
        ("contacted", owner.pk),
        ("closed", owner.pk),
    ]
    assert page.locator("#action-reopen").is_visible()
    timeline = page.locator("#events-group").inner_text()
    assert "Refunded the second charge." in timeline
    assert "Li Na" in timeline
