import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from customers.models import Channel
from surveys import serializers as survey_serializers
from surveys import tasks, tokens
from surveys.models import Invitation, Survey
from tests.factories import (
    ApiTokenFactory,
    CompanyFactory,
    CustomerFactory,
    InteractionFactory,
    InvitationFactory,
    SurveyFactory,
    SurveyResponseFactory,
    TouchpointFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 1, 31, 8, 0, tzinfo=UTC)
NOW_TEXT = "2025-01-31T08:00:00Z"
SURVEYS = "/api/v1/surveys/"
INVITATIONS = "/api/v1/invitations/"
RESPONSES = "/api/v1/responses/"
LISTS = [SURVEYS, INVITATIONS, RESPONSES]
UNKNOWN_CHOICE = (
    "Select a valid choice. That choice is not one of the available choices."
)


@pytest.fixture(autouse=True)
def frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


def bearer(user) -> APIClient:
    client = APIClient()
    key = ApiTokenFactory.create(user=user).key
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def send_url(survey: Survey) -> str:
    return f"{SURVEYS}{survey.id}/send/"


def survey_state(survey: Survey) -> tuple:
    survey.refresh_from_db()
    return (
        survey.name,
        survey.kind,
        survey.trigger,
        survey.recurrence_days,
        survey.is_active,
        sorted(survey.touchpoints.values_list("id", flat=True)),
    )


# Authentication and roles


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


# Surveys


def test_a_survey_is_read_with_every_field(support):
    first, second = TouchpointFactory.create_batch(2)
    survey = SurveyFactory.create(
        name="After support calls",
        kind="csat",
        question_en="How did we do?",
        question_zh_hans="我们做得怎么样？",
        trigger="interaction",
        channels=["phone", "chat"],
        delay_minutes=30,
        recurrence_days=None,
        throttle_days=14,
        reminder_delay_days=2,
        max_reminders=2,
        expires_after_days=10,
        edit_window_hours=48,
        is_active=False,
    )
    survey.touchpoints.set([second, first])

    response = bearer(support).get(f"{SURVEYS}{survey.id}/")

    assert response.status_code == 200
    body = response.json()
    body["touchpoints"].sort()
    assert body == {
        "id": survey.id,
        "name": "After support calls",
        "kind": "csat",
        "question_en": "How did we do?",
        "question_zh_hans": "我们做得怎么样？",
        "trigger": "interaction",
        "channels": ["phone", "chat"],
        "touchpoints": sorted([first.id, second.id]),
        "delay_minutes": 30,
        "recurrence_days": None,
        "throttle_days": 14,
        "reminder_delay_days": 2,
        "max_reminders": 2,
        "expires_after_days": 10,
        "edit_window_hours": 48,
        "case_at_most": None,
        "is_active": False,
        "created_at": NOW_TEXT,
        "updated_at": NOW_TEXT,
    }


def test_a_manager_creates_a_survey(manager):
    touchpoint = TouchpointFactory.create()

    response = bearer(manager).post(
        SURVEYS,
        {
            "name": "Relationship NPS",
            "kind": "nps",
            "question_en": "Would you recommend us?",
            "trigger": "recurring",
            "channels": ["email"],
            "touchpoints": [touchpoint.id],
            "delay_minutes": 0,
            "recurrence_days": 90,
            "throttle_days": 60,
            "reminder_delay_days": 4,
            "max_reminders": 0,
            "expires_after_days": 14,
            "edit_window_hours": 1,
            "is_active": True,
        },
        format="json",
    )

    assert response.status_code == 201
    survey = Survey.objects.get()
    assert response.json() == {
        "id": survey.id,
        "name": "Relationship NPS",
        "kind": "nps",
        "question_en": "Would you recommend us?",
        "question_zh_hans": "",
        "trigger": "recurring",
        "channels": ["email"],
        "touchpoints": [touchpoint.id],
        "delay_minutes": 0,
        "recurrence_days": 90,
        "throttle_days": 60,
        "reminder_delay_days": 4,
        "max_reminders": 0,
        "expires_after_days": 14,
        "edit_window_hours": 1,
        "case_at_most": None,
        "is_active": True,
        "created_at": NOW_TEXT,
        "updated_at": NOW_TEXT,
    }
    assert list(survey.touchpoints.all()) == [touchpoint]
    assert survey.recurrence_days == 90


