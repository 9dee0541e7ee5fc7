"""The cases and root-causes API: reads, filters, the case actions through the
case services, who may do what, and the query counts of the lists."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from feedback.models import Case, CaseEvent, RootCause
from surveys.models import Invitation
from tests.factories import (
    ApiTokenFactory,
    CaseEventFactory,
    CaseFactory,
    CustomerFactory,
    InteractionFactory,
    RootCauseFactory,
    SurveyResponseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday
NOW_TEXT = "2026-11-18T10:00:00Z"
HOUR = timedelta(hours=1)
CASES = "/api/v1/cases/"
ASSIGN_MANY = "/api/v1/cases/assign/"
ROOT_CAUSES = "/api/v1/root-causes/"
DEFAULT_ROOT_CAUSES = [
    "Product defect",
    "Slow response",
    "Billing",
    "Staff behaviour",
    "Missing feature",
    "Delivery",
    "Other",
]
NOT_ALLOWED = {"detail": "You do not have permission to perform this action."}
NOT_SIGNED_IN = {"detail": "Authentication credentials were not provided."}


@pytest.fixture(autouse=True)
def frozen_time(time_machine):
    time_machine.move_to(NOW, tick=False)


# The users made here sign in with keys: no password (hashing one takes 0.3 s).


@pytest.fixture
def owner(db):
    """A support-staff member who owns the case under test."""
    return UserFactory.create(username="oona-owner", groups=["Support"], password=None)


@pytest.fixture
def colleague(db):
    """Another support-staff member, to hand cases to."""
    return UserFactory.create(
        username="cole-colleague", groups=["Support"], password=None
    )


@pytest.fixture
def case(owner):
    """An open case from a detractor's answer, owned by `owner`."""
    return CaseFactory.create(owner=owner, created_at=NOW - HOUR)


@pytest.fixture
def cause(db):
    return RootCause.objects.get(name="Billing")


def gone_staff():
    """A staff member who has left: inactive."""
    return UserFactory.create(
        username="gone-staff", is_active=False, is_staff=True, password=None
    )


def bearer(user) -> APIClient:
    client = APIClient()
    if user is not None:
        key = ApiTokenFactory.create(user=user).key
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def url(case: Case, verb: str = "") -> str:
    return f"{CASES}{case.id}/{verb + '/' if verb else ''}"


def fill(body: dict, values: dict) -> dict:
    """The body with each placeholder (a word in capitals) replaced by its value."""

    def one(value):
        if isinstance(value, list):
            return [one(item) for item in value]
        return values.get(value, value) if isinstance(value, str) else value

    return {name: one(value) for name, value in body.items()}


def closed_case(owner, cause) -> Case:
    return CaseFactory.create(
        owner=owner,
        created_at=NOW - 48 * HOUR,
        due_at=NOW,
        status=Case.Status.CLOSED,
        first_contact_at=NOW - 47 * HOUR,
        contact_channel="phone",
        closed_at=NOW - 24 * HOUR,
        root_cause=cause,
        resolution="Refunded the fee.",
    )


def manual_case(**fields) -> Case:
    return CaseFactory.create(
        response=None,
        customer=fields.pop("customer", None) or CustomerFactory.create(),
        reason=Case.Reason.MANUAL,
        **fields,
    )


def row(case: Case) -> dict:
    """Every column of the case, as stored."""
    case.refresh_from_db()
    return {field.attname: getattr(case, field.attname) for field in Case._meta.fields}


def timeline(case: Case) -> list[tuple]:
    return list(
        case.events.order_by("id").values_list("kind", "actor_id", "note", "data")
    )


# Reading


def test_a_case_is_read_with_every_field(support, owner, cause):
    closed = closed_case(owner, cause)

    response = bearer(support).get(url(closed))

    assert response.status_code == 200
    assert response.json() == {
        "id": closed.id,
        "customer": closed.customer_id,
        "response": closed.response_id,
        "interaction": None,
        "reason": "detractor",
        "priority": "normal",
        "status": "closed",
        "owner": owner.id,
        "due_at": NOW_TEXT,
        "is_overdue": False,
        "first_contact_at": "2026-11-16T11:00:00Z",
        "contact_channel": "phone",
        "closed_at": "2026-11-17T10:00:00Z",
        "root_cause": cause.id,
        "resolution": "Refunded the fee.",
        "escalation_level": 0,
        "recovery_invitation": None,
        "outcome": "",
        "created_at": "2026-11-16T10:00:00Z",
        "updated_at": NOW_TEXT,
    }


