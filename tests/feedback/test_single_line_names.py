"""A root cause's name and a holiday's name are one line each
(lib.validation.single_line): the API and the admin refuse a control
character naming the field, and migration 0011 cleans the rows saved before."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from feedback.models import Holiday, RootCause
from tests.api import bearer
from tests.factories import RootCauseFactory

pytestmark = pytest.mark.django_db

MESSAGE = "Use one line without control characters (line breaks, tabs…)."
FORGED = "Billing\r\nBcc: victim@example.com"
ROOT_CAUSES = "/api/v1/root-causes/"
MIGRATION = "feedback.migrations.0011_single_line_fields"


def test_the_api_refuses_a_root_cause_named_over_two_lines(manager):
    before = RootCause.objects.count()

    response = bearer(manager).post(ROOT_CAUSES, {"name": FORGED}, format="json")

    assert response.status_code == 400
    assert response.json() == {"name": [MESSAGE]}
    assert RootCause.objects.count() == before


def test_the_api_refuses_a_tab_in_a_root_causes_new_name(manager):
    cause = RootCauseFactory.create(name="Onboarding")

    response = bearer(manager).patch(
        f"{ROOT_CAUSES}{cause.pk}/", {"name": "On\tboarding"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"name": [MESSAGE]}
    cause.refresh_from_db()
    assert cause.name == "Onboarding"


def test_the_admin_refuses_a_root_cause_named_over_two_lines(client, manager):
    client.force_login(manager)
    before = RootCause.objects.count()

    response = client.post(
        reverse("admin:feedback_rootcause_add"),
        {"name": FORGED, "position": "0", "is_active": "on"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"name": [MESSAGE]}
    assert RootCause.objects.count() == before


def test_the_admin_refuses_a_holiday_named_over_two_lines(client, manager):
    client.force_login(manager)

    response = client.post(
        reverse("admin:feedback_holiday_add"),
        {"date": "2026-12-25", "name": "Christmas\nBcc: victim@example.com"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"name": [MESSAGE]}
    assert not Holiday.objects.exists()


def clean_existing_rows() -> None:
    importlib.import_module(MIGRATION).clean_existing_rows(apps, None)


def test_the_migration_turns_the_names_saved_before_into_one_line():
    holiday = Holiday.objects.create(date="2026-12-25", name="Christmas\r\nDay")
    plain = Holiday.objects.create(date="2026-12-26", name="Boxing Day")
    cause = RootCauseFactory.create(name="Onboarding")
    RootCause.objects.filter(pk=cause.pk).update(name="On\x1bboarding\n")

    clean_existing_rows()

    assert dict(Holiday.objects.values_list("pk", "name")) == {
        holiday.pk: "Christmas Day",
        plain.pk: "Boxing Day",
    }
    assert RootCause.objects.get(pk=cause.pk).name == "On boarding"


def test_a_root_cause_that_cleans_into_another_ones_name_gets_its_id_after_it():
    """Names are unique: a second "Billing" would break the constraint and
    stop the migration."""
    billing = RootCause.objects.get(name="Billing")
    twin = RootCauseFactory.create(name="Twin")
    blank = RootCauseFactory.create(name="Blank")
    blanker = RootCauseFactory.create(name="Blanker")
    RootCause.objects.filter(pk=twin.pk).update(name="Billing\r\n")
    RootCause.objects.filter(pk=blank.pk).update(name="\n")
    RootCause.objects.filter(pk=blanker.pk).update(name="\t")

    clean_existing_rows()

    names = dict(RootCause.objects.values_list("pk", "name"))
    assert names[billing.pk] == "Billing"
    assert names[twin.pk] == f"Billing #{twin.pk}"
    # Two names of nothing but control characters: one is left empty, the
    # other (cleaned second) is named by its id.
    assert sorted([names[blank.pk], names[blanker.pk]]) in (
        ["", f"#{blanker.pk}"],
        ["", f"#{blank.pk}"],
    )