def test_a_survey_created_with_a_name_and_kind_takes_the_defaults(manager):
    response = bearer(manager).post(
        SURVEYS, {"name": "CES", "kind": "ces"}, format="json"
    )

    assert response.status_code == 201
    survey = Survey.objects.get()
    assert response.json() == {
        "id": survey.id,
        "name": "CES",
        "kind": "ces",
        "question_en": "",
        "question_zh_hans": "",
        "trigger": "interaction",
        "channels": [],
        "touchpoints": [],
        "delay_minutes": 60,
        "recurrence_days": None,
        "throttle_days": 0,
        "reminder_delay_days": 3,
        "max_reminders": 1,
        "expires_after_days": 30,
        "edit_window_hours": 24,
        "case_at_most": None,
        "is_active": True,
        "created_at": NOW_TEXT,
        "updated_at": NOW_TEXT,
    }


def test_a_manager_updates_a_survey_field_by_field(manager):
    kept, dropped, added = TouchpointFactory.create_batch(3)
    survey = SurveyFactory.create(name="NPS", channels=["phone"])
    survey.touchpoints.set([kept, dropped])
    client = bearer(manager)

    renamed = client.patch(f"{SURVEYS}{survey.id}/", {"name": "NPS 2"}, format="json")
    retargeted = client.patch(
        f"{SURVEYS}{survey.id}/",
        {"touchpoints": [kept.id, added.id], "channels": [], "is_active": False},
        format="json",
    )

    assert (renamed.status_code, retargeted.status_code) == (200, 200)
    assert sorted(renamed.json()["touchpoints"]) == sorted([kept.id, dropped.id])
    assert sorted(retargeted.json()["touchpoints"]) == sorted([kept.id, added.id])
    survey.refresh_from_db()
    assert (survey.name, survey.channels, survey.is_active) == ("NPS 2", [], False)
    assert sorted(survey.touchpoints.values_list("id", flat=True)) == sorted(
        [kept.id, added.id]
    )


def test_a_manager_replaces_a_survey(manager):
    survey = SurveyFactory.create(name="NPS", kind="nps", delay_minutes=5)

    response = bearer(manager).put(
        f"{SURVEYS}{survey.id}/",
        {"name": "CSAT", "kind": "csat", "trigger": "manual"},
        format="json",
    )

    assert response.status_code == 200
    survey.refresh_from_db()
    assert (survey.name, survey.kind, survey.trigger) == ("CSAT", "csat", "manual")


@pytest.mark.parametrize(
    "changes",
    [{}, {"recurrence_days": None}, {"recurrence_days": 0}],
)
def test_a_recurring_survey_needs_a_recurrence(manager, changes):
    response = bearer(manager).post(
        SURVEYS,
        {"name": "rNPS", "kind": "nps", "trigger": "recurring", **changes},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "recurrence_days": ["A recurring survey needs a recurrence of at least 1 day."]
    }
    assert not Survey.objects.exists()


