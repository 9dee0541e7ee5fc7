"""Writes to survey definitions, whoever starts them (the API, the admin).

A survey with invitations is history: it is deactivated, never deleted, and
its kind (the scale its mails were sent with) no longer changes.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _

from customers.models import Touchpoint
from surveys.models import Survey

IN_USE = _(
    "This survey has invitations and cannot be deleted; deactivate it instead "
    "(set is_active to false)."
)


def validate_survey(survey: Survey) -> None:
    """The model's own validation, and the rules across fields."""
    survey.full_clean()
    if survey.trigger == Survey.Trigger.RECURRING and not survey.recurrence_days:
        raise ValidationError(
            {
                "recurrence_days": _(
                    "A recurring survey needs a recurrence of at least 1 day."
                )
            }
        )


@transaction.atomic
def create_survey(
    *, touchpoints: Iterable[Touchpoint | int] = (), **fields: Any
) -> Survey:
    survey = Survey(**fields)
    validate_survey(survey)
    survey.save()
    survey.touchpoints.set(touchpoints)
    return survey


@transaction.atomic
def update_survey(
    survey: Survey,
    *,
    touchpoints: Iterable[Touchpoint | int] | None = None,
    **changes: Any,
) -> Survey:
    """Apply the changes; `touchpoints` None leaves them as they are."""
    kind = changes.get("kind", survey.kind)
    if kind != survey.kind and survey.invitations.exists():
        raise ValidationError(
            {
                "kind": _(
                    "This survey has invitations: its kind cannot change. "
                    "Create a new survey instead."
                )
            }
        )
    for name, value in changes.items():
        setattr(survey, name, value)
    validate_survey(survey)
    survey.save()
    if touchpoints is not None:
        survey.touchpoints.set(touchpoints)
    return survey


def delete_survey(survey: Survey) -> None:
    """Delete a survey that was never used; one with invitations is refused."""
    if survey.invitations.exists():
        raise ValidationError(IN_USE, code="protected")
    try:
        # An invitation written since the check above is still refused, by
        # the PROTECT foreign key or, in a race, by the database.
        with transaction.atomic():
            survey.delete()
    except (ProtectedError, IntegrityError):
        raise ValidationError(IN_USE, code="protected") from None
