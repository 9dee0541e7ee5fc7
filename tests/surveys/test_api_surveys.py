"""/api/v1/surveys/: reading, creating, changing and deleting surveys, the
validation of their fields, and the filters of the list."""

from datetime import timedelta

import pytest

from surveys.models import Invitation, Survey
from tests.api import bearer, ids
from tests.factories import (
    InvitationFactory,
    SurveyFactory,
    TouchpointFactory,
)
from tests.surveys.api_helpers import NOW, NOW_TEXT, SURVEYS, survey_state

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


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


def test_surveys_are_filtered_by_update_time(support, clock):
    SurveyFactory.create()
    clock.move_to(NOW + timedelta(hours=1), tick=False)
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