def test_a_survey_made_recurring_needs_a_recurrence(manager):
    survey = SurveyFactory.create(trigger="interaction", recurrence_days=None)
    before = survey_state(survey)

    response = bearer(manager).patch(
        f"{SURVEYS}{survey.id}/", {"trigger": "recurring"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "recurrence_days": ["A recurring survey needs a recurrence of at least 1 day."]
    }
    assert survey_state(survey) == before


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"kind": "stars"}, {"kind": ['"stars" is not a valid choice.']}),
        ({"kind": None}, {"kind": ["This field may not be null."]}),
        ({"trigger": "weekly"}, {"trigger": ['"weekly" is not a valid choice.']}),
        ({"channels": ["fax"]}, {"channels": {"0": ['"fax" is not a valid choice.']}}),
        (
            {"channels": "email"},
            {"channels": ['Expected a list of items but got type "str".']},
        ),
        ({"channels": ["email", "email"]}, {"channels": ["Name each channel once."]}),
        (
            {"channels": ["email"] * 9},
            {"channels": ["Ensure this field has no more than 8 elements."]},
        ),
        ({"touchpoints": [999999999]}, {"touchpoints": ["Unknown ids: 999999999."]}),
        (
            {"touchpoints": ["abc"]},
            {"touchpoints": {"0": ["A valid integer is required."]}},
        ),
        (
            {"touchpoints": [10**30]},
            {
                "touchpoints": {
                    "0": [
                        "Ensure this value is less than or equal to "
                        "9223372036854775807."
                    ]
                }
            },
        ),
        (
            {"delay_minutes": -1},
            {"delay_minutes": ["Ensure this value is greater than or equal to 0."]},
        ),
        (
            {"max_reminders": 1.5},
            {"max_reminders": ["A valid integer is required."]},
        ),
        (
            {"max_reminders": 11},
            {"max_reminders": ["Ensure this value is less than or equal to 10."]},
        ),
        (
            {"delay_minutes": 525_601},
            {"delay_minutes": ["Ensure this value is less than or equal to 525600."]},
        ),
        (
            {"throttle_days": 10**9, "expires_after_days": 3651},
            {
                "throttle_days": ["Ensure this value is less than or equal to 3650."],
                "expires_after_days": [
                    "Ensure this value is less than or equal to 3650."
                ],
            },
        ),
        (
            {"name": "x" * 201},
            {"name": ["Ensure this field has no more than 200 characters."]},
        ),
        (
            {"question_en": "a\x00"},
            {"question_en": ["Null characters are not allowed."]},
        ),
        ({"nickname": "x"}, {"nickname": ["Unknown field."]}),
    ],
)
def test_an_invalid_survey_is_refused(manager, changes, errors):
    response = bearer(manager).post(
        SURVEYS, {"name": "NPS", "kind": "nps", **changes}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == errors
    assert not Survey.objects.exists()


def test_the_largest_values_are_accepted(manager):
    largest = {
        "delay_minutes": 525_600,
        "recurrence_days": 3650,
        "throttle_days": 3650,
        "reminder_delay_days": 365,
        "max_reminders": 10,
        "expires_after_days": 3650,
        "edit_window_hours": 8760,
    }

    response = bearer(manager).post(
        SURVEYS,
        {"name": "rNPS", "kind": "nps", "trigger": "recurring", **largest},
        format="json",
    )

    assert response.status_code == 201
    assert Survey.objects.values(*largest).get() == largest


def test_unknown_touchpoints_are_named(manager):
    touchpoint = TouchpointFactory.create()

    response = bearer(manager).post(
        SURVEYS,
        {
            "name": "NPS",
            "kind": "nps",
            "touchpoints": [999999998, touchpoint.id, 999999999],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"touchpoints": ["Unknown ids: 999999998, 999999999."]}


def test_the_kind_of_a_survey_with_invitations_does_not_change(manager):
    invitation = InvitationFactory.create(survey__kind="nps")
    survey = invitation.survey
    before = survey_state(survey)

    response = bearer(manager).patch(
        f"{SURVEYS}{survey.id}/", {"kind": "csat", "name": "X"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "kind": [
            "This survey has invitations: its kind cannot change. "
            "Create a new survey instead."
        ]
    }
    assert survey_state(survey) == before


def test_a_survey_without_invitations_is_deleted(manager):
    survey = SurveyFactory.create()
    survey.touchpoints.set([TouchpointFactory.create()])

    response = bearer(manager).delete(f"{SURVEYS}{survey.id}/")

    assert response.status_code == 204
    assert not Survey.objects.exists()
    assert not Survey.touchpoints.through.objects.exists()


def test_a_survey_with_invitations_is_not_deleted(manager):
    invitation = InvitationFactory.create()
    survey = invitation.survey

    response = bearer(manager).delete(f"{SURVEYS}{survey.id}/")

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "This survey has invitations and cannot be deleted; deactivate it "
            "instead (set is_active to false)."
        ]
    }
    survey.refresh_from_db()
    assert survey.is_active is True
    assert Invitation.objects.filter(id=invitation.id).exists()


def test_a_survey_with_only_suppressed_invitations_is_not_deleted_either(manager):
    invitation = InvitationFactory.create(
        status="suppressed", suppressed_reason="no_email", sent_at=None
    )

    response = bearer(manager).delete(f"{SURVEYS}{invitation.survey_id}/")

    assert response.status_code == 400
    assert Survey.objects.filter(id=invitation.survey_id).exists()


def test_surveys_are_filtered_by_kind_trigger_and_activity(support):
    wanted = SurveyFactory.create(kind="csat", trigger="manual", is_active=True)
    SurveyFactory.create(kind="csat", trigger="manual", is_active=False)
    SurveyFactory.create(kind="csat", trigger="interaction", is_active=True)
    SurveyFactory.create(kind="nps", trigger="manual", is_active=True)

    response = bearer(support).get(
        SURVEYS, {"kind": "csat", "trigger": "manual", "is_active": "true"}
    )

    assert ids(response) == [wanted.id]


def test_surveys_are_filtered_by_update_time(support, time_machine):
    SurveyFactory.create()
    time_machine.move_to(NOW + timedelta(hours=1), tick=False)
    recent = SurveyFactory.create()

    response = bearer(support).get(SURVEYS, {"updated_since": "2025-01-31T08:30:00Z"})

    assert ids(response) == [recent.id]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            {"kind": "stars"},
            {
                "kind": [
                    "Select a valid choice. stars is not one of the available choices."
                ]
            },
        ),
        (
            {"trigger": "weekly"},
            {
                "trigger": [
                    "Select a valid choice. weekly is not one of the available choices."
                ]
            },
        ),
        ({"is_active": "yes"}, {"is_active": ['Enter "true" or "false".']}),
        ({"updated_since": "soon"}, {"updated_since": ["Enter a valid date/time."]}),
    ],
)
def test_an_invalid_survey_filter_is_a_400(support, query, errors):
    response = bearer(support).get(SURVEYS, query)

    assert response.status_code == 400
    assert response.json() == errors


