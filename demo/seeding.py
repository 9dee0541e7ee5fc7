"""What the demo company and the benchmark data share: the demo's touchpoints
and surveys, how long an interaction takes on each channel and a case's
deadline; and the fixed points that the demo company's modules share."""

from datetime import timedelta

from django.contrib.auth.models import User

from customers.models import Stage, Touchpoint
from demo import catalogue
from surveys.models import Kind, Survey

SEED = 2026
CASE_SLA = timedelta(hours=48)
STAGES = [stage.value for stage in Stage]
USAGE = STAGES.index(Stage.USAGE)
# How long an interaction on each channel takes to resolve (minutes).
HANDLING_MINUTES = {"email": (1, 72 * 60), "chat": (5, 30), "web": (0, 0)}
OWNERS = {"en": ["support", "tom.baker"], "zh-hans": ["li.na", "chen.jie"]}


def members_among(staff: dict[str, User], usernames: list[str]) -> list[User]:
    """The demo's logins among `usernames`, else all of them: `staff` holds
    only the logins the demo created, and a user somebody else created under a
    demo name is given no demo work. Empty when somebody holds every name."""
    members = [staff[name] for name in usernames if name in staff]
    return members or list(staff.values())


def ensure_touchpoints() -> dict[str, Touchpoint]:
    touchpoints = {}
    for entry in catalogue.TOUCHPOINTS:
        touchpoints[entry.name], _ = Touchpoint.objects.get_or_create(
            name=entry.name,
            defaults={"stage": entry.stage, "default_channel": entry.channel},
        )
    return touchpoints


def ensure_surveys(touchpoints: dict[str, Touchpoint]) -> dict[str, Survey]:
    definitions = [
        # (name, kind, delay in minutes, touchpoints that trigger it)
        (catalogue.NPS_SURVEY_NAME, Kind.NPS, 60, catalogue.SUPPORT_TOUCHPOINTS),
        (catalogue.CSAT_SURVEY_NAME, Kind.CSAT, 1440, catalogue.ONBOARDING_TOUCHPOINTS),
    ]
    surveys = {}
    for name, kind, delay_minutes, touchpoint_names in definitions:
        survey, created = Survey.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "trigger": Survey.Trigger.INTERACTION,
                "delay_minutes": delay_minutes,
            },
        )
        if created:
            survey.touchpoints.add(*(touchpoints[n] for n in touchpoint_names))
        surveys[name] = survey
    return surveys
