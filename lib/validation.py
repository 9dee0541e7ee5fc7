"""Saving a model instance the way every service of every app does."""

from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

M = TypeVar("M", bound=models.Model)


def save_validated(instance: M) -> M:
    """Validate, then save; a race lost to a constraint is a ValidationError too."""
    instance.full_clean()
    try:
        # The savepoint keeps an outer transaction usable after a lost race.
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        name = instance._meta.verbose_name
        raise ValidationError(
            f"This {name} conflicts with one saved at the same time."
        ) from error
    return instance
