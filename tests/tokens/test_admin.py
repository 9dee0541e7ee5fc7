"""Tokens in the admin: the list, a new token's key shown once, revocation."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import ApiTokenFactory, UserFactory
from tokens import services
from tokens.models import ApiToken

NOW = datetime(2027, 5, 4, 9, 30, tzinfo=UTC)
LIST = reverse("admin:tokens_apitoken_changelist")
ADD = reverse("admin:tokens_apitoken_add")
KEY = re.compile(r"tl_[A-Za-z0-9_-]{40}")

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


@pytest.fixture
def boss(db):
    return UserFactory.create(username="root", is_superuser=True, is_staff=True)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_list_shows_each_tokens_facts_and_never_a_hash(client, boss, support):
    token = ApiTokenFactory.create(user=support, name="Helpdesk sync", scope="read")
    client.force_login(boss)

    response = client.get(LIST)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Helpdesk sync" in html
    assert token.prefix in html
    assert "sam-support" in html
    assert token.key_hash not in html
    assert token.key not in html


def test_staff_see_only_their_own_tokens(client, support, manager):
    ApiTokenFactory.create(user=support, name="Mine")
    ApiTokenFactory.create(user=manager, name="The manager's")
    client.force_login(support)

    response = client.get(LIST)

    assert [token.name for token in response.context["cl"].result_list] == ["Mine"]


def test_a_token_page_has_no_field_to_edit(client, boss, support):
    token = ApiTokenFactory.create(user=support)
    client.force_login(boss)

    response = client.get(reverse("admin:tokens_apitoken_change", args=[token.pk]))

    assert response.status_code == 200
    assert response.context["adminform"].form.fields == {}
    assert token.key_hash not in response.content.decode()


def test_a_token_made_in_the_admin_shows_its_key_once(client, support):
    client.force_login(support)

    response = client.post(
        ADD, {"name": "Shop", "scope": "write", "expires_at_0": "", "expires_at_1": ""}
    )

    assert response.status_code == 302
    token = ApiToken.objects.get()
    (shown,) = [text for text in messages_of(response) if KEY.search(text)]
    key = KEY.search(shown).group()  # type: ignore[union-attr]
    assert shown == (
        f"The key of “Shop” is {key} — copy it now: it is not shown again, only "
        "its hash is kept."
    )
    assert (token.user, token.name, token.scope, token.key_hash) == (
        support,
        "Shop",
        "write",
        services.hash_key(key),
    )
    following = client.get(response["Location"]).content.decode()
    assert key in following  # the message, once
    assert key not in client.get(LIST).content.decode()


def test_a_superuser_makes_a_token_for_someone_else(client, boss, support, settings):
    client.force_login(boss)

    response = client.post(
        ADD,
        {
            "user": support.pk,
            "name": "Warehouse",
            "scope": "read",
            "expires_at_0": "2027-06-01",
            "expires_at_1": "00:00:00",
        },
    )

    assert response.status_code == 302
    token = ApiToken.objects.get()
    assert (token.user, token.scope, token.expires_at) == (
        support,
        "read",
        # The form's time is local, in the site's zone.
        datetime(2027, 6, 1, tzinfo=ZoneInfo(settings.TIME_ZONE)),
    )


def test_staff_make_tokens_for_themselves_only(client, support, manager):
    client.force_login(support)

    client.post(ADD, {"user": manager.pk, "name": "Sneaky", "scope": "write"})

    assert list(ApiToken.objects.values_list("user", flat=True)) == [support.pk]


def test_the_revoke_action_revokes_the_chosen_tokens(client, support):
    chosen = ApiTokenFactory.create(user=support)
    kept = ApiTokenFactory.create(user=support)
    client.force_login(support)

    response = client.post(
        LIST, {"action": "revoke", "_selected_action": [chosen.pk]}, follow=True
    )

    assert "1 token revoked." in messages_of(response)
    chosen.refresh_from_db()
    kept.refresh_from_db()
    assert (chosen.revoked_at, kept.revoked_at) == (NOW, None)
    refused = APIClient()
    refused.credentials(HTTP_AUTHORIZATION=f"Bearer {chosen.key}")
    assert refused.get("/api/v1/customers/").status_code == 401


def test_the_revoke_action_reaches_only_the_users_own_tokens(client, support):
    other = ApiTokenFactory.create()
    client.force_login(support)

    client.post(LIST, {"action": "revoke", "_selected_action": [other.pk]})

    other.refresh_from_db()
    assert other.revoked_at is None


def test_nobody_deletes_a_token(client, boss):
    token = ApiTokenFactory.create()
    client.force_login(boss)

    response = client.post(
        reverse("admin:tokens_apitoken_delete", args=[token.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_the_admin_refuses_a_token_that_has_already_expired(client, support):
    client.force_login(support)

    response = client.post(
        "/admin/tokens/apitoken/add/",
        {
            "name": "late",
            "scope": "read",
            "expires_at_0": "2000-01-01",
            "expires_at_1": "00:00:00",
        },
    )

    assert response.status_code == 200
    assert "The expiry must be in the future." in response.content.decode()
    assert not ApiToken.objects.filter(name="late").exists()
