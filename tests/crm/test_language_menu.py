"""The language menu of the admin, the dashboard and the survey pages
(Django's set_language at /i18n/setlang/): a visitor's choice is kept in a
cookie; a staff member's in their preference too, which their pages and their
mail follow on any browser. A survey page speaks its customer's language
unless the visitor chose another."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import translation

from feedback.models import StaffPreference
from surveys import tokens
from surveys.models import Invitation
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db

SET_LANGUAGE = "/i18n/setlang/"
MENU = '<form class="language-menu" action="/i18n/setlang/" method="post">'
CHINESE = '<option value="zh-hans" lang="zh-hans" selected>简体中文</option>'
ENGLISH = '<option value="en" lang="en" selected>English</option>'


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    """The survey pages count requests per client and minute, and every test
    starts at the same minute of the run's clock."""
    cache.clear()
    yield
    cache.clear()


def survey_link(invitation: Invitation) -> str:
    return f"/s/{tokens.token_for(invitation.nonce)}/"


def shown_in(response) -> str:
    return str(response["Content-Language"])


@pytest.mark.parametrize("page", ["/admin/login/", "/admin/", "/dashboard/"])
def test_the_admin_and_the_dashboard_have_the_menu(client, manager, page):
    if page != "/admin/login/":
        client.force_login(manager)

    html = client.get(page, headers={"accept-language": "en"}).content.decode()

    assert MENU in html
    assert f'<input type="hidden" name="next" value="{page}">' in html
    assert ENGLISH in html
    assert '<option value="zh-hans" lang="zh-hans">简体中文</option>' in html


def test_the_survey_page_has_the_menu_that_comes_back_without_the_score(client):
    invitation = InvitationFactory.create(interaction__customer__language="zh-hans")
    link = survey_link(invitation)

    html = client.get(f"{link}?score=9").content.decode()

    assert MENU in html
    assert f'<input type="hidden" name="next" value="{link}">' in html
    assert CHINESE in html
    # Each language named in itself, not in the page's.
    assert '<option value="en" lang="en">English</option>' in html


def test_a_visitors_choice_is_kept_in_a_cookie_for_a_year(client):
    response = client.post(
        SET_LANGUAGE, {"language": "zh-hans", "next": "/admin/login/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert (cookie.value, cookie["max-age"]) == ("zh-hans", 365 * 24 * 60 * 60)
    page = client.get("/admin/login/", headers={"accept-language": "en"})
    assert shown_in(page) == "zh-hans"
    assert CHINESE in page.content.decode()
    assert not StaffPreference.objects.exists()


def test_a_staff_members_choice_becomes_their_pages_and_mails_language(client, support):
    client.force_login(support)
    # Until they choose, the browser's language; nothing is kept.
    before = client.get("/admin/", headers={"accept-language": "zh-hans"})
    assert shown_in(before) == "zh-hans"
    assert not StaffPreference.objects.exists()

    response = client.post(SET_LANGUAGE, {"language": "zh-hans", "next": "/admin/"})

    assert response.status_code == 302
    assert StaffPreference.objects.get(user=support).language == "zh-hans"
    assert StaffPreference.mail_language_of(support) == "zh-hans"


def test_a_staff_members_language_follows_them_to_any_browser(client, support):
    StaffPreference.objects.create(user=support, language="zh-hans")
    client.force_login(support)
    # Another person's choice on this browser, and an English browser.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = client.get("/admin/", headers={"accept-language": "en"})

    assert shown_in(page) == "zh-hans"
    assert CHINESE in page.content.decode()


def test_a_staff_member_switches_back(client, support):
    StaffPreference.objects.create(
        user=support, language="zh-hans", receives_weekly_digest=False
    )
    client.force_login(support)

    client.post(SET_LANGUAGE, {"language": "en", "next": "/admin/"})
    page = client.get("/admin/", headers={"accept-language": "zh-hans"})

    preference = StaffPreference.objects.get(user=support)
    assert (preference.language, preference.receives_weekly_digest) == ("en", False)
    assert shown_in(page) == "en"


def test_a_language_not_offered_changes_nothing(client, support):
    StaffPreference.objects.create(user=support, language="zh-hans")
    client.force_login(support)

    # Django has French texts, so set_language sets its cookie all the same.
    response = client.post(SET_LANGUAGE, {"language": "fr", "next": "/admin/"})
    page = client.get("/admin/")

    assert response.status_code == 302
    assert StaffPreference.objects.get(user=support).language == "zh-hans"
    assert shown_in(page) == "zh-hans"


def test_a_survey_page_speaks_the_customers_language_unless_the_visitor_chose(
    client,
):
    invitation = InvitationFactory.create(interaction__customer__language="zh-hans")
    link = survey_link(invitation)
    customers = client.get(link, headers={"accept-language": "en"}).content.decode()

    client.post(SET_LANGUAGE, {"language": "en", "next": link})
    chosen = client.get(link, headers={"accept-language": "zh-hans"}).content.decode()

    assert '<html lang="zh-Hans">' in customers
    assert '<html lang="en">' in chosen
    with translation.override("en"):
        assert invitation.survey.question_in("en") in chosen
    assert ENGLISH in chosen


def test_a_visitors_choice_does_not_change_a_staff_members_preference(client, support):
    StaffPreference.objects.create(user=support, language="en")
    invitation = InvitationFactory.create(interaction__customer__language="en")
    link = survey_link(invitation)

    client.post(SET_LANGUAGE, {"language": "zh-hans", "next": link})
    survey_page = client.get(link).content.decode()
    client.force_login(support)
    page = client.get("/admin/")

    assert '<html lang="zh-Hans">' in survey_page
    assert shown_in(page) == "en"
    assert StaffPreference.objects.get(user=support).language == "en"


def test_turning_the_digest_off_keeps_the_language_the_page_was_in(client, manager):
    client.force_login(manager)

    client.post("/dashboard/digest/", {}, headers={"accept-language": "zh-hans"})
    page = client.get("/admin/", headers={"accept-language": "en"})

    preference = StaffPreference.objects.get(user=manager)
    assert (preference.language, preference.receives_weekly_digest) == (
        "zh-hans",
        False,
    )
    assert shown_in(page) == "zh-hans"
