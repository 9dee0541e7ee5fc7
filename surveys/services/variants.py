"""A running pilot's variant of one of Touchloop's own settings for one
customer, asked of the apps above (settings.HOOKS["variant"]; pilots answers
it). Surveys (the mail's question, the reminder delay) and feedback (the
follow-up SLA, the assignment rule) ask it where they use the setting."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from lib import hooks


def pilot_variant(
    setting: str,
    *,
    customer_id: int | None,
    now: datetime,
    survey_id: int | None = None,
) -> dict[str, Any] | None:
    """The value the customer gets under a running pilot of `setting`; None:
    the setting as configured (no pilot, a control customer, or an unsaved
    customer, as a preview's)."""
    if customer_id is None:
        return None
    answers = hooks.gather(
        "variant",
        setting=setting,
        customer_id=customer_id,
        survey_id=survey_id,
        today=timezone.localdate(now, timezone=timezone.get_default_timezone()),
    )
    return answers[0] if answers else None
