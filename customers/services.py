"""Writes to customers, companies and interactions, whoever starts them.

The admin, the API, the demo seeder and later the importers all come here, so
that validation and derived fields (an interaction's `resolved_at`) are the
same everywhere.
"""

from datetime import datetime
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.db import models, transaction
from django.utils import timezone

from customers.models import Company, Customer, Interaction, Touchpoint
from lib import hooks
from lib.validation import save_validated

M = TypeVar("M", bound=models.Model)


def apply_changes(instance: M, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        setattr(instance, name, value)


def create_company(**fields: Any) -> Company:
    return save_validated(Company(**fields))


def update_company(company: Company, **changes: Any) -> Company:
    apply_changes(company, changes)
    return save_validated(company)


def create_customer(**fields: Any) -> Customer:
    return save_validated(Customer(**fields))


def update_customer(customer: Customer, **changes: Any) -> Customer:
    apply_changes(customer, changes)
    return save_validated(customer)


def create_touchpoint(**fields: Any) -> Touchpoint:
    return save_validated(Touchpoint(**fields))


def update_touchpoint(touchpoint: Touchpoint, **changes: Any) -> Touchpoint:
    apply_changes(touchpoint, changes)
    return save_validated(touchpoint)


def sync_resolved_at(interaction: Interaction, *, now: datetime) -> None:
    """Keep `resolved_at` true to `status`.

    An interaction logged as already resolved was resolved when it happened;
    one resolved later was resolved now. Reopening clears the time.
    """
    if interaction.status == Interaction.Status.OPEN:
        interaction.resolved_at = None
    elif interaction.resolved_at is None:
        is_new = interaction._state.adding
        interaction.resolved_at = min(interaction.occurred_at, now) if is_new else now


@transaction.atomic
def save_interaction(interaction: Interaction) -> Interaction:
    """Save, and let the survey loop react (schedule, hold or suppress a survey)
    in the same transaction: no interaction is saved without its decision."""
    sync_resolved_at(interaction, now=timezone.now())
    is_new = interaction._state.adding
    save_validated(interaction)
    if is_new:
        hooks.announce("interaction_created", interaction=interaction)
    hooks.announce("interaction_saved", interaction=interaction)
    return interaction


def log_interaction(
    *, customer: Customer, channel: str, logged_by: User | None, **fields: Any
) -> Interaction:
    interaction = Interaction(
        customer=customer, channel=channel, logged_by=logged_by, **fields
    )
    return save_interaction(interaction)


def update_interaction(interaction: Interaction, **changes: Any) -> Interaction:
    apply_changes(interaction, changes)
    return save_interaction(interaction)
