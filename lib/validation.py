"""Saving a model instance the way every service of every app does, and the
validators several apps' fields share."""

import re
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _

# C0 and C1 control characters, line breaks and tabs among them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The same but NUL, which Django's and DRF's own validator refuses with its
# own message (one message for one mistake).
CONTROL_CHARACTERS_BUT_NUL = re.compile(r"[\x01-\x1f\x7f-\x9f]")


def single_line(value: str) -> None:
    """A name or a subject is one line: a line break in it would start a
    forged line wherever it is shown as text (a mail body, a CSV, a log)."""
    if CONTROL_CHARACTERS_BUT_NUL.search(value):
        raise ValidationError(
            _("Use one line without control characters (line breaks, tabs…)."),
            code="control_characters",
        )


def cleaned_line(value: str) -> str:
    """`value` as one line: each run of control characters becomes a space."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", value).split())


def rows_cleaner(
    app_label: str, fields: list[tuple[str, str]]
) -> Callable[[Any, Any], None]:
    """A migration's RunPython function for the rows saved before a field was
    single_line: each run of control characters in `fields` ((model name,
    field name) of the app) becomes a space. The database finds the few rows
    (NUL is not sought: PostgreSQL text cannot hold it, forms refused it)."""

    def clean_existing_rows(apps: Any, schema_editor: Any) -> None:
        for model_name, field in fields:
            model = apps.get_model(app_label, model_name)
            lookup = {f"{field}__regex": CONTROL_CHARACTERS_BUT_NUL.pattern}
            for row in model.objects.filter(**lookup).only("pk", field).iterator():
                model.objects.filter(pk=row.pk).update(
                    **{field: cleaned_line(getattr(row, field))}
                )

    return clean_existing_rows


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
