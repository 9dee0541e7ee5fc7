"""The case actions through the API, by way of the case services: contact,
close, reopen, assign (one case or many) and notes."""

from datetime import timedelta

import pytest

from feedback.models import Case, CaseEvent
from surveys.models import Invitation
from tests.api import bearer
from tests.factories import RootCauseFactory
from tests.feedback.case_api_helpers import (
    ASSIGN_MANY,
    HOUR,
    NOW,
    NOW_TEXT,
    closed_case,
    fill,
    gone_staff,
    manual_case,
    row,
    timeline,
    url,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


# Contact


def test_the_owner_records_a_contact(case_owner, owned_case):
    response = bearer(case_owner).post(
        url(owned_case, "contact"),
        {"channel": "phone", "note": "Apologised; a refund is on its way."},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["first_contact_at"], body["contact_channel"]) == (
        "contacted",
        NOW_TEXT,
        "phone",
    )
    owned_case.refresh_from_db()
    assert (
        owned_case.status,
        owned_case.first_contact_at,
        owned_case.contact_channel,
    ) == (
        "contacted",
        NOW,
        "phone",
    )
    assert timeline(owned_case)[-1] == (
        "contacted",
        case_owner.id,
        "Apologised; a refund is on its way.",
        {"channel": "phone", "at": "2026-11-18T10:00:00+00:00"},
    )


def test_a_contact_is_recorded_at_the_time_given(case_owner, owned_case):
    response = bearer(case_owner).post(
        url(owned_case, "contact"),
        {"channel": "email", "at": "2026-11-18T09:30:00Z"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["first_contact_at"] == "2026-11-18T09:30:00Z"
    owned_case.refresh_from_db()
    assert owned_case.first_contact_at == NOW - HOUR / 2


def test_a_later_contact_keeps_the_first_one(case_owner, owned_case):
    client = bearer(case_owner)
    client.post(url(owned_case, "contact"), {"channel": "phone"}, format="json")

    response = client.post(
        url(owned_case, "contact"), {"channel": "email"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["contact_channel"], response.json()["status"]) == (
        "phone",
        "contacted",
    )
    assert [kind for kind, *_ in timeline(owned_case)] == ["contacted", "contacted"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"channel": ["This field is required."]}),
        ({"channel": "fax"}, {"channel": ['"fax" is not a valid choice.']}),
        (
            {"channel": "phone", "at": "yesterday"},
            {
                "at": [
                    "Datetime has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
                ]
            },
        ),
        (
            {"channel": "phone", "at": "2026-11-18T11:00:00Z"},
            {"non_field_errors": ["A contact cannot be in the future."]},
        ),
        (
            {"channel": "phone", "at": "2026-11-18T08:00:00Z"},
            {"non_field_errors": ["A contact cannot be before the case was opened."]},
        ),
        (
            {"channel": "phone", "at": "9999-12-31T23:59:59-10:00"},
            {"at": ["Datetime value out of range."]},
        ),
        ({"channel": "phone", "by": "me"}, {"by": ["Unknown field."]}),
    ],
)
def test_an_invalid_contact_is_refused(case_owner, owned_case, body, errors):
    before = row(owned_case)

    response = bearer(case_owner).post(url(owned_case, "contact"), body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert row(owned_case) == before
    assert timeline(owned_case) == []


def test_a_contact_on_a_closed_case_is_refused(case_owner, cause):
    closed = closed_case(case_owner, cause)
    before = row(closed)

    response = bearer(case_owner).post(
        url(closed, "contact"), {"channel": "phone"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["This case is closed: reopen it first."]
    }
    assert row(closed) == before
    assert timeline(closed) == []


# Close


def test_the_owner_closes_a_case_and_a_recovery_survey_is_scheduled(
    case_owner, owned_case, cause
):
    response = bearer(case_owner).post(
        url(owned_case, "close"),
        {"root_cause": cause.id, "resolution": "  Refunded the fee.  "},
        format="json",
    )

    assert response.status_code == 200
    owned_case.refresh_from_db()
    recovery = Invitation.objects.get(id=owned_case.recovery_invitation_id)
    body = response.json()
    assert {
        name: body[name]
        for name in [
            "status",
            "closed_at",
            "root_cause",
            "resolution",
            "recovery_invitation",
            "outcome",
        ]
    } == {
        "status": "closed",
        "closed_at": NOW_TEXT,
        "root_cause": cause.id,
        "resolution": "Refunded the fee.",
        "recovery_invitation": recovery.id,
        "outcome": "",
    }
    assert (
        owned_case.status,
        owned_case.closed_at,
        owned_case.root_cause,
        owned_case.resolution,
    ) == (
        "closed",
        NOW,
        cause,
        "Refunded the fee.",
    )
    assert (recovery.survey_id, recovery.customer_id, recovery.scheduled_for) == (
        owned_case.response.survey_id,
        owned_case.customer_id,
        NOW + timedelta(days=7),
    )
    assert timeline(owned_case) == [
        (
            "closed",
            case_owner.id,
            "Refunded the fee.",
            {
                "root_cause": cause.id,
                "root_cause_name": "Billing",
                "recovery_invitation": recovery.id,
            },
        )
    ]


def test_a_case_is_closed_with_a_chosen_recovery_delay(manager, owned_case, cause):
    response = bearer(manager).post(
        url(owned_case, "close"),
        {"root_cause": cause.id, "resolution": "Fixed.", "recovery_days": 30},
        format="json",
    )

    assert response.status_code == 200
    owned_case.refresh_from_db()
    assert owned_case.recovery_invitation.scheduled_for == NOW + timedelta(days=30)


def test_a_case_is_closed_without_a_recovery_survey(case_owner, owned_case, cause):
    response = bearer(case_owner).post(
        url(owned_case, "close"),
        {"root_cause": cause.id, "resolution": "Fixed.", "resurvey": False},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["recovery_invitation"] is None
    assert not Invitation.objects.filter(occasion__startswith="recovery:").exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"resolution": "Fixed."}, {"root_cause": ["This field is required."]}),
        (
            {"root_cause": 1.5, "resolution": "Fixed."},
            {"root_cause": ["A valid integer is required."]},
        ),
        (
            {"root_cause": None, "resolution": "Fixed."},
            {"root_cause": ["This field may not be null."]},
        ),
        (
            {"root_cause": 999999, "resolution": "Fixed."},
            {"root_cause": ['Invalid pk "999999" - object does not exist.']},
        ),
        (
            {"root_cause": "INACTIVE", "resolution": "Fixed."},
            {"root_cause": ["This root cause is inactive: choose an active one."]},
        ),
        ({"root_cause": "CAUSE"}, {"resolution": ["This field is required."]}),
        (
            {"root_cause": "CAUSE", "resolution": "   "},
            {"resolution": ["This field may not be blank."]},
        ),
        (
            {},
            {
                "root_cause": ["This field is required."],
                "resolution": ["This field is required."],
            },
        ),
        (
            {"root_cause": "CAUSE", "resolution": "Fixed.", "recovery_days": 366},
            {"recovery_days": ["Ensure this value is less than or equal to 365."]},
        ),
        (
            {"root_cause": "CAUSE", "resolution": "Fixed.", "recovery_days": -1},
            {"recovery_days": ["Ensure this value is greater than or equal to 0."]},
        ),
        (
            {"root_cause": "CAUSE", "resolution": "Fixed.", "closed_at": NOW_TEXT},
            {"closed_at": ["Unknown field."]},
        ),
    ],
)
def test_an_invalid_close_is_refused(case_owner, owned_case, cause, body, errors):
    inactive = RootCauseFactory.create(name="Retired cause", is_active=False)
    body = fill(body, {"CAUSE": cause.id, "INACTIVE": inactive.id})
    before = row(owned_case)

    response = bearer(case_owner).post(url(owned_case, "close"), body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert row(owned_case) == before
    assert timeline(owned_case) == []
    assert not Invitation.objects.filter(occasion__startswith="recovery:").exists()


def test_a_closed_case_is_not_closed_again(case_owner, cause):
    closed = closed_case(case_owner, cause)
    before = row(closed)

    response = bearer(case_owner).post(
        url(closed, "close"),
        {"root_cause": cause.id, "resolution": "Again."},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["This case is closed already."]}
    assert row(closed) == before
    assert timeline(closed) == []


# Reopen


def test_the_owner_reopens_a_closed_case(case_owner, cause):
    closed = closed_case(case_owner, cause)

    response = bearer(case_owner).post(
        url(closed, "reopen"), {"note": "The customer called again."}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert {
        name: body[name]
        for name in ["status", "closed_at", "root_cause", "resolution", "due_at"]
    } == {
        "status": "open",
        "closed_at": None,
        "root_cause": None,
        "resolution": "",
        "due_at": "2026-11-20T10:00:00Z",
    }
    closed.refresh_from_db()
    assert (closed.status, closed.root_cause, closed.due_at) == (
        "open",
        None,
        NOW + 48 * HOUR,
    )
    assert timeline(closed) == [
        ("reopened", case_owner.id, "The customer called again.", {})
    ]


@pytest.mark.parametrize("status", ["open", "contacted"])
def test_only_a_closed_case_is_reopened(case_owner, status):
    case = manual_case(owner=case_owner, status=status)
    before = row(case)

    response = bearer(case_owner).post(url(case, "reopen"), {}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Only a closed case can be reopened."]
    }
    assert row(case) == before
    assert timeline(case) == []


def test_a_reopen_refuses_unknown_fields(case_owner, cause):
    closed = closed_case(case_owner, cause)
    before = row(closed)

    response = bearer(case_owner).post(
        url(closed, "reopen"), {"reason": "x"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"reason": ["Unknown field."]}
    assert row(closed) == before


# Assign


def test_a_manager_reassigns_a_case(manager, case_owner, colleague, owned_case):
    response = bearer(manager).post(
        url(owned_case, "assign"), {"owner": colleague.id}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["owner"] == colleague.id
    owned_case.refresh_from_db()
    assert (owned_case.owner, owned_case.assignment_rule) == (colleague, "by_hand")
    assert timeline(owned_case) == [
        (
            "assigned",
            manager.id,
            "",
            {"from": case_owner.id, "to": colleague.id, "rule": "by_hand"},
        )
    ]


def test_assigning_a_case_to_its_owner_changes_nothing(case_owner, owned_case):
    before = row(owned_case)

    response = bearer(case_owner).post(
        url(owned_case, "assign"), {"owner": case_owner.id}, format="json"
    )

    assert response.status_code == 200
    assert row(owned_case) == before
    assert timeline(owned_case) == []


@pytest.mark.parametrize(
    ("target", "errors"),
    [
        (
            "inactive",
            {"owner": ["gone-staff cannot own cases: only active staff can."]},
        ),
        (
            "not staff",
            {"owner": ["olly-outsider cannot own cases: only active staff can."]},
        ),
        ("unknown", {"owner": ['Invalid pk "999999" - object does not exist.']}),
        ("missing", {"owner": ["This field is required."]}),
    ],
)
def test_a_case_is_not_assigned_to_someone_who_cannot_own_it(
    manager, outsider, owned_case, target, errors
):
    gone = gone_staff()
    body = {
        "inactive": {"owner": gone.id},
        "not staff": {"owner": outsider.id},
        "unknown": {"owner": 999999},
        "missing": {},
    }[target]
    before = row(owned_case)

    response = bearer(manager).post(url(owned_case, "assign"), body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert row(owned_case) == before
    assert timeline(owned_case) == []


def test_a_manager_reassigns_many_cases_at_once(manager, case_owner, colleague):
    first = manual_case(owner=case_owner)
    second = manual_case(owner=None)
    kept = manual_case(owner=colleague)

    response = bearer(manager).post(
        ASSIGN_MANY,
        {"cases": [second.id, first.id, kept.id, first.id], "owner": colleague.id},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {
        "owner": colleague.id,
        "cases": [second.id, first.id, kept.id],
        "changed": 2,
    }
    assert (
        list(
            Case.objects.filter(id__in=[first.id, second.id, kept.id]).values_list(
                "owner", flat=True
            )
        )
        == [colleague.id] * 3
    )
    assert timeline(first)[-1][0] == timeline(second)[-1][0] == "assigned"
    assert timeline(kept) == []


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"owner": "COLLEAGUE"}, {"cases": ["This field is required."]}),
        (
            {"cases": [], "owner": "COLLEAGUE"},
            {"cases": ["Ensure this field has at least 1 elements."]},
        ),
        (
            {"cases": [999998, "CASE", 999999], "owner": "COLLEAGUE"},
            {"cases": ["Unknown ids: 999998, 999999."]},
        ),
        (
            {"cases": list(range(1, 1002)), "owner": "COLLEAGUE"},
            {"cases": ["Ensure this field has no more than 1000 elements."]},
        ),
        (
            {"cases": ["CASE"], "owner": "INACTIVE"},
            {"owner": ["gone-staff cannot own cases: only active staff can."]},
        ),
        (
            {"cases": ["CASE"], "owner": "COLLEAGUE", "all": True},
            {"all": ["Unknown field."]},
        ),
    ],
)
def test_an_invalid_bulk_assignment_is_refused(
    manager, colleague, owned_case, body, errors
):
    gone = gone_staff()
    body = fill(
        body, {"COLLEAGUE": colleague.id, "INACTIVE": gone.id, "CASE": owned_case.id}
    )
    before = row(owned_case)

    response = bearer(manager).post(ASSIGN_MANY, body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert row(owned_case) == before
    assert timeline(owned_case) == []


def test_a_bulk_assignment_is_refused_whole_when_one_case_is_someone_elses(
    case_owner, colleague, owned_case
):
    others = manual_case(owner=colleague)
    before = (row(owned_case), row(others))

    response = bearer(case_owner).post(
        ASSIGN_MANY,
        {"cases": [owned_case.id, others.id], "owner": case_owner.id},
        format="json",
    )

    assert response.status_code == 403
    assert response.json() == {
        "detail": f"Only the case's owner or a manager may reassign case #{others.id}."
    }
    assert (row(owned_case), row(others)) == before
    assert not CaseEvent.objects.exists()


# Notes


def test_the_owner_adds_a_note(case_owner, owned_case):
    before = row(owned_case)

    response = bearer(case_owner).post(
        url(owned_case, "note"), {"note": "  Left a voicemail.  "}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["id"] == owned_case.id
    assert row(owned_case) == before
    assert timeline(owned_case) == [("note", case_owner.id, "Left a voicemail.", {})]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"note": ["This field is required."]}),
        ({"note": " "}, {"note": ["This field may not be blank."]}),
        ({"note": None}, {"note": ["This field may not be null."]}),
        ({"note": "a\x00b"}, {"note": ["Null characters are not allowed."]}),
        ({"note": "Hi", "kind": "closed"}, {"kind": ["Unknown field."]}),
    ],
)
def test_an_invalid_note_is_refused(case_owner, owned_case, body, errors):
    response = bearer(case_owner).post(url(owned_case, "note"), body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert timeline(owned_case) == []
