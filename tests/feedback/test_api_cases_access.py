"""Who may do what with cases through the API: the owner and managers act,
nobody else does; who may open and read cases; keys that no longer work."""

import pytest

from feedback.models import Case
from tests.api import bearer
from tests.factories import CustomerFactory
from tests.feedback.case_api_helpers import (
    ASSIGN_MANY,
    CASES,
    NOT_ALLOWED,
    NOT_SIGNED_IN,
    NOW,
    closed_case,
    fill,
    manual_case,
    row,
    timeline,
    url,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


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
    role_users, case_owner, colleague, cause, verb, role
):
    user = role_users[role]

    target, _, response = act(
        verb, user, owner=case_owner, colleague=colleague, cause=cause
    )

    assert response.status_code == 200
    assert [(kind, actor) for kind, actor, *_ in timeline(target)] == [
        (ACTIONS[verb][1], user.id)
    ]


@pytest.mark.parametrize("verb", list(ACTIONS))
@pytest.mark.parametrize("role", ["support", "outsider", "anonymous"])
def test_nobody_else_acts_on_a_case(
    role_users, case_owner, colleague, cause, verb, role
):
    target, before, response = act(
        verb, role_users[role], owner=case_owner, colleague=colleague, cause=cause
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
def test_who_may_read_cases_and_their_timelines(role_users, owned_case, role, status):
    client = bearer(role_users[role])

    codes = [client.get(path).status_code for path in [CASES, url(owned_case)]]
    codes.append(client.get(url(owned_case, "events")).status_code)

    assert codes == [status] * 3


def test_an_outsider_is_refused_before_the_input_is_read(outsider, owned_case):
    response = bearer(outsider).post(url(owned_case, "close"), {}, format="json")

    assert (response.status_code, response.json()) == (403, NOT_ALLOWED)


def test_an_inactive_managers_key_no_longer_works(manager, owned_case):
    client = bearer(manager)
    manager.is_active = False
    manager.save()

    response = client.post(url(owned_case, "note"), {"note": "Hi"}, format="json")

    assert response.status_code == 401
    assert timeline(owned_case) == []
