"""What the tests of the cases and root-causes API share (test_api_cases_*.py,
test_api_root_causes.py): the moment they run at (their `pytestmark` pins it),
the endpoints' addresses, the API's refusals and the helpers that make and read
cases; their fixtures are in conftest.py."""

from datetime import UTC, datetime, timedelta

from feedback.models import Case
from tests.factories import CaseFactory, CustomerFactory, UserFactory

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


def gone_staff():
    """A staff member who has left: inactive."""
    return UserFactory.create(
        username="gone-staff", is_active=False, is_staff=True, password=None
    )


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