# Sending by hand


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


# Invitations


def test_an_invitation_is_read_with_every_field(support):
    invitation = InvitationFactory.create(
        occasion="recurring:2025-02-03",
        reminders_sent=1,
        next_reminder_at=NOW + timedelta(days=3),
        expires_at=NOW + timedelta(days=30),
        opened_at=NOW,
        attempts=2,
        last_error="421 try again later",
    )

    response = bearer(support).get(f"{INVITATIONS}{invitation.id}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": invitation.id,
        "survey": invitation.survey_id,
        "customer": invitation.customer_id,
        "interaction": invitation.interaction_id,
        "status": "sent",
        "suppressed_reason": "",
        "occasion": "recurring:2025-02-03",
        "scheduled_for": NOW_TEXT,
        "sent_at": NOW_TEXT,
        "reminders_sent": 1,
        "next_reminder_at": "2025-02-03T08:00:00Z",
        "expires_at": "2025-03-02T08:00:00Z",
        "opened_at": NOW_TEXT,
        "answered_at": None,
        "attempts": 2,
        "last_error": "421 try again later",
        "created_at": NOW_TEXT,
        "updated_at": NOW_TEXT,
    }


def test_a_suppressed_invitation_says_why(support):
    invitation = InvitationFactory.create(
        status="suppressed",
        suppressed_reason="opted_out",
        scheduled_for=None,
        sent_at=None,
        interaction=None,
        customer=CustomerFactory.create(),
    )

    response = bearer(support).get(f"{INVITATIONS}{invitation.id}/")

    body = response.json()
    assert (body["status"], body["suppressed_reason"], body["interaction"]) == (
        "suppressed",
        "opted_out",
        None,
    )


def test_invitations_are_read_only(manager):
    invitation = InvitationFactory.create()
    client = bearer(manager)
    url = f"{INVITATIONS}{invitation.id}/"

    created = client.post(
        INVITATIONS,
        {"survey": invitation.survey_id, "customer": invitation.customer_id},
        format="json",
    )
    changed = client.patch(url, {"status": "cancelled"}, format="json")
    deleted = client.delete(url)

    assert [created.status_code, changed.status_code, deleted.status_code] == [
        405,
        405,
        405,
    ]
    invitation.refresh_from_db()
    assert invitation.status == "sent"
    assert Invitation.objects.count() == 1


def test_invitations_are_filtered_by_customer_survey_and_interaction(support):
    wanted = InvitationFactory.create()
    same_customer = InvitationFactory.create(
        interaction=InteractionFactory.create(customer=wanted.customer)
    )
    same_survey = InvitationFactory.create(survey=wanted.survey)
    client = bearer(support)

    by_customer = client.get(INVITATIONS, {"customer": wanted.customer_id})
    by_survey = client.get(INVITATIONS, {"survey": wanted.survey_id})
    by_interaction = client.get(
        INVITATIONS, {"interaction": str(wanted.interaction_id)}
    )
    by_all = client.get(
        INVITATIONS,
        {
            "customer": str(wanted.customer_id),
            "survey": str(wanted.survey_id),
            "interaction": str(wanted.interaction_id),
        },
    )

    assert ids(by_customer) == [wanted.id, same_customer.id]
    assert ids(by_survey) == [wanted.id, same_survey.id]
    assert ids(by_interaction) == [wanted.id]
    assert ids(by_all) == [wanted.id]