@pytest.mark.parametrize(
    ("status", "due_in", "overdue"),
    [
        ("open", -HOUR, True),
        ("open", HOUR, False),
        ("open", None, False),
        ("contacted", -HOUR, False),
        ("closed", -HOUR, False),
    ],
)
def test_a_case_is_overdue_when_open_past_its_deadline(
    support, cause, status, due_in, overdue
):
    closing = {"root_cause": cause, "resolution": "Done."} if status == "closed" else {}
    late = manual_case(
        status=status, due_at=NOW + due_in if due_in else None, **closing
    )

    response = bearer(support).get(url(late))

    assert response.json()["is_overdue"] is overdue


def test_support_lists_every_case_not_only_their_own(support, owner):
    theirs = manual_case(owner=owner)
    nobodys = manual_case(owner=None)

    response = bearer(support).get(CASES)

    assert response.status_code == 200
    assert ids(response) == [theirs.id, nobodys.id]


def test_an_unknown_case_is_a_404(support):
    response = bearer(support).get(f"{CASES}999999/")

    assert response.status_code == 404


def test_cases_are_cursor_paginated_by_id(support):
    first, second, third = (manual_case() for _ in range(3))
    client = bearer(support)

    page = client.get(CASES, {"page_size": 2}).json()
    rest = client.get(page["next"]).json()

    assert [row["id"] for row in page["results"]] == [first.id, second.id]
    assert [row["id"] for row in rest["results"]] == [third.id]
    assert (rest["next"], page["previous"]) == (None, None)


def test_cases_are_not_changed_by_put_patch_or_delete(manager, case):
    before = row(case)
    client = bearer(manager)

    responses = [
        client.put(url(case), {"status": "closed"}, format="json"),
        client.patch(url(case), {"status": "closed"}, format="json"),
        client.delete(url(case)),
    ]

    assert [response.status_code for response in responses] == [405, 405, 405]
    assert row(case) == before


# Filters


def test_cases_are_filtered_by_status(support, cause):
    opened = manual_case()
    contacted = manual_case(status="contacted")
    closed = manual_case(status="closed", root_cause=cause, resolution="Done.")
    client = bearer(support)

    responses = [
        client.get(CASES, {"status": status})
        for status in ["open", "contacted", "closed"]
    ]

    assert [ids(response) for response in responses] == [
        [opened.id],
        [contacted.id],
        [closed.id],
    ]


def test_cases_are_filtered_by_owner(support, owner, colleague):
    mine = manual_case(owner=owner)
    manual_case(owner=colleague)
    manual_case(owner=None)

    response = bearer(support).get(CASES, {"owner": owner.id})

    assert ids(response) == [mine.id]


def test_owner_me_is_the_requester(owner, colleague):
    mine = manual_case(owner=owner)
    manual_case(owner=colleague)

    response = bearer(owner).get(CASES, {"owner": "me"})

    assert ids(response) == [mine.id]


def test_owner_none_lists_the_cases_nobody_owns(support, owner):
    manual_case(owner=owner)
    nobodys = manual_case(owner=None)

    response = bearer(support).get(CASES, {"owner": "none"})

    assert ids(response) == [nobodys.id]


def test_cases_are_filtered_by_overdue(support, cause):
    late = manual_case(due_at=NOW - HOUR)
    in_time = manual_case(due_at=NOW + HOUR)
    no_deadline = manual_case(due_at=None)
    contacted_late = manual_case(status="contacted", due_at=NOW - HOUR)
    closed_late = manual_case(
        status="closed", due_at=NOW - HOUR, root_cause=cause, resolution="Done."
    )
    client = bearer(support)

    overdue = client.get(CASES, {"overdue": "true"})
    not_overdue = client.get(CASES, {"overdue": "false"})

    assert ids(overdue) == [late.id]
    assert ids(not_overdue) == [
        in_time.id,
        no_deadline.id,
        contacted_late.id,
        closed_late.id,
    ]


