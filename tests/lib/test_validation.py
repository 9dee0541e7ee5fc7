"""Names and subjects are single lines (lib/validation.py), and the rows saved
before the rule are cleaned by the migrations that brought it."""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from customers.models import Customer, Interaction
from lib.validation import cleaned_line, single_line
from surveys.models import Survey
from tests.api import bearer
from tests.factories import CustomerFactory, InteractionFactory, SurveyFactory

MESSAGE = "Use one line without control characters (line breaks, tabs…)."


@pytest.mark.parametrize("value", ["Ada Lovelace", "王芳", "O'Brien & Söhne", ""])
def test_a_single_line_passes(value):
    single_line(value)


@pytest.mark.parametrize(
    "value",
    ["Eve\r\nBcc: victim@example.com", "Eve\nBcc", "tab\there", "c1\x85", "\x1b[31m"],
)
def test_a_line_break_or_any_control_character_is_refused(value):
    with pytest.raises(ValidationError, match="one line"):
        single_line(value)


def test_a_cleaned_line_has_a_space_for_each_run_of_control_characters():
    assert cleaned_line("Eve\r\n\tBcc: victim\x00") == "Eve Bcc: victim"


@pytest.mark.django_db
def test_the_api_refuses_a_name_with_a_line_break_and_names_the_field(support):
    response = bearer(support).post(
        "/api/v1/customers/",
        {"name": "Eve\r\nBcc: victim@example.com", "email": "eve@example.com"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"name": [MESSAGE]}
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_notes_keep_their_line_breaks_and_a_subject_may_not(support):
    customer = CustomerFactory.create()
    client = bearer(support)
    body = {"customer": customer.pk, "channel": "phone", "notes": "Called.\nAgain."}

    good = client.post("/api/v1/interactions/", body, format="json")
    bad = client.post(
        "/api/v1/interactions/", {**body, "subject": "Refund\nBcc: x"}, format="json"
    )

    assert good.status_code == 201
    assert bad.status_code == 400
    assert bad.json() == {"subject": [MESSAGE]}
    assert list(Interaction.objects.values_list("notes", flat=True)) == [
        "Called.\nAgain."
    ]


@pytest.mark.django_db
def test_the_migrations_clean_the_rows_saved_before_the_rule():
    customer = CustomerFactory.create()
    interaction = InteractionFactory.create(customer=customer)
    survey = SurveyFactory.create()
    # Saved as an old release would have: no validation.
    Customer.objects.filter(pk=customer.pk).update(name="Eve\r\nBcc: victim")
    Interaction.objects.filter(pk=interaction.pk).update(subject="Re:\tfund")
    Survey.objects.filter(pk=survey.pk).update(name="NPS\n")
    for module in [
        "customers.migrations.0005_single_line_names",
        "surveys.migrations.0008_single_line_names",
    ]:
        importlib.import_module(module).clean_existing_rows(apps, None)

    customer.refresh_from_db()
    interaction.refresh_from_db()
    survey.refresh_from_db()
    assert (customer.name, interaction.subject, survey.name) == (
        "Eve Bcc: victim",
        "Re: fund",
        "NPS",
    )
