"""The case desk in a real browser, under the Content-Security-Policy: the
link that leaves the case page and the button that closes the case have
different names in both languages, and a case goes to a new owner picked by
typing a name."""

import pytest
from playwright.sync_api import expect

from feedback.models import Case, CaseEvent, StaffPreference
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.factories import CaseEventFactory, CaseFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def open_case(owner) -> Case:
    case = CaseFactory.create(owner=owner)
    CaseEventFactory.create(case=case, kind=CaseEvent.Kind.OPENED)
    return case


@pytest.mark.parametrize(
    ("language", "close_the_case", "back_to_the_list"),
    [
        ("en", "Close the case", "Back to the list"),
        ("zh-hans", "关闭跟进工单", "返回列表"),
    ],
)
def test_leaving_the_page_and_closing_the_case_are_named_apart(
    page, live_server, language, close_the_case, back_to_the_list
):
    owner = UserFactory.create(username="oona", groups=["Support"])
    StaffPreference.objects.create(user=owner, language=language)
    case = open_case(owner)
    log_in(page, live_server, "oona")

    page.goto(f"{live_server.url}/admin/feedback/case/{case.pk}/change/")

    leave = page.locator(".submit-row a.closelink")
    close = page.locator("#action-close input[type=submit]")
    expect(leave).to_have_text(back_to_the_list)
    expect(close).to_have_value(close_the_case)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(
        path=str(SCREENSHOTS / f"case-page-buttons-{language}.png"), full_page=True
    )
    leave.click()
    page.wait_for_url(f"{live_server.url}/admin/feedback/case/")


def test_a_case_goes_to_a_new_owner_picked_by_typing(page, live_server):
    owner = UserFactory.create(username="oona", groups=["Support"])
    UserFactory.create(username="wang.fang", first_name="Fang", groups=["Support"])
    UserFactory.create(username="tom.baker", groups=["Support"])
    case = open_case(owner)
    log_in(page, live_server, "oona")
    page.goto(f"{live_server.url}/admin/feedback/case/{case.pk}/change/")

    page.locator("#action-reassign summary").click()
    page.locator("#id_reassign-owner + .select2").click()
    page.locator(".select2-search__field").fill("wang")
    page.locator(".select2-results__option", has_text="wang.fang").click()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(
        path=str(SCREENSHOTS / "case-page-reassign-picker.png"), full_page=True
    )
    page.locator("#action-reassign input[type=submit]").click()

    expect(page.locator(".messagelist")).to_contain_text("The case was reassigned.")
    case.refresh_from_db()
    assert case.owner is not None
    assert case.owner.username == "wang.fang"
