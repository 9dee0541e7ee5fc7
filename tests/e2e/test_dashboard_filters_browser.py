"""The dashboard's filter menus in a real browser: each is wide enough for its
longest choice ("Customer satisfaction (1–5)" was cut off)."""

import pytest

from tests.e2e.conftest import SCREENSHOTS
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple"

# The width each menu of the filter form has, and the width the browser gives
# a copy of it that nothing constrains: enough for its longest choice.
MENU_WIDTHS = """
() => [...document.querySelectorAll("form.dashboard-filters select")].map((menu) => {
  const free = menu.cloneNode(true);
  free.removeAttribute("id");
  free.style.cssText =
    "position: absolute; visibility: hidden; width: auto; max-width: none;";
  menu.parentElement.appendChild(free);
  const width = (element) => element.getBoundingClientRect().width;
  const widths = [menu.name, width(menu), width(free)];
  free.remove();
  return widths;
})
"""


@pytest.mark.parametrize(("language", "code"), [("English", "en"), ("简体中文", "zh")])
def test_every_filter_menu_shows_its_longest_choice_whole(
    page, live_server, language, code
):
    UserFactory.create(username="mia", groups=["Manager"])
    page.goto(f"{live_server.url}/admin/login/?next=/dashboard/")
    page.locator("#id_username").fill("mia")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")
    if code != "en":
        menu = page.locator("form.language-menu")
        menu.locator("select").select_option(label=language)
        with page.expect_navigation():
            menu.get_by_role("button").click()
    page.locator("select[name=kind]").select_option("csat")

    widths = page.evaluate(MENU_WIDTHS)

    SCREENSHOTS.mkdir(exist_ok=True)
    page.locator("form.dashboard-filters").screenshot(
        path=str(SCREENSHOTS / f"dashboard-filters-{code}.png")
    )
    assert page.locator("html").get_attribute("lang", timeout=1000).startswith(code)
    assert "kind" in [name for name, _width, _needed in widths]
    assert [name for name, width, needed in widths if width < needed - 0.5] == []
