"""The `locked` event is written on the go-live day by beat's daily run of
`lock_due_pilots_task`, not only when someone next touches the pilot."""

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings

from pilots.models import Kpi, Pilot, PilotEvent
from pilots.tasks import lock_due_pilots_task
from tests.pilots.seeding import today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def test_beat_runs_the_lock_daily_just_after_midnight():
    entry = settings.CELERY_BEAT_SCHEDULE["lock-due-pilots"]

    assert entry["task"] == "pilots.tasks.lock_due_pilots_task"
    assert entry["schedule"] == crontab(minute=15, hour=0)


def pilot_going_live(days):
    kpi = Kpi.objects.create(name=f"NPS {days}", formula="nps")
    return Pilot.objects.create(
        name=f"Live in {days} days",
        hypothesis="h",
        primary_kpi=kpi,
        unit="customer",
        treated_share=0.5,
        go_live=today() + timedelta(days=days),
        planned_end=today() + timedelta(days=60),
        min_effect=5,
    )


def test_the_task_locks_the_pilots_going_live_on_the_day(frozen):
    live = pilot_going_live(0)
    tomorrow = pilot_going_live(1)

    assert lock_due_pilots_task() == 1

    locked = PilotEvent.objects.filter(action=PilotEvent.Action.LOCKED)
    assert list(locked.values_list("pilot", flat=True)) == [live.pk]
    event = locked.get()
    assert event.actor is None
    assert set(event.fields) == set(Pilot.LOCKED_FIELDS)
    assert {"variant_setting", "variant_value"} <= set(event.fields)

    frozen.shift(timedelta(days=1))
    assert lock_due_pilots_task() == 1
    assert locked.filter(pilot=tomorrow).count() == 1
    assert lock_due_pilots_task() == 0
