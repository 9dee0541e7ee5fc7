from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tokens.models import ApiToken
from tokens.services import hash_key

NOW = datetime(2027, 5, 4, 9, 30, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def create_api_token(username: str, *options: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("create_api_token", username, *options, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_the_key_alone_is_printed_and_only_its_hash_is_kept():
    user = UserFactory.create(username="sync-bot")

    stdout, stderr = create_api_token("sync-bot")

    key = stdout.removesuffix("\n")
    assert stdout == f"{key}\n"
    assert stderr == ""
    assert key.startswith("tl_")
    assert len(key) == 43
    token = ApiToken.objects.get()
    assert (token.user, token.key_hash, token.prefix) == (user, hash_key(key), key[:8])
    assert not ApiToken.objects.filter(key_hash=key).exists()


def test_the_defaults_are_a_write_token_that_never_expires():
    UserFactory.create(username="sync-bot")

    create_api_token("sync-bot")

    token = ApiToken.objects.get()
    assert (token.name, token.scope, token.created_at, token.expires_at) == (
        "manage.py create_api_token",
        "write",
        NOW,
        None,
    )


def test_name_scope_and_expiry_are_options():
    UserFactory.create(username="report-bot")

    create_api_token(
        "report-bot",
        "--name",
        "Warehouse export",
        "--scope",
        "read",
        "--expires-in-days",
        "30",
    )

    token = ApiToken.objects.get()
    assert (token.name, token.scope, token.expires_at) == (
        "Warehouse export",
        "read",
        NOW + timedelta(days=30),
    )


def test_each_run_creates_a_new_token_with_a_new_key():
    UserFactory.create(username="sync-bot")

    first, _ = create_api_token("sync-bot")
    second, _ = create_api_token("sync-bot")

    assert first != second
    assert ApiToken.objects.count() == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--scope", "admin"],
            "Error: argument --scope: invalid choice: 'admin' "
            "(choose from 'read', 'write')",
        ),
        (
            ["--expires-in-days", "0"],
            "Error: argument --expires-in-days: invalid positive value: '0'",
        ),
        (["--name", "  "], "The name must have 1 to 100 characters."),
        (["--name", "x" * 101], "The name must have 1 to 100 characters."),
    ],
)
def test_a_bad_option_is_an_error_and_creates_nothing(options, message):
    UserFactory.create(username="sync-bot")

    with pytest.raises(CommandError) as error:
        create_api_token("sync-bot", *options)

    assert str(error.value) == message
    assert not ApiToken.objects.exists()


def test_an_unknown_user_is_an_error():
    with pytest.raises(CommandError) as error:
        create_api_token("nobody")

    assert str(error.value) == 'There is no user named "nobody".'
    assert not ApiToken.objects.exists()


def test_an_inactive_user_gets_no_token():
    UserFactory.create(username="gone-bot", is_active=False)

    with pytest.raises(CommandError) as error:
        create_api_token("gone-bot")

    assert str(error.value) == 'The user "gone-bot" is inactive.'
    assert not ApiToken.objects.exists()


def test_the_printed_key_signs_in_to_the_api(support):
    stdout, _ = create_api_token(support.username)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {stdout.strip()}")

    response = client.get("/api/v1/customers/")

    assert response.status_code == 200


def test_a_read_token_from_the_command_may_only_read(support):
    stdout, _ = create_api_token(support.username, "--scope", "read")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {stdout.strip()}")

    response = client.post("/api/v1/companies/", {"name": "Acme"}, format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": "This token may only read."}
