from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def create_api_token(username: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("create_api_token", username, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_the_key_alone_is_printed():
    user = UserFactory.create(username="sync-bot")

    stdout, stderr = create_api_token("sync-bot")

    assert stdout == f"{Token.objects.get(user=user).key}\n"
    assert stderr == ""


def test_the_same_key_is_printed_every_time():
    UserFactory.create(username="sync-bot")

    first, _ = create_api_token("sync-bot")
    second, _ = create_api_token("sync-bot")

    assert first == second
    assert Token.objects.count() == 1


def test_each_user_has_a_key_of_their_own():
    UserFactory.create(username="sync-bot")
    UserFactory.create(username="report-bot")

    sync, _ = create_api_token("sync-bot")
    report, _ = create_api_token("report-bot")

    assert sync != report
    assert len(sync.strip()) == 40


def test_an_unknown_user_is_an_error():
    with pytest.raises(CommandError) as error:
        create_api_token("nobody")

    assert str(error.value) == 'There is no user named "nobody".'
    assert not Token.objects.exists()


def test_the_printed_key_signs_in_to_the_api(support):
    stdout, _ = create_api_token(support.username)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {stdout.strip()}")

    response = client.get("/api/v1/customers/")

    assert response.status_code == 200
