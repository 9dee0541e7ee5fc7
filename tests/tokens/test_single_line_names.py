"""A token's name is one line (lib.validation.single_line): it is listed in
the admin and the API and printed in the message that shows a new key. The
API, the admin and create_api_token refuse a control character naming the
field, and migration 0005 cleans the names saved before."""

import importlib

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.api import session
from tests.factories import ApiTokenFactory
from tokens.models import ApiToken

pytestmark = pytest.mark.django_db

MESSAGE = "Use one line without control characters (line breaks, tabs…)."
FORGED = "Shop\r\nThe key of “Admin” is tl_forged"


def test_the_api_refuses_a_token_named_over_two_lines(support):
    response = session(support).post(
        "/api/v1/tokens/", {"name": FORGED, "scope": "read"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"name": [MESSAGE]}
    assert not ApiToken.objects.exists()


def test_the_admin_refuses_a_token_named_over_two_lines(client, support):
    client.force_login(support)

    response = client.post(
        reverse("admin:tokens_apitoken_add"),
        {"name": FORGED, "scope": "write", "expires_at_0": "", "expires_at_1": ""},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"name": [MESSAGE]}
    assert not ApiToken.objects.exists()


def test_the_migration_turns_the_names_saved_before_into_one_line(support):
    forged = ApiTokenFactory.create(user=support)
    plain = ApiTokenFactory.create(user=support, name="Helpdesk")
    ApiToken.objects.filter(pk=forged.pk).update(name="Shop\r\n\tsync")

    importlib.import_module(
        "tokens.migrations.0005_single_line_fields"
    ).clean_existing_rows(apps, None)

    assert dict(ApiToken.objects.values_list("pk", "name")) == {
        forged.pk: "Shop sync",
        plain.pk: "Helpdesk",
    }


def test_the_command_refuses_a_token_named_over_two_lines(support):
    with pytest.raises(CommandError, match="Use one line"):
        call_command("create_api_token", support.username, "--name", FORGED)

    assert not ApiToken.objects.filter(user=support).exists()
