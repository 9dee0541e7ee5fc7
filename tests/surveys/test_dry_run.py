from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command

from customers.models import Interaction
from surveys.models import Invitation
from surveys.services.dry_run import dry_run
from tests.factories import (
    CustomerFactory,
    InteractionFactory,
    InvitationFactory,
    SurveyFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)


def resolved(customer, *, days_ago, **fields):
    moment = NOW - timedelta(days=days_ago)
    return InteractionFactory.create(
        customer=customer, occurred_at=moment, resolved_at=moment, **fields
    )


@pytest.fixture
def history():
    survey = SurveyFactory.create(name="After support", delay_minutes=60)
    twice, silent, other = CustomerFactory.create_batch(3)
    silent.email = ""
    silent.save()
    resolved(twice, days_ago=20)
    resolved(twice, days_ago=5)
    resolved(silent, days_ago=4)
    resolved(other, days_ago=3, survey_mode=Interaction.SurveyMode.SKIP)
    resolved(other, days_ago=40)  # before the window
    # A mail another survey really sent two days ago throttles this one.
    asked = CustomerFactory.create()
    InvitationFactory.create(
        customer=asked,
        interaction=None,
        status="sent",
        sent_at=NOW - timedelta(days=2),
        survey=SurveyFactory.create(trigger="manual"),
    )
    resolved(asked, days_ago=1)
    return survey


def test_a_dry_run_says_who_would_be_asked_and_why_not(history):
    before = Invitation.objects.count()

    result = dry_run(history, days=30, now=NOW)

    assert result.asked == 1
    assert dict(result.not_asked) == {
        "throttled": 2,
        "no_email": 1,
        "skipped_by_staff": 1,
    }
    assert [d.reason for d in result.decisions] == [
        "",
        "throttled",  # the same customer 15 days later
        "no_email",
        "skipped_by_staff",
        "throttled",  # another survey's mail two days ago
    ]
    assert Invitation.objects.count() == before  # nothing written


def test_the_dry_run_command_prints_the_decisions(history, capsys):
    # The command looks back from the clock: the history is dated from NOW.
    with time_machine.travel(NOW, tick=False):
        call_command("survey_dry_run", str(history.pk), "--days", "30")

    output = capsys.readouterr().out
    assert "1 of 5 would be asked over the last 30 days." in output
    assert "not asked, Throttled (global rule): 2" in output
    assert "No email address" in output


def test_the_dry_run_command_refuses_a_bad_survey_or_period():
    with pytest.raises(CommandError, match="no survey with id 999"):
        call_command("survey_dry_run", "999")
    survey = SurveyFactory.create()
    with pytest.raises(CommandError, match="at least 1"):
        call_command("survey_dry_run", str(survey.pk), "--days", "0")


def test_a_recurring_dry_run_lists_weekday_mornings():
    survey = SurveyFactory.create(trigger="recurring", recurrence_days=7)
    CustomerFactory.create_batch(10)

    result = dry_run(survey, days=14, now=NOW)

    assert result.asked == 10  # a period of 5 weekdays, within 14 days
    assert result.total == 20  # everyone twice; the second time throttled
    assert all(d.at.weekday() < 5 for d in result.decisions)
