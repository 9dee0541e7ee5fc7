"""`/api/v1/metrics/funnel/`: the invitations of the range by how far they
got."""

from datetime import date, timedelta

import pytest

from surveys.models import Invitation, Kind, Survey
from tests.factories import InvitationFactory, SurveyFactory
from tests.feedback.metrics_api_helpers import (
    ABOUT,
    HOUR,
    NOW,
    RANGE,
    WEEK_47,
    at_noon,
    get,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


# Funnel


def invitation(survey: Survey, *, created: date, **fields) -> Invitation:
    return InvitationFactory.create(
        survey=survey, created_at=at_noon(created), **fields
    )


def test_the_funnel_counts_the_invitations_of_the_range_by_how_far_they_got(
    manager, nps_survey
):
    day = WEEK_47 + timedelta(days=2)
    sent = {"sent_at": at_noon(day)}
    opened = {**sent, "opened_at": at_noon(day) + HOUR}
    answered = {**opened, "answered_at": at_noon(day) + 2 * HOUR}
    for fields in [answered, answered]:
        invitation(nps_survey, created=day, status=Invitation.Status.ANSWERED, **fields)
    invitation(nps_survey, created=day, status=Invitation.Status.SENT, **opened)
    invitation(nps_survey, created=day, status=Invitation.Status.SENT, **sent)
    invitation(
        nps_survey, created=day, status=Invitation.Status.SCHEDULED, sent_at=None
    )
    for reason in ["throttled", "throttled", "opted_out"]:
        invitation(
            nps_survey,
            created=day,
            status=Invitation.Status.SUPPRESSED,
            suppressed_reason=reason,
            sent_at=None,
        )
    # Created before the range, and a CSAT survey's: not counted.
    invitation(nps_survey, created=date(2026, 11, 10), **answered)
    invitation(SurveyFactory.create(kind=Kind.CSAT), created=day, **answered)

    response = get(manager, "funnel", **RANGE)

    assert response.status_code == 200
    assert response.json() == {
        **ABOUT,
        "scheduled": 8,
        "suppressed": {"throttled": 2, "opted_out": 1},
        "suppressed_total": 3,
        "sent": 4,
        "opened": 3,
        "answered": 2,
        "response_rate": 50.0,
    }


def test_an_empty_funnel_has_no_response_rate(manager):
    response = get(manager, "funnel", **RANGE)

    assert response.json() == {
        **ABOUT,
        "scheduled": 0,
        "suppressed": {},
        "suppressed_total": 0,
        "sent": 0,
        "opened": 0,
        "answered": 0,
        "response_rate": None,
    }
