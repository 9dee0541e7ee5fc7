"""What the surveys API's lists and pages share: a constant number of queries,
cursor pages, no token in any response, the browsable pages and the schema."""

import json

import pytest
from rest_framework.test import APIClient

from surveys import tokens
from tests.api import bearer
from tests.factories import (
    InvitationFactory,
    SurveyFactory,
    SurveyResponseFactory,
    TouchpointFactory,
)
from tests.surveys.api_helpers import (
    INVITATIONS,
    NOW,
    RESPONSES,
    SURVEYS,
    send_url,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def make_row(url: str) -> None:
    if url == SURVEYS:
        survey = SurveyFactory.create()
        survey.touchpoints.set(TouchpointFactory.create_batch(2))
    elif url == INVITATIONS:
        InvitationFactory.create()
    else:
        SurveyResponseFactory.create()


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # The key with its user, the user's permissions, those of their
        # groups, the page; for surveys, their touchpoints in one more; for
        # answers, the access log's one entry (lib/access_log.py).
        (SURVEYS, 5),
        (INVITATIONS, 4),
        (RESPONSES, 5),
    ],
)
def test_a_list_runs_the_same_queries_for_one_row_as_for_five(
    manager, url, queries, django_assert_num_queries
):
    client = bearer(manager)
    make_row(url)
    with django_assert_num_queries(queries):
        one = client.get(url)
    for _ in range(4):
        make_row(url)
    with django_assert_num_queries(queries):
        five = client.get(url)

    assert (len(one.json()["results"]), len(five.json()["results"])) == (1, 5)


def test_lists_are_cursor_paginated_by_id(support):
    invitations = InvitationFactory.create_batch(3)
    client = bearer(support)

    first = client.get(INVITATIONS, {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert [row["id"] for row in first["results"]] == [i.id for i in invitations[:2]]
    assert [row["id"] for row in second["results"]] == [invitations[2].id]
    assert second["next"] is None


def test_no_response_ever_shows_a_token_or_what_makes_one(
    manager, django_capture_on_commit_callbacks
):
    answer = SurveyResponseFactory.create()
    invitation = answer.invitation
    secrets_ = [
        invitation.nonce,
        invitation.token_hash,
        tokens.token_for(invitation.nonce),
        "nonce",
        "token_hash",
    ]
    client = bearer(manager)
    with django_capture_on_commit_callbacks():
        bodies = [
            client.get(INVITATIONS),
            client.get(f"{INVITATIONS}{invitation.id}/"),
            client.get(INVITATIONS, {"customer": invitation.customer_id}),
            client.get(RESPONSES),
            client.get(f"{RESPONSES}{answer.id}/"),
            client.get(SURVEYS),
            client.get(f"{SURVEYS}{invitation.survey_id}/"),
            client.post(
                send_url(invitation.survey),
                {"customers": [invitation.customer_id]},
                format="json",
            ),
            client.get(INVITATIONS, HTTP_ACCEPT="text/html"),
        ]

    assert [body.status_code for body in bodies] == [200] * 7 + [202, 200]
    for body in bodies:
        text = body.content.decode()
        assert not [secret for secret in secrets_ if secret in text]


def test_the_browsable_api_renders_the_survey_pages(manager):
    survey = SurveyFactory.create()
    survey.touchpoints.set([TouchpointFactory.create()])
    client = APIClient()
    client.force_login(manager)

    pages = [
        client.get(SURVEYS, HTTP_ACCEPT="text/html"),
        client.get(f"{SURVEYS}{survey.id}/", HTTP_ACCEPT="text/html"),
        client.get(send_url(survey), HTTP_ACCEPT="text/html"),
    ]

    assert [page.status_code for page in pages] == [200, 200, 405]


def test_the_schema_documents_the_surveys_api_without_tokens():
    response = APIClient().get("/api/v1/schema/", {"format": "json"})

    schema = json.loads(response.content)
    paths = schema["paths"]
    assert {
        "/api/v1/surveys/",
        "/api/v1/surveys/{id}/",
        "/api/v1/surveys/{id}/send/",
        "/api/v1/invitations/",
        "/api/v1/invitations/{id}/",
        "/api/v1/responses/",
        "/api/v1/responses/{id}/",
    } <= set(paths)
    assert set(paths["/api/v1/invitations/"]) == {"get"}
    assert "202" in paths["/api/v1/surveys/{id}/send/"]["post"]["responses"]
    invitation_fields = set(schema["components"]["schemas"]["Invitation"]["properties"])
    assert not invitation_fields & {"nonce", "token_hash"}
    parameters = {
        parameter["name"]
        for parameter in paths["/api/v1/responses/"]["get"]["parameters"]
    }
    assert parameters == {
        "answered_from",
        "answered_to",
        "band",
        "cursor",
        "customer",
        "kind",
        "ordering",
        "page_size",
        "search",
        "survey",
        "updated_since",
        # The comment's reading (text/api.py registers the responses).
        "comment_language",
        "needs_review",
        "sentiment",
        "theme",
    }
