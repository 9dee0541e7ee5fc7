"""What frames every page: the site's icon, the admin header's links, where a
login lands, and labels written as the admin writes its own."""

import re
from urllib.parse import quote, unquote

import pytest
from django.core.cache import cache
from django.urls import reverse

from surveys import tokens
from tests.factories import (
    CustomerFactory,
    InvitationFactory,
    SubscriptionFactory,
    SurveyFactory,
    UserFactory,
)
from webhooks import services

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
ICON = re.compile(
    r'<link rel="icon" type="image/svg\+xml" href="data:image/svg\+xml,([^"]+)">'
)
DASHBOARD_LINK = '<a href="/dashboard/">Dashboard</a> /'
PAGES = ["/admin/", "/dashboard/", "/admin/customers/customer/"]


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    """The survey pages count requests per client and minute, and every test
    starts at the same minute of the run's clock."""
    cache.clear()
    yield
    cache.clear()


def text_of(client, url: str, **kwargs) -> str:
    response = client.get(url, headers={"accept-language": "en"}, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_the_admin_the_dashboard_and_the_survey_pages_have_the_sites_icon(
    client, manager
):
    invitation = InvitationFactory.create()
    survey_page = text_of(client, f"/s/{tokens.token_for(invitation.nonce)}/")
    login_page = text_of(client, "/admin/login/")
    client.force_login(manager)

    pages = [login_page, survey_page, *(text_of(client, url) for url in PAGES)]

    icons = {icon_of(page) for page in pages}
    assert len(icons) == 1
    [icon] = icons
    assert icon is not None
    assert icon.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert icon.endswith("</svg>")


def icon_of(page: str) -> str | None:
    """The page's icon, an SVG written into its address (data:)."""
    match = ICON.search(page)
    return unquote(match[1]) if match else None


def test_a_manager_finds_the_dashboard_in_the_header_instead_of_view_site(
    client, manager
):
    client.force_login(manager)

    pages = [text_of(client, url) for url in PAGES]

    assert [DASHBOARD_LINK in page for page in pages] == [True, True, True]
    assert ["View site" in page for page in pages] == [False, False, False]


def test_support_has_neither_the_dashboard_nor_view_site(client, support):
    client.force_login(support)

    page = text_of(client, "/admin/")

    assert DASHBOARD_LINK not in page
    assert "View site" not in page


@pytest.mark.parametrize(
    "unsafe", ["https://evil.example/", "//evil.example/admin/", ""]
)
def test_a_login_with_an_unsafe_next_lands_on_the_admin(client, unsafe):
    user = UserFactory.create(username="sam", is_staff=True)

    response = client.post(
        f"/admin/login/?next={quote(unsafe)}",
        {"username": user.username, "password": PASSWORD, "next": unsafe},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


# Labels: the admin capitalises a model's verbose names ("Name:"); a form's own
# labels and a page's own headers were shown as written ("tags:").


def test_the_customer_page_labels_are_capitalised(client, support):
    customer = CustomerFactory.create()
    client.force_login(support)

    page = text_of(
        client, reverse("admin:customers_customer_change", args=[customer.pk])
    )

    assert '<label for="id_tags">Tags:</label>' in page
    assert '<label for="id_interactions-0-touchpoint">Touchpoint:</label>' in page


def test_the_survey_page_labels_are_capitalised(client, manager):
    client.force_login(manager)

    page = text_of(client, reverse("admin:surveys_survey_add"))

    assert "Channels:</label>" in page
    assert "channels:" not in page


def test_the_send_survey_question_is_capitalised(client, manager):
    SurveyFactory.create(trigger="manual")
    customer = CustomerFactory.create()
    client.force_login(manager)

    page = client.post(
        reverse("admin:customers_customer_changelist"),
        {"action": "send_survey", "_selected_action": [customer.pk]},
        headers={"accept-language": "en"},
    ).content.decode()

    assert '<label for="id_survey">Survey:</label>' in page


def test_a_subscriptions_labels_and_headers_are_capitalised(client, support):
    subscription = SubscriptionFactory.create(owner=support)
    services.send_test_event(subscription)
    client.force_login(support)

    added = text_of(client, reverse("admin:webhooks_subscription_add"))
    page = text_of(
        client, reverse("admin:webhooks_subscription_change", args=[subscription.pk])
    )

    assert "Event types:</label>" in added
    headers = "<th>Event</th><th>Time</th><th>Status</th><th>Attempts</th>"
    assert headers in page


def test_a_new_tokens_expiry_says_blank_means_never(client, support):
    client.force_login(support)

    page = text_of(client, reverse("admin:tokens_apitoken_add"))

    assert "Leave blank for a key that never expires." in page
