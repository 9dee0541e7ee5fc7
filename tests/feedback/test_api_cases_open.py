"""Opening a case by hand through the API: with or without an owner, from
an answer and its interaction, and the bodies that are refused."""

import pytest

from feedback.models import Case, CaseEvent
from tests.api import bearer
from tests.factories import CustomerFactory, InteractionFactory, SurveyResponseFactory
from tests.feedback.case_api_helpers import (
    CASES,
    HOUR,
    NOW,
    NOW_TEXT,
    fill,
    gone_staff,
    timeline,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


# Opening a case by hand


def test_support_opens_a_case_by_hand(support, case_owner):
    customer = CustomerFactory.create()

    response = bearer(support).post(
        CASES,
        {
            "customer": customer.id,
            "priority": "urgent",
            "owner": case_owner.id,
            "note": "Called to complain about the invoice.",
        },
        format="json",
    )

    assert response.status_code == 201
    case = Case.objects.get()
    assert response.json() == {
        "id": case.id,
        "customer": customer.id,
        "response": None,
        "interaction": None,
        "reason": "manual",
        "priority": "urgent",
        "status": "open",
        "owner": case_owner.id,
        "due_at": "2026-11-18T14:00:00Z",
        "is_overdue": False,
        "first_contact_at": None,
        "contact_channel": "",
        "closed_at": None,
        "root_cause": None,
        "resolution": "",
        "escalation_level": 0,
        "recovery_invitation": None,
        "outcome": "",
        "created_at": NOW_TEXT,
        "updated_at": NOW_TEXT,
    }
    assert case.assignment_rule == "by_hand"
    assert timeline(case) == [
        (
            "opened",
            support.id,
            "Called to complain about the invoice.",
            {"reason": "manual", "priority": "urgent"},
        ),
        (
            "assigned",
            support.id,
            "",
            {"from": None, "to": case_owner.id, "rule": "by_hand"},
        ),
    ]


def test_a_case_opened_without_an_owner_goes_to_the_customers_owner(
    support, case_owner
):
    customer = CustomerFactory.create(owner=case_owner)

    response = bearer(support).post(CASES, {"customer": customer.id}, format="json")

    assert response.status_code == 201
    case = Case.objects.get()
    assert (case.owner, case.assignment_rule, case.priority) == (
        case_owner,
        "customer_owner",
        "normal",
    )
    assert case.due_at == NOW + 48 * HOUR


def test_a_case_is_opened_from_an_answer_and_its_interaction(support):
    answer = SurveyResponseFactory.create(score=2)

    response = bearer(support).post(
        CASES,
        {"customer": answer.customer_id, "response": answer.id},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["response"], body["interaction"], body["reason"]) == (
        answer.id,
        answer.invitation.interaction_id,
        "manual",
    )


def test_an_answer_with_a_case_does_not_get_a_second_one(support, owned_case):
    response = bearer(support).post(
        CASES,
        {"customer": owned_case.customer_id, "response": owned_case.response_id},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["This answer has a case already."]}
    assert list(Case.objects.all()) == [owned_case]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"customer": ["This field is required."]}),
        (
            {"customer": 999999},
            {"customer": ['Invalid pk "999999" - object does not exist.']},
        ),
        (
            {"customer": "abc", "priority": "high"},
            {
                "customer": ["A valid integer is required."],
                "priority": ['"high" is not a valid choice.'],
            },
        ),
        (
            {"customer": "CUSTOMER", "note": "x" * 10_001},
            {"note": ["Ensure this field has no more than 10000 characters."]},
        ),
        (
            {"customer": "CUSTOMER", "reason": "detractor"},
            {"reason": ["Unknown field."]},
        ),
        (
            {"customer": "CUSTOMER", "owner": "INACTIVE"},
            {"owner": ["gone-staff cannot own cases: only active staff can."]},
        ),
        (
            {"customer": "CUSTOMER", "interaction": "OTHER_INTERACTION"},
            {"non_field_errors": ["This interaction is with another customer."]},
        ),
        (
            {"customer": "CUSTOMER", "response": "OTHER_RESPONSE"},
            {"non_field_errors": ["This answer is from another customer."]},
        ),
    ],
)
def test_an_invalid_manual_case_is_refused(support, body, errors):
    placeholders = {
        "CUSTOMER": CustomerFactory.create().id,
        "INACTIVE": gone_staff().id,
        "OTHER_INTERACTION": InteractionFactory.create().id,
        "OTHER_RESPONSE": SurveyResponseFactory.create().id,
    }

    response = bearer(support).post(CASES, fill(body, placeholders), format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert not Case.objects.exists()
    assert not CaseEvent.objects.exists()