def test_cases_are_filtered_by_customer(support):
    customer = CustomerFactory.create()
    theirs = manual_case(customer=customer)
    manual_case()

    response = bearer(support).get(CASES, {"customer": customer.id})

    assert ids(response) == [theirs.id]


def test_cases_are_filtered_by_reason_and_priority(support):
    manual = manual_case(priority="urgent")
    manual_case(priority="normal")
    CaseFactory.create(priority="urgent")

    response = bearer(support).get(CASES, {"reason": "manual", "priority": "urgent"})

    assert ids(response) == [manual.id]


def test_filters_combine(owner):
    wanted = manual_case(owner=owner, due_at=NOW - HOUR, priority="urgent")
    manual_case(owner=owner, due_at=NOW + HOUR, priority="urgent")
    manual_case(owner=None, due_at=NOW - HOUR, priority="urgent")

    response = bearer(owner).get(
        CASES, {"owner": "me", "overdue": "true", "priority": "urgent"}
    )

    assert ids(response) == [wanted.id]


UNKNOWN_CHOICE = (
    "Select a valid choice. That choice is not one of the available choices."
)


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (
            {"status": "pending"},
            {
                "status": [
                    "Select a valid choice. pending is not one of the available "
                    "choices."
                ]
            },
        ),
        (
            {"reason": "angry"},
            {
                "reason": [
                    "Select a valid choice. angry is not one of the available choices."
                ]
            },
        ),
        (
            {"priority": "high"},
            {
                "priority": [
                    "Select a valid choice. high is not one of the available choices."
                ]
            },
        ),
        ({"owner": "999999"}, {"owner": [UNKNOWN_CHOICE]}),
        ({"owner": "someone"}, {"owner": [UNKNOWN_CHOICE]}),
        ({"customer": "999999"}, {"customer": [UNKNOWN_CHOICE]}),
        ({"overdue": "yes"}, {"overdue": ['Enter "true" or "false".']}),
    ],
)
def test_an_invalid_case_filter_is_a_400(support, query, errors):
    response = bearer(support).get(CASES, query)

    assert response.status_code == 400
    assert response.json() == errors


# Opening a case by hand


