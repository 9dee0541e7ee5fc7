"""/api/v1/surveys/{id}/send/: a manager sends a survey by hand, to listed
customers or to those a filter selects; a refused send queues nothing."""

import pytest
from django.contrib.auth.models import Permission

from surveys import serializers as survey_serializers
from surveys import tasks
from surveys.models import Invitation
from tests.api import bearer
from tests.factories import (
    CompanyFactory,
    CustomerFactory,
    SurveyFactory,
    UserFactory,
)
from tests.surveys.api_helpers import NOW, SURVEYS, send_url

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def test_a_manager_sends_a_survey_to_listed_customers(
    manager, django_capture_on_commit_callbacks
):
    survey = SurveyFactory.create(trigger="manual")
    ann, bob = CustomerFactory.create_batch(2)

    with django_capture_on_commit_callbacks() as callbacks:
        response = bearer(manager).post(
            send_url(survey), {"customers": [bob.id, ann.id, bob.id]}, format="json"
        )

    assert response.status_code == 202
    assert response.json() == {"survey": survey.id, "customers": 2, "status": "queued"}
    assert len(callbacks) == 1
    (enqueue,) = callbacks
    assert enqueue.func == tasks.send_manually_task.delay
    assert enqueue.args == (survey.id, [bob.id, ann.id])
    assert not Invitation.objects.exists()

    tasks.send_manually_task(*enqueue.args)

    invitations = Invitation.objects.filter(survey=survey).order_by("customer_id")
    assert [(i.customer_id, i.status, i.scheduled_for) for i in invitations] == [
        (ann.id, "scheduled", NOW),
        (bob.id, "scheduled", NOW),
    ]


def test_a_send_goes_through_the_eligibility_rules(
    manager, django_capture_on_commit_callbacks
):
    survey = SurveyFactory.create(trigger="manual")
    reachable = CustomerFactory.create()
    silent = CustomerFactory.create(email="")

    with django_capture_on_commit_callbacks() as callbacks:
        response = bearer(manager).post(
            send_url(survey),
            {"customers": [reachable.id, silent.id]},
            format="json",
        )
    tasks.send_manually_task(*callbacks[0].args)

    assert response.status_code == 202
    assert dict(Invitation.objects.values_list("customer_id", "suppressed_reason")) == {
        reachable.id: "",
        silent.id: "no_email",
    }


@pytest.mark.parametrize(
    ("criteria", "wanted"),
    [
        ({"segment": "enterprise"}, ["ann", "bob"]),
        ({"company": "acme"}, ["ann", "cy"]),
        ({"stage": "advocacy"}, ["bob"]),
        ({"tag": "vip"}, ["ann", "cy"]),
        ({"tag": "贵宾"}, ["dee"]),
        ({"language": "zh-hans"}, ["dee"]),
        ({"segment": "enterprise", "tag": "vip"}, ["ann"]),
        ({"company": "acme", "stage": "usage", "language": "en"}, ["ann", "cy"]),
    ],
)
def test_a_manager_sends_a_survey_to_the_customers_a_filter_selects(
    manager, django_capture_on_commit_callbacks, criteria, wanted
):
    acme = CompanyFactory.create()
    people = {
        "ann": CustomerFactory.create(
            segment="enterprise", company=acme, tags=["vip", "beta"]
        ),
        "bob": CustomerFactory.create(segment="enterprise", stage="advocacy"),
        "cy": CustomerFactory.create(company=acme, tags=["vip"]),
        "dee": CustomerFactory.create(language="zh-hans", tags=["贵宾", "vipx"]),
        "eve": CustomerFactory.create(tags=["VIP", "a vip"]),
    }
    if "company" in criteria:
        criteria = {**criteria, "company": acme.id}
    survey = SurveyFactory.create(trigger="manual")

    with django_capture_on_commit_callbacks() as callbacks:
        response = bearer(manager).post(
            send_url(survey), {"filter": criteria}, format="json"
        )

    wanted_ids = [people[name].id for name in wanted]
    assert response.status_code == 202
    assert response.json() == {
        "survey": survey.id,
        "customers": len(wanted_ids),
        "status": "queued",
    }
    assert [callback.args for callback in callbacks] == [(survey.id, wanted_ids)]


