"""Clients of the API as the tests use them (the role fixtures in
tests/conftest.py build on these)."""

from typing import Any

from rest_framework.test import APIClient

from tests.factories import ApiTokenFactory


def bearer(user: Any) -> APIClient:
    """A client that signs in the way external tools do: with a Bearer key of
    the user's own; for None, a client that signs in as nobody."""
    client = APIClient()
    if user is not None:
        key = ApiTokenFactory.create(user=user).key
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def ids(response: Any) -> list[int]:
    """The ids of a list page, in its order."""
    return [row["id"] for row in response.json()["results"]]


def session(user: Any) -> APIClient:
    """A client signed in as the browser is: with the user's session."""
    client = APIClient()
    client.force_login(user)
    return client


def authenticated(user: Any, **defaults: Any) -> APIClient:
    """A client whose requests are the user's, with no key or session at all
    (DRF's force_authenticate): for tests of what comes after sign-in."""
    client = APIClient(**defaults)
    client.force_authenticate(user)
    return client
