"""A token's own rate: anyone lowers theirs; only managers (and superusers)
go above API_TOKEN_RATE; nobody above API_TOKEN_RATE_CEILING."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.api import session
from tests.factories import UserFactory
from tokens.models import ApiToken

NOW = datetime(2027, 5, 4, 9, 30, tzinfo=UTC)
TOKENS = "/api/v1/tokens/"
ADD = reverse("admin:tokens_apitoken_add")
ABOVE_SITE = (
    "Only managers may give a token more than the site's rate (600/min): "
    "choose at most 600 requests per minute."
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


@pytest.fixture(autouse=True)
def rates(settings):
    settings.API_TOKEN_RATE = "600/min"
    settings.API_TOKEN_RATE_CEILING = 6000


def make(user, rate):
    return session(user).post(
        TOKENS, {"name": "sync", "requests_per_minute": rate}, format="json"
    )


def test_support_lowers_their_own_tokens_rate(support):
    response = make(support, 30)

    assert response.status_code == 201
    assert ApiToken.objects.get().requests_per_minute == 30


def test_support_may_not_raise_a_token_above_the_sites_rate(support):
    response = make(support, 601)

    assert response.status_code == 400
    assert response.json() == {"requests_per_minute": [ABOVE_SITE]}
    assert not ApiToken.objects.exists()


def test_a_manager_raises_a_token_above_the_sites_rate(manager):
    response = make(manager, 5000)

    assert response.status_code == 201
    assert ApiToken.objects.get().requests_per_minute == 5000


@pytest.mark.parametrize("who", ["support", "manager"])
def test_nobody_goes_above_the_ceiling(request, who):
    response = make(request.getfixturevalue(who), 6001)

    assert response.status_code == 400
    assert response.json() == {
        "requests_per_minute": [
            "At most 6000 requests per minute (API_TOKEN_RATE_CEILING)."
        ]
    }
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(("site", "most"), [("10/s", 600), ("36000/hour", 600)])
def test_the_sites_rate_is_read_per_minute_whatever_its_unit(
    settings, support, site, most
):
    settings.API_TOKEN_RATE = site

    assert make(support, most).status_code == 201
    assert make(support, most + 1).status_code == 400


def test_with_no_site_rate_any_rate_up_to_the_ceiling_is_a_lowering(settings, support):
    settings.API_TOKEN_RATE = None

    assert make(support, 6000).status_code == 201


def test_in_the_admin_support_gets_a_form_error(client, support):
    client.force_login(support)

    response = client.post(
        ADD, {"name": "Shop", "scope": "write", "requests_per_minute": 601}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "requests_per_minute": [ABOVE_SITE]
    }
    assert not ApiToken.objects.exists()


def test_in_the_admin_a_superuser_raises_a_token_for_someone_else(client, support):
    boss = UserFactory.create(username="root", is_superuser=True, is_staff=True)
    client.force_login(boss)

    response = client.post(
        ADD,
        {
            "user": support.pk,
            "name": "Shop",
            "scope": "write",
            "requests_per_minute": 5000,
        },
    )

    assert response.status_code == 302
    assert ApiToken.objects.get().requests_per_minute == 5000


def test_the_command_is_an_operators_but_keeps_the_ceiling(support):
    out = StringIO()
    call_command(
        "create_api_token",
        support.username,
        "--requests-per-minute",
        "5000",
        stdout=out,
    )
    assert ApiToken.objects.get().requests_per_minute == 5000

    with pytest.raises(CommandError, match="API_TOKEN_RATE_CEILING"):
        call_command(
            "create_api_token",
            support.username,
            "--requests-per-minute",
            "6001",
            stdout=StringIO(),
        )
    assert ApiToken.objects.count() == 1