def test_invitations_are_filtered_by_status_and_reason(support):
    sent = InvitationFactory.create()
    opted_out = InvitationFactory.create(
        status="suppressed", suppressed_reason="opted_out", sent_at=None
    )
    throttled = InvitationFactory.create(
        status="suppressed", suppressed_reason="throttled", sent_at=None
    )
    client = bearer(support)

    by_status = client.get(INVITATIONS, {"status": "suppressed"})
    by_reason = client.get(INVITATIONS, {"suppressed_reason": "throttled"})
    by_sent = client.get(INVITATIONS, {"status": "sent"})

    assert ids(by_status) == [opted_out.id, throttled.id]
    assert ids(by_reason) == [throttled.id]
    assert ids(by_sent) == [sent.id]


def test_invitations_are_filtered_by_update_time(support, time_machine):
    InvitationFactory.create()
    time_machine.move_to(NOW + timedelta(minutes=5), tick=False)
    recent = InvitationFactory.create()

    response = bearer(support).get(
        INVITATIONS, {"updated_since": "2025-01-31T09:03:00+01:00"}
    )

    assert ids(response) == [recent.id]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"customer": "abc"}, {"customer": [UNKNOWN_CHOICE]}),
        ({"customer": "999999999"}, {"customer": [UNKNOWN_CHOICE]}),
        ({"customer": "1\x00"}, {"customer": ["Null characters are not allowed."]}),
        ({"survey": "99999999999999999999"}, {"survey": [UNKNOWN_CHOICE]}),
        ({"interaction": "-1"}, {"interaction": [UNKNOWN_CHOICE]}),
        (
            {"status": "lost"},
            {
                "status": [
                    "Select a valid choice. lost is not one of the available choices."
                ]
            },
        ),
        (
            {"suppressed_reason": "bored"},
            {
                "suppressed_reason": [
                    "Select a valid choice. bored is not one of the available choices."
                ]
            },
        ),
        ({"updated_since": "later"}, {"updated_since": ["Enter a valid date/time."]}),
        (
            {"updated_since": "9999-12-31T23:59:59-10:00"},
            {"updated_since": ["Enter a date/time between the years 1 and 9999."]},
        ),
    ],
)
def test_an_invalid_invitation_filter_is_a_400(support, query, errors):
    response = bearer(support).get(INVITATIONS, query)

    assert response.status_code == 400
    assert response.json() == errors


# Responses


def test_a_response_is_read_with_every_field(support):
    touchpoint = TouchpointFactory.create()
    company = CompanyFactory.create()
    answer = SurveyResponseFactory.create(
        invitation__survey__kind="csat",
        score=2,
        comment="Took three calls.",
        language="zh-hans",
        channel=Channel.CHAT,
        touchpoint=touchpoint,
        stage="purchase",
        segment="enterprise",
        company=company,
        staff=support,
        answered_at=NOW - timedelta(hours=1),
    )

    response = bearer(support).get(f"{RESPONSES}{answer.id}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": answer.id,
        "invitation": answer.invitation_id,
        "customer": answer.customer_id,
        "survey": answer.survey_id,
        "kind": "csat",
        "score": 2,
        "band": "detractor",
        "comment": "Took three calls.",
        "language": "zh-hans",
        "answered_at": "2025-01-31T07:00:00Z",
        "updated_at": NOW_TEXT,
        "channel": "chat",
        "touchpoint": touchpoint.id,
        "stage": "purchase",
        "segment": "enterprise",
        "company": company.id,
        "staff": support.id,
    }


def test_responses_are_read_only(manager):
    answer = SurveyResponseFactory.create(score=9)
    client = bearer(manager)
    url = f"{RESPONSES}{answer.id}/"

    changed = client.patch(url, {"score": 0}, format="json")
    deleted = client.delete(url)
    created = client.post(RESPONSES, {"score": 0}, format="json")

    assert [changed.status_code, deleted.status_code, created.status_code] == [
        405,
        405,
        405,
    ]
    answer.refresh_from_db()
    assert answer.score == 9


