"""The Content-Security-Policy and Permissions-Policy headers of every page
(the browser tests in tests/e2e prove that the pages work under them)."""

import re

import pytest
from django.test import Client

from surveys import tokens
from tests.factories import InvitationFactory


def policy(response) -> dict[str, list[str]]:
    directives = [
        part.split() for part in response["Content-Security-Policy"].split(";")
    ]
    return {name: values for name, *values in directives if name}


@pytest.mark.parametrize(
    "path", ["/admin/login/", "/dashboard/", "/api/v1/docs/", "/healthz"]
)
def test_every_response_has_the_policy(client, manager, path):
    client.force_login(manager)

    response = client.get(path)

    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_the_survey_pages_script_runs_by_its_nonce_alone(db):
    invitation = InvitationFactory.create(status="sent")

    link = f"/s/{tokens.token_for(invitation.nonce)}/?score=9"

    response = Client().get(link)

    assert response.status_code == 200
    [nonce] = re.findall(r"<script nonce=\"([^\"]+)\">", response.text)
    assert f"'nonce-{nonce}'" in policy(response)["script-src"]
    assert response.text.count("<script") == 1
    # A new nonce for every response.
    again = Client().get(link)
    assert f"'nonce-{nonce}'" not in policy(again)["script-src"]


def test_a_page_without_inline_script_gets_no_nonce(client):
    response = client.get("/admin/login/")

    assert "nonce-" not in response["Content-Security-Policy"]
