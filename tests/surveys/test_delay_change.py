"""A survey's new delay and the invitations already waiting for the old one:
moved only when the manager asks, never into the past."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from surveys.models import Invitation
from surveys.services import scheduling
from tests.factories import (
    CustomerFactory,
    InteractionFactory,
    InvitationFactory,
    SurveyFactory,
)

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def waiting(survey, *, resolved_minutes_ago: int, **fields) -> Invitation:
    """Planned when its interaction was resolved, for the survey's delay then."""
    resolved_at = NOW - timedelta(minutes=resolved_minutes_ago)
    fields.setdefault(
        "interaction",
        InteractionFactory.create(occurred_at=resolved_at, resolved_at=resolved_at),
    )
    fields.setdefault("scheduled_for", resolved_at + timedelta(minutes=60))
    return InvitationFactory.create(
        survey=survey, status="scheduled", sent_at=None, **fields
    )


def due_times(*invitations: Invitation) -> list:
    return [Invitation.objects.get(pk=i.pk).scheduled_for for i in invitations]


def test_waiting_invitations_move_to_the_new_delay_never_into_the_past():
    survey = SurveyFactory.create(delay_minutes=60)
    recent = waiting(survey, resolved_minutes_ago=10)
    older = waiting(survey, resolved_minutes_ago=50)
    survey.delay_minutes = 30
    survey.save()

    moved = scheduling.move_to_new_delay(survey, now=NOW)

    assert moved == 2
    assert due_times(recent, older) == [NOW + timedelta(minutes=20), NOW]


def test_what_does_not_wait_on_the_delay_stays_where_it_is():
    survey = SurveyFactory.create(delay_minutes=60)
    other_survey = waiting(SurveyFactory.create(), resolved_minutes_ago=10)
    manual = waiting(
        survey,
        resolved_minutes_ago=10,
        interaction=None,
        customer=CustomerFactory.create(),
    )
    held = waiting(survey, resolved_minutes_ago=10, scheduled_for=None)
    retrying = waiting(survey, resolved_minutes_ago=10, attempts=1)
    on_the_queue = waiting(survey, resolved_minutes_ago=10, queued_at=NOW)
    sent = InvitationFactory.create(survey=survey)
    rows = [other_survey, manual, held, retrying, on_the_queue, sent]
    before = due_times(*rows)
    survey.delay_minutes = 5
    survey.save()

    assert scheduling.move_to_new_delay(survey, now=NOW) == 0
    assert due_times(*rows) == before


def survey_form(survey, **changes) -> dict:
    return {
        "name": survey.name,
        "kind": survey.kind,
        "trigger": "interaction",
        "delay_minutes": survey.delay_minutes,
        "throttle_days": 0,
        "reminder_delay_days": 3,
        "max_reminders": 1,
        "expires_after_days": 30,
        "edit_window_hours": 24,
        "is_active": "on",
        **changes,
    }


def test_the_survey_form_offers_to_move_the_waiting_invitations(client, manager):
    survey = SurveyFactory.create(delay_minutes=60)
    waiting(survey, resolved_minutes_ago=10)
    waiting(survey, resolved_minutes_ago=20)
    idle = SurveyFactory.create()
    client.force_login(manager)

    offer = client.get(reverse("admin:surveys_survey_change", args=[survey.pk]))
    none = client.get(reverse("admin:surveys_survey_change", args=[idle.pk]))

    assert "Also move the 2 scheduled invitations to the new delay" in offer.text
    assert 'type="checkbox" name="move_scheduled"' in offer.text
    assert 'type="hidden" name="move_scheduled"' in none.text
    assert 'type="checkbox" name="move_scheduled"' not in none.text


def test_the_waiting_invitations_move_only_when_the_manager_ticks_the_box(
    client, manager
):
    survey = SurveyFactory.create(delay_minutes=60)
    invitation = waiting(survey, resolved_minutes_ago=10)
    url = reverse("admin:surveys_survey_change", args=[survey.pk])
    client.force_login(manager)

    unticked = client.post(url, survey_form(survey, delay_minutes=45))
    kept = due_times(invitation)
    ticked = client.post(
        url, survey_form(survey, delay_minutes=30, move_scheduled="on")
    )

    assert (unticked.status_code, ticked.status_code) == (302, 302)
    assert kept == [NOW + timedelta(minutes=50)]
    assert due_times(invitation) == [NOW + timedelta(minutes=20)]
    survey.refresh_from_db()
    assert survey.delay_minutes == 30
    said = [m.message for m in get_messages(ticked.wsgi_request)]
    assert said.count("1 scheduled invitation moved to the new delay.") == 1