def test_support_opens_a_case_by_hand(support, owner):
    customer = CustomerFactory.create()

    response = bearer(support).post(
        CASES,
        {
            "customer": customer.id,
            "priority": "urgent",
            "owner": owner.id,
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
        "owner": owner.id,
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
        ("assigned", support.id, "", {"from": None, "to": owner.id, "rule": "by_hand"}),
    ]


def test_a_case_opened_without_an_owner_goes_to_the_customers_owner(support, owner):
    customer = CustomerFactory.create(owner=owner)

    response = bearer(support).post(CASES, {"customer": customer.id}, format="json")

    assert response.status_code == 201
    case = Case.objects.get()
    assert (case.owner, case.assignment_rule, case.priority) == (
        owner,
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


def test_an_answer_with_a_case_does_not_get_a_second_one(support, case):
    response = bearer(support).post(
        CASES,
        {"customer": case.customer_id, "response": case.response_id},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["This answer has a case already."]}
    assert list(Case.objects.all()) == [case]


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


# Contact


def test_the_owner_records_a_contact(owner, case):
    response = bearer(owner).post(
        url(case, "contact"),
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
    case.refresh_from_db()
    assert (case.status, case.first_contact_at, case.contact_channel) == (
        "contacted",
        NOW,
        "phone",
    )
    assert timeline(case)[-1] == (
        "contacted",
        owner.id,
        "Apologised; a refund is on its way.",
        {"channel": "phone", "at": "2026-11-18T10:00:00+00:00"},
    )


def test_a_contact_is_recorded_at_the_time_given(owner, case):
    response = bearer(owner).post(
        url(case, "contact"),
        {"channel": "email", "at": "2026-11-18T09:30:00Z"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["first_contact_at"] == "2026-11-18T09:30:00Z"
    case.refresh_from_db()
    assert case.first_contact_at == NOW - HOUR / 2


def test_a_later_contact_keeps_the_first_one(owner, case):
    client = bearer(owner)
    client.post(url(case, "contact"), {"channel": "phone"}, format="json")

    response = client.post(url(case, "contact"), {"channel": "email"}, format="json")

    assert response.status_code == 200
    assert (response.json()["contact_channel"], response.json()["status"]) == (
        "phone",
        "contacted",
    )
    assert [kind for kind, *_ in timeline(case)] == ["contacted", "contacted"]


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
def test_an_invalid_contact_is_refused(owner, case, body, errors):
    before = row(case)

    response = bearer(owner).post(url(case, "contact"), body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert row(case) == before
    assert timeline(case) == []


def test_a_contact_on_a_closed_case_is_refused(owner, cause):
    closed = closed_case(owner, cause)
    before = row(closed)

    response = bearer(owner).post(
        url(closed, "contact"), {"channel": "phone"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["This case is closed: reopen it first."]
    }
    assert row(closed) == before
    assert timeline(closed) == []


# Close


def test_the_owner_closes_a_case_and_a_recovery_survey_is_scheduled(owner, case, cause):
    response = bearer(owner).post(
        url(case, "close"),
        {"root_cause": cause.id, "resolution": "  Refunded the fee.  "},
        format="json",
    )

    assert response.status_code == 200
    case.refresh_from_db()
    recovery = Invitation.objects.get(id=case.recovery_invitation_id)
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
    assert (case.status, case.closed_at, case.root_cause, case.resolution) == (
        "closed",
        NOW,
        cause,
        "Refunded the fee.",
    )
    assert (recovery.survey_id, recovery.customer_id, recovery.scheduled_for) == (
        case.response.survey_id,
        case.customer_id,
        NOW + timedelta(days=7),
    )
    assert timeline(case) == [
        (
            "closed",
            owner.id,
            "Refunded the fee.",
            {
                "root_cause": cause.id,
                "root_cause_name": "Billing",
                "recovery_invitation": recovery.id,
            },
        )
    ]


def test_a_case_is_closed_with_a_chosen_recovery_delay(manager, case, cause):
    response = bearer(manager).post(
        url(case, "close"),
        {"root_cause": cause.id, "resolution": "Fixed.", "recovery_days": 30},
        format="json",
    )

    assert response.status_code == 200
    case.refresh_from_db()
    assert case.recovery_invitation.scheduled_for == NOW + timedelta(days=30)


def test_a_case_is_closed_without_a_recovery_survey(owner, case, cause):
    response = bearer(owner).post(
        url(case, "close"),
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
def test_an_invalid_close_is_refused(owner, case, cause, body, errors):
    inactive = RootCauseFactory.create(name="Retired cause", is_active=False)
    body = fill(body, {"CAUSE": cause.id, "INACTIVE": inactive.id})
    before = row(case)

    response = bearer(owner).post(url(case, "close"), body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert row(case) == before
    assert timeline(case) == []
    assert not Invitation.objects.filter(occasion__startswith="recovery:").exists()


def test_a_closed_case_is_not_closed_again(owner, cause):
    closed = closed_case(owner, cause)
    before = row(closed)

    response = bearer(owner).post(
        url(closed, "close"),
        {"root_cause": cause.id, "resolution": "Again."},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["This case is closed already."]}
    assert row(closed) == before
    assert timeline(closed) == []


# Reopen


def test_the_owner_reopens_a_closed_case(owner, cause):
    closed = closed_case(owner, cause)

    response = bearer(owner).post(
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
        ("reopened", owner.id, "The customer called again.", {})
    ]


@pytest.mark.parametrize("status", ["open", "contacted"])
def test_only_a_closed_case_is_reopened(owner, status):
    case = manual_case(owner=owner, status=status)
    before = row(case)

    response = bearer(owner).post(url(case, "reopen"), {}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Only a closed case can be reopened."]
    }
    assert row(case) == before
    assert timeline(case) == []


def test_a_reopen_refuses_unknown_fields(owner, cause):
    closed = closed_case(owner, cause)
    before = row(closed)

    response = bearer(owner).post(url(closed, "reopen"), {"reason": "x"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"reason": ["Unknown field."]}
    assert row(closed) == before


# Assign


def test_a_manager_reassigns_a_case(manager, owner, colleague, case):
    response = bearer(manager).post(
        url(case, "assign"), {"owner": colleague.id}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["owner"] == colleague.id
    case.refresh_from_db()
    assert (case.owner, case.assignment_rule) == (colleague, "by_hand")
    assert timeline(case) == [
        (
            "assigned",
            manager.id,
            "",
            {"from": owner.id, "to": colleague.id, "rule": "by_hand"},
        )
    ]


def test_assigning_a_case_to_its_owner_changes_nothing(owner, case):
    before = row(case)

    response = bearer(owner).post(
        url(case, "assign"), {"owner": owner.id}, format="json"
    )

    assert response.status_code == 200
    assert row(case) == before
    assert timeline(case) == []


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
    manager, outsider, case, target, errors
):
    gone = gone_staff()
    body = {
        "inactive": {"owner": gone.id},
        "not staff": {"owner": outsider.id},
        "unknown": {"owner": 999999},
        "missing": {},
    }[target]
    before = row(case)

    response = bearer(manager).post(url(case, "assign"), body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert row(case) == before
    assert timeline(case) == []


def test_a_manager_reassigns_many_cases_at_once(manager, owner, colleague):
    first = manual_case(owner=owner)
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
def test_an_invalid_bulk_assignment_is_refused(manager, colleague, case, body, errors):
    gone = gone_staff()
    body = fill(body, {"COLLEAGUE": colleague.id, "INACTIVE": gone.id, "CASE": case.id})
    before = row(case)

    response = bearer(manager).post(ASSIGN_MANY, body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert row(case) == before
    assert timeline(case) == []


def test_a_bulk_assignment_is_refused_whole_when_one_case_is_someone_elses(
    owner, colleague, case
):
    others = manual_case(owner=colleague)
    before = (row(case), row(others))

    response = bearer(owner).post(
        ASSIGN_MANY, {"cases": [case.id, others.id], "owner": owner.id}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {
        "detail": f"Only the case's owner or a manager may reassign case #{others.id}."
    }
    assert (row(case), row(others)) == before
    assert not CaseEvent.objects.exists()


# Notes


def test_the_owner_adds_a_note(owner, case):
    before = row(case)

    response = bearer(owner).post(
        url(case, "note"), {"note": "  Left a voicemail.  "}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["id"] == case.id
    assert row(case) == before
    assert timeline(case) == [("note", owner.id, "Left a voicemail.", {})]


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
def test_an_invalid_note_is_refused(owner, case, body, errors):
    response = bearer(owner).post(url(case, "note"), body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert timeline(case) == []


# Who may do what

# For each action: a valid body, the event it writes, and the services' refusal.
ACTIONS: dict[str, tuple[dict, str, str]] = {
    "contact": (
        {"channel": "phone"},
        "contacted",
        "Only the case's owner or a manager may record a contact.",
    ),
    "close": (
        {"root_cause": "CAUSE", "resolution": "Fixed."},
        "closed",
        "Only the case's owner or a manager may close it.",
    ),
    "reopen": (
        {"note": "Again."},
        "reopened",
        "Only the case's owner or a manager may reopen it.",
    ),
    "assign": (
        {"owner": "COLLEAGUE"},
        "assigned",
        "Only the case's owner or a manager may reassign it.",
    ),
    "note": (
        {"note": "Hello."},
        "note",
        "Only the case's owner or a manager may add notes.",
    ),
    "assign-many": (
        {"cases": ["CASE"], "owner": "COLLEAGUE"},
        "assigned",
        "Only the case's owner or a manager may reassign case #{id}.",
    ),
}


@pytest.fixture
def role_users(support, owner, manager, outsider):
    return {
        "support": support,
        "owner": owner,
        "manager": manager,
        "outsider": outsider,
        "anonymous": None,
    }


def act(verb, user, *, owner, colleague, cause):
    """Take the action on a case of `owner` that allows it: the case, its row
    before, and the response."""
    target = closed_case(owner, cause) if verb == "reopen" else manual_case(owner=owner)
    body = fill(
        ACTIONS[verb][0],
        {"CAUSE": cause.id, "COLLEAGUE": colleague.id, "CASE": target.id},
    )
    path = ASSIGN_MANY if verb == "assign-many" else url(target, verb)
    before = row(target)
    response = bearer(user).post(path, body, format="json")
    return target, before, response


@pytest.mark.parametrize("verb", list(ACTIONS))
@pytest.mark.parametrize("role", ["owner", "manager"])
def test_the_owner_and_managers_act_on_a_case(
    role_users, owner, colleague, cause, verb, role
):
    user = role_users[role]

    target, _, response = act(verb, user, owner=owner, colleague=colleague, cause=cause)

    assert response.status_code == 200
    assert [(kind, actor) for kind, actor, *_ in timeline(target)] == [
        (ACTIONS[verb][1], user.id)
    ]


@pytest.mark.parametrize("verb", list(ACTIONS))
@pytest.mark.parametrize("role", ["support", "outsider", "anonymous"])
def test_nobody_else_acts_on_a_case(role_users, owner, colleague, cause, verb, role):
    target, before, response = act(
        verb, role_users[role], owner=owner, colleague=colleague, cause=cause
    )

    refusal = {
        "support": (403, {"detail": ACTIONS[verb][2].format(id=target.id)}),
        "outsider": (403, NOT_ALLOWED),
        "anonymous": (401, NOT_SIGNED_IN),
    }[role]
    assert (response.status_code, response.json()) == refusal
    assert row(target) == before
    assert timeline(target) == []


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("support", 201),
        ("owner", 201),
        ("manager", 201),
        ("outsider", 403),
        ("anonymous", 401),
    ],
)
def test_who_may_open_a_case(role_users, role, status):
    customer = CustomerFactory.create()

    response = bearer(role_users[role]).post(
        CASES, {"customer": customer.id}, format="json"
    )

    assert response.status_code == status
    assert Case.objects.count() == (1 if status == 201 else 0)


def test_a_role_that_may_see_cases_but_not_open_them_opens_none(support):
    support.groups.get().permissions.remove(
        *support.groups.get().permissions.filter(codename="add_case")
    )
    customer = CustomerFactory.create()

    response = bearer(support).post(CASES, {"customer": customer.id}, format="json")

    assert response.status_code == 403
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("support", 200),
        ("owner", 200),
        ("manager", 200),
        ("outsider", 403),
        ("anonymous", 401),
    ],
)
def test_who_may_read_cases_and_their_timelines(role_users, case, role, status):
    client = bearer(role_users[role])

    codes = [client.get(path).status_code for path in [CASES, url(case)]]
    codes.append(client.get(url(case, "events")).status_code)

    assert codes == [status] * 3


def test_an_outsider_is_refused_before_the_input_is_read(outsider, case):
    response = bearer(outsider).post(url(case, "close"), {}, format="json")

    assert (response.status_code, response.json()) == (403, NOT_ALLOWED)


def test_an_inactive_managers_key_no_longer_works(manager, case):
    client = bearer(manager)
    manager.is_active = False
    manager.save()

    response = client.post(url(case, "note"), {"note": "Hi"}, format="json")

    assert response.status_code == 401
    assert timeline(case) == []


# The timeline


def test_a_cases_timeline_is_listed_oldest_first(support, owner, case):
    opened = CaseEventFactory.create(
        case=case, kind="opened", created_at=NOW - HOUR, data={"reason": "detractor"}
    )
    contacted = CaseEventFactory.create(
        case=case,
        kind="contacted",
        actor=owner,
        note="Called.",
        data={"channel": "phone"},
        created_at=NOW,
    )
    CaseEventFactory.create(kind="note")  # another case's

    response = bearer(support).get(url(case, "events"))

    assert response.status_code == 200
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            {
                "id": opened.id,
                "kind": "opened",
                "actor": None,
                "note": "",
                "data": {"reason": "detractor"},
                "created_at": "2026-11-18T09:00:00Z",
            },
            {
                "id": contacted.id,
                "kind": "contacted",
                "actor": owner.id,
                "note": "Called.",
                "data": {"channel": "phone"},
                "created_at": NOW_TEXT,
            },
        ],
    }


def test_a_timeline_is_cursor_paginated(support, case):
    events = CaseEventFactory.create_batch(3, case=case, kind="note")
    client = bearer(support)

    page = client.get(url(case, "events"), {"page_size": 2}).json()
    rest = client.get(page["next"]).json()

    assert [row["id"] for row in page["results"]] == [e.id for e in events[:2]]
    assert [row["id"] for row in rest["results"]] == [events[2].id]


def test_the_timeline_of_an_unknown_case_is_a_404(support):
    response = bearer(support).get(f"{CASES}999999/events/")

    assert response.status_code == 404


def test_the_timeline_ignores_the_case_filters(support, case):
    CaseEventFactory.create(case=case)

    response = bearer(support).get(url(case, "events"), {"status": "closed"})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_the_timeline_is_read_only(manager, case):
    response = bearer(manager).post(
        url(case, "events"), {"kind": "note"}, format="json"
    )

    assert response.status_code == 405
    assert timeline(case) == []


# Root causes


def test_support_reads_the_root_causes(support):
    response = bearer(support).get(ROOT_CAUSES)

    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == DEFAULT_ROOT_CAUSES
    billing = RootCause.objects.get(name="Billing")
    assert bearer(support).get(f"{ROOT_CAUSES}{billing.id}/").json() == {
        "id": billing.id,
        "name": "Billing",
        "description": "",
        "is_active": True,
        "position": 2,
    }


def test_root_causes_are_filtered_by_activity(support):
    retired = RootCauseFactory.create(name="Retired", is_active=False)

    inactive = bearer(support).get(ROOT_CAUSES, {"is_active": "false"})
    active = bearer(support).get(ROOT_CAUSES, {"is_active": "true"})

    assert ids(inactive) == [retired.id]
    assert len(ids(active)) == len(DEFAULT_ROOT_CAUSES)


def test_a_manager_adds_a_root_cause(manager):
    response = bearer(manager).post(
        ROOT_CAUSES,
        {"name": "Onboarding", "description": "Setup was hard.", "position": 10},
        format="json",
    )

    assert response.status_code == 201
    cause = RootCause.objects.get(name="Onboarding")
    assert response.json() == {
        "id": cause.id,
        "name": "Onboarding",
        "description": "Setup was hard.",
        "is_active": True,
        "position": 10,
    }


def test_a_manager_deactivates_a_root_cause(manager, cause):
    response = bearer(manager).patch(
        f"{ROOT_CAUSES}{cause.id}/", {"is_active": False}, format="json"
    )

    assert response.status_code == 200
    cause.refresh_from_db()
    assert cause.is_active is False


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"name": "Billing"},
            {"name": ["A root cause with this name already exists."]},
        ),
        ({}, {"name": ["This field is required."]}),
        (
            {"name": "x" * 101},
            {"name": ["Ensure this field has no more than 100 characters."]},
        ),
        (
            {"name": "Late", "position": -1},
            {"position": ["Ensure this value is greater than or equal to 0."]},
        ),
        ({"name": "Late", "colour": "red"}, {"colour": ["Unknown field."]}),
    ],
)
def test_an_invalid_root_cause_is_refused(manager, body, errors):
    response = bearer(manager).post(ROOT_CAUSES, body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert RootCause.objects.count() == len(DEFAULT_ROOT_CAUSES)


def test_an_unused_root_cause_is_deleted(manager):
    typo = RootCauseFactory.create(name="Bilings")

    response = bearer(manager).delete(f"{ROOT_CAUSES}{typo.id}/")

    assert response.status_code == 204
    assert not RootCause.objects.filter(id=typo.id).exists()


def test_a_root_cause_a_case_has_is_not_deleted(manager, owner, cause):
    closed = closed_case(owner, cause)

    response = bearer(manager).delete(f"{ROOT_CAUSES}{cause.id}/")

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "Cases have this root cause, so it cannot be deleted; deactivate it "
            "instead (set is_active to false)."
        ]
    }
    cause.refresh_from_db()
    assert cause.is_active is True
    assert row(closed)["root_cause_id"] == cause.id


def test_support_may_not_change_the_root_causes(support, cause):
    client = bearer(support)

    responses = [
        client.post(ROOT_CAUSES, {"name": "Onboarding"}, format="json"),
        client.patch(f"{ROOT_CAUSES}{cause.id}/", {"name": "Money"}, format="json"),
        client.delete(f"{ROOT_CAUSES}{cause.id}/"),
    ]

    assert [response.status_code for response in responses] == [403, 403, 403]
    cause.refresh_from_db()
    assert (cause.name, cause.is_active) == ("Billing", True)
    assert RootCause.objects.count() == len(DEFAULT_ROOT_CAUSES)


@pytest.mark.parametrize("role", ["outsider", "anonymous"])
def test_outsiders_see_no_root_causes(role_users, cause, role):
    client = bearer(role_users[role])

    codes = [
        client.get(ROOT_CAUSES).status_code,
        client.get(f"{ROOT_CAUSES}{cause.id}/").status_code,
        client.post(ROOT_CAUSES, {"name": "X"}, format="json").status_code,
    ]

    assert codes == [403 if role == "outsider" else 401] * 3
    assert not RootCause.objects.filter(name="X").exists()


# Query counts


def test_the_case_list_runs_the_same_queries_for_one_case_as_for_five(
    manager, cause, django_assert_num_queries
):
    client = bearer(manager)
    CaseFactory.create(owner=manager, root_cause=None)
    # The key with its user, the user's permissions, those of their groups, the page.
    with django_assert_num_queries(4):
        one = client.get(CASES)
    for _ in range(2):
        CaseFactory.create(owner=manager)
        closed_case(manager, cause)

    with django_assert_num_queries(4):
        five = client.get(CASES)

    assert (len(one.json()["results"]), len(five.json()["results"])) == (1, 5)


def test_a_filtered_case_list_runs_a_constant_number_of_queries(
    support, owner, django_assert_num_queries
):
    customer = CustomerFactory.create()
    for _ in range(5):
        manual_case(customer=customer, owner=owner)
    client = bearer(support)

    # As above, plus the checks that the customer and the owner exist.
    with django_assert_num_queries(6):
        response = client.get(CASES, {"customer": customer.id, "owner": owner.id})

    assert len(response.json()["results"]) == 5


def test_a_timeline_runs_the_same_queries_for_one_event_as_for_five(
    support, case, django_assert_num_queries
):
    client = bearer(support)
    CaseEventFactory.create(case=case)
    # As the list, plus the case.
    with django_assert_num_queries(5):
        one = client.get(url(case, "events"))
    CaseEventFactory.create_batch(4, case=case)
    with django_assert_num_queries(5):
        five = client.get(url(case, "events"))

    assert (len(one.json()["results"]), len(five.json()["results"])) == (1, 5)


def test_the_root_cause_list_runs_a_constant_number_of_queries(
    support, django_assert_num_queries
):
    client = bearer(support)

    with django_assert_num_queries(4):
        response = client.get(ROOT_CAUSES)

    assert len(response.json()["results"]) == len(DEFAULT_ROOT_CAUSES)


# The schema


def test_the_schema_lists_the_case_endpoints_and_filters():
    response = APIClient().get("/api/v1/schema/", {"format": "json"})

    schema = json.loads(response.content)
    paths = schema["paths"]
    assert {
        path: sorted(paths[path])
        for path in paths
        if path.startswith(("/api/v1/cases/", "/api/v1/root-causes/"))
    } == {
        "/api/v1/cases/": ["get", "post"],
        "/api/v1/cases/assign/": ["post"],
        "/api/v1/cases/{id}/": ["get"],
        "/api/v1/cases/{id}/assign/": ["post"],
        "/api/v1/cases/{id}/close/": ["post"],
        "/api/v1/cases/{id}/contact/": ["post"],
        "/api/v1/cases/{id}/events/": ["get"],
        "/api/v1/cases/{id}/note/": ["post"],
        "/api/v1/cases/{id}/reopen/": ["post"],
        "/api/v1/root-causes/": ["get", "post"],
        "/api/v1/root-causes/{id}/": ["delete", "get", "patch", "put"],
    }
    parameters = {
        parameter["name"] for parameter in paths["/api/v1/cases/"]["get"]["parameters"]
    }
    assert parameters == {
        "cursor",
        "page_size",
        "status",
        "owner",
        "overdue",
        "customer",
        "reason",
        "priority",
        "ordering",
        "search",
        "updated_since",
    }
    events = {
        parameter["name"]
        for parameter in paths["/api/v1/cases/{id}/events/"]["get"]["parameters"]
    }
    assert events == {"id", "cursor", "page_size"}


def test_the_browsable_pages_render_without_listing_every_user(support, case):
    client = APIClient()
    client.force_login(support)

    pages = [
        client.get(path, HTTP_ACCEPT="text/html")
        for path in [CASES, url(case), url(case, "events"), url(case, "close")]
    ]

    assert [page.status_code for page in pages] == [200, 200, 200, 405]
    assert '<input type="text" name="owner"' in pages[0].content.decode()
    assert "oona-owner" not in pages[0].content.decode()
