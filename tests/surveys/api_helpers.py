"""What the tests of the surveys API share: the moment they run at (their
`pytestmark` pins it), the endpoints' addresses, and a survey's state as the
API may change it."""

from datetime import UTC, datetime

from surveys.models import Survey

NOW = datetime(2025, 1, 31, 8, 0, tzinfo=UTC)
NOW_TEXT = "2025-01-31T08:00:00Z"
SURVEYS = "/api/v1/surveys/"
INVITATIONS = "/api/v1/invitations/"
RESPONSES = "/api/v1/responses/"
LISTS = [SURVEYS, INVITATIONS, RESPONSES]
UNKNOWN_CHOICE = (
    "Select a valid choice. That choice is not one of the available choices."
)


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