def test_responses_are_filtered_by_customer_and_survey(support):
    wanted = SurveyResponseFactory.create()
    same_customer = SurveyResponseFactory.create(
        invitation__interaction__customer=wanted.customer
    )
    same_survey = SurveyResponseFactory.create(invitation__survey=wanted.survey)
    client = bearer(support)

    by_customer = client.get(RESPONSES, {"customer": wanted.customer_id})
    by_survey = client.get(RESPONSES, {"survey": wanted.survey_id})
    by_both = client.get(
        RESPONSES, {"customer": wanted.customer_id, "survey": wanted.survey_id}
    )

    assert ids(by_customer) == [wanted.id, same_customer.id]
    assert ids(by_survey) == [wanted.id, same_survey.id]
    assert ids(by_both) == [wanted.id]


def test_responses_are_filtered_by_kind_and_band(support):
    promoter = SurveyResponseFactory.create(score=10)
    detractor = SurveyResponseFactory.create(score=3)
    csat = SurveyResponseFactory.create(invitation__survey__kind="csat", score=1)
    client = bearer(support)

    nps = client.get(RESPONSES, {"kind": "nps"})
    detractors = client.get(RESPONSES, {"band": "detractor"})
    nps_detractors = client.get(RESPONSES, {"kind": "nps", "band": "detractor"})

    assert ids(nps) == [promoter.id, detractor.id]
    assert ids(detractors) == [detractor.id, csat.id]
    assert ids(nps_detractors) == [detractor.id]


def test_responses_are_filtered_by_answer_time(support):
    early = SurveyResponseFactory.create(answered_at=NOW - timedelta(days=2))
    edge = SurveyResponseFactory.create(answered_at=NOW - timedelta(days=1))
    late = SurveyResponseFactory.create(answered_at=NOW)
    client = bearer(support)

    since = client.get(RESPONSES, {"answered_from": "2025-01-30T08:00:00Z"})
    before = client.get(RESPONSES, {"answered_to": "2025-01-30T16:00:00+08:00"})
    window = client.get(
        RESPONSES,
        {"answered_from": "2025-01-29T08:00:00Z", "answered_to": NOW_TEXT},
    )

    assert ids(since) == [edge.id, late.id]
    assert ids(before) == [early.id]  # the end is exclusive
    assert ids(window) == [early.id, edge.id]


def test_responses_are_filtered_by_update_time(support, time_machine):
    SurveyResponseFactory.create()
    time_machine.move_to(NOW + timedelta(days=1), tick=False)
    recent = SurveyResponseFactory.create(answered_at=NOW)

    response = bearer(support).get(RESPONSES, {"updated_since": "2025-02-01"})

    assert ids(response) == [recent.id]


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"customer": "abc"}, {"customer": [UNKNOWN_CHOICE]}),
        ({"survey": "999999999"}, {"survey": [UNKNOWN_CHOICE]}),
        (
            {"kind": "stars"},
            {
                "kind": [
                    "Select a valid choice. stars is not one of the available choices."
                ]
            },
        ),
        (
            {"band": "fan"},
            {
                "band": [
                    "Select a valid choice. fan is not one of the available choices."
                ]
            },
        ),
        ({"answered_from": "monday"}, {"answered_from": ["Enter a valid date/time."]}),
        ({"answered_to": "2025-02-30"}, {"answered_to": ["Enter a valid date/time."]}),
        (
            {"answered_to": "0001-01-01T00:00:00+01:00"},
            {"answered_to": ["Enter a date/time between the years 1 and 9999."]},
        ),
        (
            {"answered_from": "2025-01-01\x00"},
            {"answered_from": ["Enter a valid date/time."]},
        ),
        ({"updated_since": "x"}, {"updated_since": ["Enter a valid date/time."]}),
    ],
)
def test_an_invalid_response_filter_is_a_400(support, query, errors):
    response = bearer(support).get(RESPONSES, query)

    assert response.status_code == 400
    assert response.json() == errors


# Lists in general


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
        # groups, the page; for surveys, their touchpoints in one more.
        (SURVEYS, 5),
        (INVITATIONS, 4),
        (RESPONSES, 4),
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
    }


@pytest.mark.parametrize(
    ("kind", "at_most", "status"), [("nps", 8, 201), ("nps", 10, 400), ("ces", 7, 400)]
)
def test_a_survey_sets_the_score_that_opens_a_case(manager, kind, at_most, status):
    response = bearer(manager).post(
        SURVEYS,
        {"name": "After calls", "kind": kind, "case_at_most": at_most},
        format="json",
    )

    assert response.status_code == status, response.json()
    if status == 201:
        assert Survey.objects.get().case_at_most == at_most
    else:
        assert "case_at_most" in response.json()
        assert not Survey.objects.exists()