def test_a_filter_may_select_at_most_the_limit(
    manager, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(survey_serializers, "MAX_FILTERED_CUSTOMERS", 2)
    CustomerFactory.create_batch(3, segment="smb")
    survey = SurveyFactory.create()

    with django_capture_on_commit_callbacks() as callbacks:
        response = bearer(manager).post(
            send_url(survey), {"filter": {"segment": "smb"}}, format="json"
        )

    assert response.status_code == 400
    assert response.json() == {
        "filter": ["More than 2 customers match this filter; narrow it down."]
    }
    assert callbacks == []


EITHER = {"non_field_errors": ['Give either "customers" (a list of ids) or "filter".']}


NOT_A_CHOICE = '"{}" is not a valid choice.'


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, EITHER),
        ({"customers": ["ID"], "filter": {"segment": "smb"}}, EITHER),
        (
            {"customers": []},
            {"customers": ["Ensure this field has at least 1 elements."]},
        ),
        (
            {"customers": list(range(1, 10_002))},
            {"customers": ["Ensure this field has no more than 10000 elements."]},
        ),
        (
            {"customers": "all"},
            {"customers": ['Expected a list of items but got type "str".']},
        ),
        (
            {"customers": ["abc"]},
            {"customers": {"0": ["A valid integer is required."]}},
        ),
        (
            {"customers": [0]},
            {"customers": {"0": ["Ensure this value is greater than or equal to 1."]}},
        ),
        ({"customers": [999999999]}, {"customers": ["Unknown ids: 999999999."]}),
        (
            {"filter": {}},
            {
                "filter": {
                    "non_field_errors": [
                        "Give at least one of: segment, company, stage, tag, language."
                    ]
                }
            },
        ),
        (
            {"filter": "vip"},
            {
                "filter": {
                    "non_field_errors": [
                        "Invalid data. Expected a dictionary, but got str."
                    ]
                }
            },
        ),
        ({"filter": {"colour": "red"}}, {"filter": {"colour": ["Unknown field."]}}),
        (
            {"filter": {"stage": "bliss"}},
            {"filter": {"stage": [NOT_A_CHOICE.format("bliss")]}},
        ),
        (
            {"filter": {"language": "fr"}},
            {"filter": {"language": [NOT_A_CHOICE.format("fr")]}},
        ),
        (
            {"filter": {"company": 999999999}},
            {
                "filter": {
                    "company": ['Invalid pk "999999999" - object does not exist.']
                }
            },
        ),
        (
            {"filter": {"company": "acme"}},
            {"filter": {"company": ["A valid integer is required."]}},
        ),
        (
            {"filter": {"tag": "v\x00ip"}},
            {"filter": {"tag": ["Null characters are not allowed."]}},
        ),
        (
            {"filter": {"segment": "nobody"}},
            {"filter": ["No customer matches this filter."]},
        ),
        ({"customers": [1], "everyone": True}, {"everyone": ["Unknown field."]}),
    ],
)
def test_an_invalid_send_is_refused_and_queues_nothing(
    manager, django_capture_on_commit_callbacks, body, errors
):
    customer = CustomerFactory.create(segment="smb")
    if body.get("customers") == ["ID"]:
        body = {**body, "customers": [customer.id]}
    survey = SurveyFactory.create()

    with django_capture_on_commit_callbacks() as callbacks:
        response = bearer(manager).post(send_url(survey), body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert callbacks == []


def test_the_unknown_customers_of_a_send_are_named(
    manager, django_capture_on_commit_callbacks
):
    customer = CustomerFactory.create()
    survey = SurveyFactory.create()

    with django_capture_on_commit_callbacks() as callbacks:
        response = bearer(manager).post(
            send_url(survey),
            {"customers": [999999997, customer.id, 999999999]},
            format="json",
        )

    assert response.status_code == 400
    assert response.json() == {"customers": ["Unknown ids: 999999997, 999999999."]}
    assert callbacks == []


def test_an_inactive_survey_is_not_sent(manager, django_capture_on_commit_callbacks):
    survey = SurveyFactory.create(is_active=False)
    customer = CustomerFactory.create()

    with django_capture_on_commit_callbacks() as callbacks:
        response = bearer(manager).post(
            send_url(survey), {"customers": [customer.id]}, format="json"
        )

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["This survey is inactive: activate it before sending."]
    }
    assert callbacks == []


def test_an_unknown_survey_is_a_404(manager):
    customer = CustomerFactory.create()

    response = bearer(manager).post(
        f"{SURVEYS}999999999/send/", {"customers": [customer.id]}, format="json"
    )

    assert response.status_code == 404


@pytest.mark.parametrize("role", ["support", "outsider"])
def test_only_managers_may_send(request, role, django_capture_on_commit_callbacks):
    user = request.getfixturevalue(role)
    survey = SurveyFactory.create()
    customer = CustomerFactory.create()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = bearer(user).post(
            send_url(survey), {"customers": [customer.id]}, format="json"
        )

    assert response.status_code == 403
    assert response.json() == {
        "detail": "You do not have permission to perform this action."
    }
    assert callbacks == []
    assert not Invitation.objects.exists()


def test_the_right_to_add_invitations_is_the_right_to_send(
    django_capture_on_commit_callbacks,
):
    """Not the right to edit surveys: an editor without it may not send."""
    sender = UserFactory.create(is_staff=True)
    sender.user_permissions.add(Permission.objects.get(codename="add_invitation"))
    editor = UserFactory.create(is_staff=True)
    editor.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_survey", "add_survey", "change_survey"]
        )
    )
    survey = SurveyFactory.create()
    customer = CustomerFactory.create()
    body = {"customers": [customer.id]}

    with django_capture_on_commit_callbacks() as callbacks:
        allowed = bearer(sender).post(send_url(survey), body, format="json")
        refused = bearer(editor).post(send_url(survey), body, format="json")

    assert (allowed.status_code, refused.status_code) == (202, 403)
    assert len(callbacks) == 1
