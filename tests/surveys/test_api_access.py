"""Who may use the surveys API: anonymous clients, users without a role,
support (reads) and managers (write)."""

import pytest
from rest_framework.test import APIClient

from surveys.models import Survey
from tests.api import bearer, ids
from tests.factories import (
    CustomerFactory,
    SurveyFactory,
    SurveyResponseFactory,
)
from tests.surveys.api_helpers import (
    INVITATIONS,
    LISTS,
    NOW,
    RESPONSES,
    SURVEYS,
    send_url,
    survey_state,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


@pytest.mark.parametrize("url", LISTS)
def test_anonymous_requests_are_refused(url):
    response = APIClient().get(url)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_an_anonymous_send_is_refused_and_queues_nothing(
    django_capture_on_commit_callbacks,
):
    survey = SurveyFactory.create()
    customer = CustomerFactory.create()

    with django_capture_on_commit_callbacks() as callbacks:
        response = APIClient().post(
            send_url(survey), {"customers": [customer.id]}, format="json"
        )

    assert response.status_code == 401
    assert callbacks == []


@pytest.mark.parametrize("url", LISTS)
def test_a_user_without_a_role_sees_nothing(outsider, url):
    SurveyResponseFactory.create()

    response = bearer(outsider).get(url)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "You do not have permission to perform this action."
    }


def test_a_user_without_a_role_may_not_read_one_row(outsider):
    answer = SurveyResponseFactory.create()
    client = bearer(outsider)

    urls = [
        f"{SURVEYS}{answer.survey_id}/",
        f"{INVITATIONS}{answer.invitation_id}/",
        f"{RESPONSES}{answer.id}/",
    ]

    assert [client.get(url).status_code for url in urls] == [403, 403, 403]


@pytest.mark.parametrize("url", LISTS)
def test_support_may_read_every_list(support, url):
    answer = SurveyResponseFactory.create()
    expected = {
        SURVEYS: answer.survey_id,
        INVITATIONS: answer.invitation_id,
        RESPONSES: answer.id,
    }[url]

    response = bearer(support).get(url)

    assert response.status_code == 200
    assert ids(response) == [expected]


def test_support_may_not_create_a_survey(support):
    response = bearer(support).post(
        SURVEYS, {"name": "NPS", "kind": "nps"}, format="json"
    )

    assert response.status_code == 403
    assert not Survey.objects.exists()


def test_support_may_not_change_a_survey(support):
    survey = SurveyFactory.create(name="NPS")
    before = survey_state(survey)
    client = bearer(support)

    patched = client.patch(f"{SURVEYS}{survey.id}/", {"name": "X"}, format="json")
    put = client.put(
        f"{SURVEYS}{survey.id}/", {"name": "X", "kind": "csat"}, format="json"
    )

    assert (patched.status_code, put.status_code) == (403, 403)
    assert survey_state(survey) == before


def test_support_may_not_delete_a_survey(support):
    survey = SurveyFactory.create()

    response = bearer(support).delete(f"{SURVEYS}{survey.id}/")

    assert response.status_code == 403
    assert Survey.objects.filter(id=survey.id).exists()


def test_an_outsider_may_not_create_a_survey(outsider):
    response = bearer(outsider).post(
        SURVEYS, {"name": "NPS", "kind": "nps"}, format="json"
    )

    assert response.status_code == 403
    assert not Survey.objects.exists()
