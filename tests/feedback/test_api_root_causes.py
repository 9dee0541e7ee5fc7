"""The root-causes API: support reads them, managers keep them, a cause in
use is not deleted, outsiders see none."""

import pytest

from feedback.models import RootCause
from tests.api import bearer, ids
from tests.factories import RootCauseFactory
from tests.feedback.case_api_helpers import (
    DEFAULT_ROOT_CAUSES,
    NOW,
    ROOT_CAUSES,
    closed_case,
    row,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


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


def test_a_root_cause_a_case_has_is_not_deleted(manager, case_owner, cause):
    closed = closed_case(case_owner, cause)

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
