"""The permission matrix: who may make which call, with a session, a token of
either scope, a dead token, or nothing. Every refusal changes nothing."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from customers.models import Interaction
from feedback.models import Case, CaseEvent, RootCause
from surveys.models import Invitation
from tests.factories import (
    ApiTokenFactory,
    CaseFactory,
    CustomerFactory,
    UserFactory,
)

NOW = datetime(2027, 5, 4, 9, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]

ALLOWED = "allowed"
READ_ONLY = {"detail": "This token may only read."}
NOT_ALLOWED = {"detail": "You do not have permission to perform this action."}
NOT_A_MANAGER = {"detail": "Only managers may see the metrics."}
NOT_THE_OWNER = {"detail": "Only the case's owner or a manager may close it."}
NOT_SIGNED_IN = {"detail": "Authentication credentials were not provided."}
EXPIRED = {"detail": "This token has expired."}
REVOKED = {"detail": "This token has been revoked."}


@pytest.fixture
def world(db):
    """A customer, and an open case owned by a support colleague of `support`."""
    owner = UserFactory.create(username="oona-owner", groups=["Support"])
    customer = CustomerFactory.create()
    case = CaseFactory.create(owner=owner, created_at=NOW - HOUR)
    return {"customer": customer, "case": case}


def client_of(who: str, support, manager, outsider) -> APIClient:
    client = APIClient()
    if who == "support session":
        client.force_login(support)
    elif who == "manager session":
        client.force_login(manager)
    elif who != "anonymous":
        user, scope, changes = {
            "manager read token": (manager, "read", {}),
            "manager write token": (manager, "write", {}),
            "support write token": (support, "write", {}),
            "outsider write token": (outsider, "write", {}),
            "expired token": (manager, "write", {"expires_at": NOW - HOUR}),
            "revoked token": (manager, "write", {"revoked_at": NOW - HOUR}),
        }[who]
        token = ApiTokenFactory.create(user=user, scope=scope, **changes)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    return client


def list_customers(client: APIClient, world: dict):
    return client.get("/api/v1/customers/")


def create_interaction(client: APIClient, world: dict):
    return client.post(
        "/api/v1/interactions/",
        {
            "customer": world["customer"].id,
            "channel": "phone",
            "subject": "Billing question",
            "occurred_at": "2027-05-04T09:00:00Z",
        },
        format="json",
    )


def close_case(client: APIClient, world: dict):
    return client.post(
        f"/api/v1/cases/{world['case'].id}/close/",
        {
            "root_cause": RootCause.objects.get(name="Billing").id,
            "resolution": "Refunded the fee.",
        },
        format="json",
    )


def metrics_trend(client: APIClient, world: dict):
    return client.get("/api/v1/metrics/trend/")


CALLS = {
    "list customers": (list_customers, 200),
    "create interaction": (create_interaction, 201),
    "close a case": (close_case, 200),
    "metrics trend": (metrics_trend, 200),
}

# who: the answer to each call, in the order of CALLS: ALLOWED (the call's
# own success status), or the status and body of the refusal.
MATRIX: dict[str, list[Any]] = {
    "support session": [
        ALLOWED,
        ALLOWED,
        (403, NOT_THE_OWNER),
        (403, NOT_A_MANAGER),
    ],
    "manager session": [ALLOWED, ALLOWED, ALLOWED, ALLOWED],
    "manager read token": [ALLOWED, (403, READ_ONLY), (403, READ_ONLY), ALLOWED],
    "manager write token": [ALLOWED, ALLOWED, ALLOWED, ALLOWED],
    "support write token": [
        ALLOWED,
        ALLOWED,
        (403, NOT_THE_OWNER),
        (403, NOT_A_MANAGER),
    ],
    "outsider write token": [
        (403, NOT_ALLOWED),
        (403, NOT_ALLOWED),
        (403, NOT_ALLOWED),
        (403, NOT_A_MANAGER),
    ],
    "expired token": [(401, EXPIRED)] * 4,
    "revoked token": [(401, REVOKED)] * 4,
    "anonymous": [(401, NOT_SIGNED_IN)] * 4,
}

CASES = [
    pytest.param(who, call, answer, id=f"{who}: {call}")
    for who, answers in MATRIX.items()
    for call, answer in zip(CALLS, answers, strict=True)
]


def state(world: dict) -> tuple:
    """Everything a refused call might have changed."""
    case = Case.objects.get(pk=world["case"].pk)
    return (
        list(Interaction.objects.values_list("id", flat=True)),
        list(CaseEvent.objects.values_list("id", flat=True)),
        list(Invitation.objects.values_list("id", flat=True)),
        (case.status, case.closed_at, case.root_cause_id, case.resolution),
    )


@pytest.mark.parametrize(("who", "call", "answer"), CASES)
def test_the_permission_matrix(world, support, manager, outsider, who, call, answer):
    client = client_of(who, support, manager, outsider)
    make_call, success = CALLS[call]
    before = state(world)

    response = make_call(client, world)

    if answer == ALLOWED:
        assert response.status_code == success, response.content
        return
    status, body = answer
    assert (response.status_code, response.json()) == (status, body)
    assert state(world) == before


@pytest.mark.parametrize("who", ["manager session", "manager write token"])
def test_an_allowed_write_really_happens(world, support, manager, outsider, who):
    client = client_of(who, support, manager, outsider)

    created = create_interaction(client, world)
    closed = close_case(client, world)

    interaction = Interaction.objects.get(subject="Billing question")
    assert (created.json()["id"], interaction.logged_by) == (interaction.id, manager)
    case = Case.objects.get(pk=world["case"].pk)
    assert (closed.json()["status"], case.status, case.closed_at) == (
        "closed",
        "closed",
        NOW,
    )
