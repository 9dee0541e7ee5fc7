"""Every model that holds something about a customer is in the access export
or listed as left out with a reason (privacy.services.export.COVERED and
EXCLUDED). A new model with a foreign key to Customer — or to a model that
has one, however far down — fails here until someone decides."""

from collections.abc import Iterable

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from customers.models import Customer
from feedback.models import CaseEvent
from privacy.services.export import COVERED, EXCLUDED, SECTIONS


def label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def about_customers(every_model: Iterable[type[models.Model]]) -> set[str]:
    """The models that point at Customer, or at one that does, through a
    foreign key or a one-to-one field (many-to-many tables included)."""
    every_model = list(every_model)
    reached: set[type[models.Model]] = {Customer}
    grew = True
    while grew:
        grew = False
        for model in every_model:
            if model in reached:
                continue
            targets = {
                field.related_model
                for field in model._meta.get_fields(include_hidden=True)
                if field.concrete and (field.many_to_one or field.one_to_one)
            }
            if targets & reached:
                reached.add(model)
                grew = True
    return {label(model) for model in reached}


def not_decided(labels: set[str]) -> set[str]:
    return labels - set(COVERED) - set(EXCLUDED)


def installed_models() -> list[type[models.Model]]:
    return list(apps.get_models(include_auto_created=True))


def test_every_model_about_a_customer_is_exported_or_excluded_with_a_reason():
    assert not_decided(about_customers(installed_models())) == set()


def test_the_walk_goes_through_models_that_point_at_a_customers_rows():
    reached = about_customers(installed_models())

    # Answer → case → timeline → alert; answer → reading → themes.
    for name in (
        "feedback.CaseEvent",
        "feedback.Alert",
        "text.CommentAnalysis",
        "text.CommentTheme",
    ):
        assert name in reached
    # Pointed at by a customer, not pointing at one.
    assert "customers.Company" not in reached
    assert "auth.User" not in reached


@isolate_apps("privacy")
def test_a_new_model_pointing_at_a_customer_fails_until_it_is_decided():
    class LoyaltyCard(models.Model):  # noqa: DJ008
        customer = models.ForeignKey(Customer, on_delete=models.CASCADE)

        class Meta:
            app_label = "privacy"

    class Stamp(models.Model):  # noqa: DJ008
        card = models.ForeignKey(LoyaltyCard, on_delete=models.CASCADE)

        class Meta:
            app_label = "privacy"

    class CaseSticker(models.Model):  # noqa: DJ008
        event = models.OneToOneField(CaseEvent, on_delete=models.CASCADE)

        class Meta:
            app_label = "privacy"

    reached = about_customers([*installed_models(), LoyaltyCard, Stamp, CaseSticker])

    assert not_decided(reached) == {
        "privacy.LoyaltyCard",
        "privacy.Stamp",
        "privacy.CaseSticker",
    }


def test_every_exclusion_says_why_and_nothing_is_both():
    assert set(COVERED).isdisjoint(EXCLUDED)
    for name, reason in EXCLUDED.items():
        assert len(reason.split()) >= 5, name
        assert apps.get_model(name)


def test_every_covered_model_is_installed_and_has_a_section():
    for name, section in COVERED.items():
        assert apps.get_model(name)
        assert section in SECTIONS


@pytest.mark.parametrize("name", sorted(COVERED) + sorted(EXCLUDED))
def test_nothing_is_listed_that_no_customer_is_reached_by(name):
    assert name in about_customers(installed_models())
