"""Randomised pilots of Touchloop's own settings (issue 19, item 6).

A randomised pilot may vary one setting for its treated customers:

- "survey_mail_text": {"survey": id, "question_en": text, "question_zh_hans":
  text} — the question the survey's mail asks (a blank language keeps the
  survey's own question);
- "reminder_delay": {"hours": h, "survey": id or null} — the delay before a
  reminder, for one survey or all;
- "case_sla": {"normal": h, "urgent": h} — the first-contact deadline of a
  case, per priority (a priority left out keeps settings.CASE_SLA_HOURS);
- "assignment_rule": {"rule": "owners_first" | "round_robin", "group":
  name} — who gets a new case: the customer's or company's owner first,
  then round robin (as configured), or round robin at once; `group` replaces
  settings.CASE_FALLBACK_GROUP for the round robin.

The lower apps ask through `lib.hooks.gather("variant", setting=…,
customer_id=…, survey_id=…, today=…)` where they use the setting;
`variant_for` answers the treated customers' value, or None (the setting as
configured). While the pilot runs (go-live ≤ today < planned end) a
customer is assigned on first asking, by hash, and the assignment stored
once (PilotAssignment). A call costs one query when no variant pilot runs.
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.contrib.auth.models import Group
from django.utils.translation import gettext as _

from pilots.models import Pilot, PilotAssignment, VariantSetting
from pilots.services.groups import assign_customer
from surveys.models import Survey

MAX_HOURS = 365 * 24
MAX_QUESTION = 2_000
RULES = ("owners_first", "round_robin")
SURVEY_SETTINGS = (VariantSetting.SURVEY_MAIL_TEXT, VariantSetting.REMINDER_DELAY)


def running_variants(setting: str, *, today: date) -> list[Pilot]:
    """The pilots varying `setting` today (one query): from go-live to the
    planned end, both included, as the result counts them."""
    return list(
        Pilot.objects.filter(
            variant_setting=setting, go_live__lte=today, planned_end__gte=today
        ).order_by("pk")
    )


def applies_to(pilot: Pilot, survey_id: int | None) -> bool:
    """A survey's variant applies to that survey's mails only."""
    value = pilot.variant_value or {}
    wanted = value.get("survey") if isinstance(value, dict) else None
    return wanted is None or wanted == survey_id


def variant_for(
    *,
    setting: str,
    customer_id: int | None,
    today: date,
    survey_id: int | None = None,
    **_payload: Any,
) -> dict[str, Any] | None:
    """The hook "variant": the value the customer gets under a running
    pilot of `setting` when treated; None when in control, or when no pilot
    varies the setting (the caller keeps the configured value), or for a
    customer not saved (a preview)."""
    if customer_id is None:
        return None
    for pilot in running_variants(setting, today=today):
        if pilot.treated_share is None or not applies_to(pilot, survey_id):
            continue
        assignment = assign_customer(pilot, customer_id)
        if assignment.group == PilotAssignment.Group.TREATED:
            value: dict[str, Any] = dict(pilot.variant_value or {})
            return value
        return None
    return None


# Checking a design


def _hours(value: Any) -> bool:
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and 0 < value <= MAX_HOURS
    )


def _survey_error(value: Any, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return _("Give the survey's id.")
    if not Survey.objects.filter(pk=value).exists():
        return _("No survey has the id %(id)s.") % {"id": value}
    return None


def _mail_text_error(value: dict[str, Any]) -> str | None:
    allowed = {"survey", "question_en", "question_zh_hans"}
    if set(value) - allowed:
        return _("Give only survey, question_en and question_zh_hans.")
    message = _survey_error(value.get("survey"), required=True)
    if message:
        return message
    texts = [value.get("question_en", ""), value.get("question_zh_hans", "")]
    if not all(isinstance(text, str) and len(text) <= MAX_QUESTION for text in texts):
        return _("Give each question as a text of at most %(count)d characters.") % {
            "count": MAX_QUESTION
        }
    if not any(text.strip() for text in texts):
        return _(
            "Give the question the treated customers' mail asks, in English "
            "(question_en), Chinese (question_zh_hans) or both."
        )
    return None


def _reminder_error(value: dict[str, Any]) -> str | None:
    if set(value) - {"hours", "survey"}:
        return _("Give only hours and, for one survey, survey.")
    if not _hours(value.get("hours")):
        return _("Give the reminder delay in whole hours, from 1 to %(max)d.") % {
            "max": MAX_HOURS
        }
    return _survey_error(value.get("survey"), required=False)


def _sla_error(value: dict[str, Any]) -> str | None:
    if not value or set(value) - {"normal", "urgent"}:
        return _(
            "Give the follow-up SLA in hours per priority: normal, urgent or both."
        )
    if not all(_hours(hours) for hours in value.values()):
        return _("Give each SLA in whole hours, from 1 to %(max)d.") % {
            "max": MAX_HOURS
        }
    return None


def _rule_error(value: dict[str, Any]) -> str | None:
    if set(value) - {"rule", "group"} or value.get("rule") not in RULES:
        return _(
            "Give the rule: \"owners_first\" (the customer's or company's "
            'owner, then round robin) or "round_robin", and optionally the '
            "group whose members take turns."
        )
    group = value.get("group")
    if group is not None and (
        not isinstance(group, str) or not Group.objects.filter(name=group).exists()
    ):
        return _("No group is named %(name)s.") % {"name": group}
    return None


CHECKS = {
    VariantSetting.SURVEY_MAIL_TEXT: _mail_text_error,
    VariantSetting.REMINDER_DELAY: _reminder_error,
    VariantSetting.CASE_SLA: _sla_error,
    VariantSetting.ASSIGNMENT_RULE: _rule_error,
}


def variant_errors(
    fields: Mapping[str, Any], *, pilot_id: int | None
) -> dict[str, str]:
    """Why the design's variant is refused, by field (none: accepted).
    Run once the dates are valid."""
    setting = fields.get("variant_setting") or ""
    value = fields.get("variant_value")
    if setting not in VariantSetting.values:
        return {
            "variant_setting": _("Choose one of %(choices)s.")
            % {"choices": ", ".join(v for v in VariantSetting.values if v)}
        }
    if not setting:
        if value not in (None, {}):
            return {"variant_value": _("Choose the setting the value is for first.")}
        return {}
    if fields.get("treated_share") is None:
        return {
            "variant_setting": _(
                "Only a randomised pilot (treated_share set: Touchloop draws "
                "the groups) may vary a setting."
            )
        }
    if not isinstance(value, dict):
        return {
            "variant_value": _(
                "Give the treated customers' value as an object (see the "
                "setting's description)."
            )
        }
    message = CHECKS[VariantSetting(setting)](value)
    if message:
        return {"variant_value": message}
    clash = _overlapping(setting, value, fields, pilot_id=pilot_id)
    if clash is not None:
        return {
            "variant_setting": _(
                "The pilot %(name)s varies this setting from %(start)s to "
                "%(end)s: two variants of one setting at once would mix "
                "their effects."
            )
            % {"name": clash.name, "start": clash.go_live, "end": clash.planned_end}
        }
    return {}


def _overlapping(
    setting: str,
    value: dict[str, Any],
    fields: Mapping[str, Any],
    *,
    pilot_id: int | None,
) -> Pilot | None:
    others = Pilot.objects.filter(
        variant_setting=setting,
        go_live__lte=fields["planned_end"],
        planned_end__gte=fields["go_live"],
    )
    if pilot_id is not None:
        others = others.exclude(pk=pilot_id)
    for other in others.order_by("pk"):
        if setting in SURVEY_SETTINGS:
            mine, theirs = (
                value.get("survey"),
                (other.variant_value or {}).get("survey"),
            )
            if mine is not None and theirs is not None and mine != theirs:
                continue
        return other
    return None
