from datetime import UTC, datetime

import pytest

from customers.models import Interaction
from imports import services
from surveys.models import Invitation
from tests.factories import (
    CustomerFactory,
    SurveyFactory,
    TouchpointFactory,
    UserFactory,
)
from tests.imports.conftest import csv_bytes

pytestmark = pytest.mark.django_db


def import_interactions(text: str, *, user=None, **kwargs):
    return services.import_interactions(csv_bytes(text), user=user, **kwargs)


def test_interactions_are_imported_as_history_without_surveys(support):
    SurveyFactory.create()  # an interaction survey matching every interaction
    customer = CustomerFactory.create(email="ada@example.com", external_id="ext-1")
    touchpoint = TouchpointFactory.create(name="Support ticket", default_channel="chat")
    text = (
        "customer_email,customer_external_id,touchpoint,channel,direction,subject,"
        "notes,occurred_at,status\n"
        'ADA@example.com,,Support ticket,,outbound,Refund,"two\nlines",'
        "2024-03-01T10:00:00+08:00,\n"
        ",ext-1,,phone,,Call,,2024-03-02,open\n"
    )

    report = import_interactions(text, dry_run=False, user=support)

    assert (report.rows, report.created, report.failed) == (2, 2, 0)
    first, second = Interaction.objects.order_by("occurred_at")
    assert (
        first.customer_id,
        first.touchpoint_id,
        first.channel,
        first.direction,
        first.notes,
        first.occurred_at,
        first.status,
        first.resolved_at,
        first.logged_by_id,
    ) == (
        customer.pk,
        touchpoint.pk,
        "chat",
        "outbound",
        "two\nlines",
        datetime(2024, 3, 1, 2, 0, tzinfo=UTC),
        "resolved",
        datetime(2024, 3, 1, 2, 0, tzinfo=UTC),
        support.pk,
    )
    assert (second.channel, second.status, second.resolved_at) == (
        "phone",
        "open",
        None,
    )
    # History: no survey scheduled, not even a suppressed invitation.
    assert Invitation.objects.count() == 0


def test_schedule_surveys_saves_through_the_interaction_service(support):
    SurveyFactory.create()
    CustomerFactory.create(email="ada@example.com")

    report = import_interactions(
        "customer_email,channel,occurred_at\nada@example.com,phone,2024-03-01T10:00:00Z\n",
        dry_run=False,
        user=support,
        schedule_surveys=True,
    )

    assert report.created == 1
    assert Invitation.objects.count() == 1


def test_bad_rows_are_listed_and_good_ones_imported():
    CustomerFactory.create(email="a@example.com", external_id="ext-a")
    CustomerFactory.create(email="b@example.com", external_id="ext-b")
    text = (
        "customer_email,customer_external_id,touchpoint,channel,occurred_at,logged_by\n"
        "a@example.com,,,phone,2024-01-01T00:00:00Z,\n"
        "nobody@example.com,,,phone,2024-01-01T00:00:00Z,\n"
        "a@example.com,ext-b,,phone,2024-01-01T00:00:00Z,\n"
        ",,,phone,2024-01-01T00:00:00Z,\n"
        "a@example.com,,Nowhere,,2024-01-01T00:00:00Z,\n"
        "a@example.com,,,fax,2024-01-01T00:00:00Z,\n"
        "a@example.com,,,phone,yesterday,\n"
        "a@example.com,,,phone,,\n"
        "a@example.com,,,,2024-01-01T00:00:00Z,\n"
        "a@example.com,,,phone,2024-01-01T00:00:00Z,ghost\n"
    )

    report = import_interactions(text, dry_run=False)

    assert (report.rows, report.created, report.failed) == (10, 1, 9)
    assert [(error.line, error.column, error.message) for error in report.errors] == [
        (3, "customer_email", "No customer has this email or external id."),
        (
            4,
            "customer_external_id",
            "The email and the external id belong to two different customers.",
        ),
        (5, "customer_email", "Name the customer by email or external id."),
        (6, "touchpoint", "No touchpoint is called 'Nowhere'."),
        (
            7,
            "channel",
            "'fax' is not one of: email, phone, chat, meeting, in_person, social, "
            "web, other.",
        ),
        (
            8,
            "occurred_at",
            "'yesterday' is not an ISO 8601 time (e.g. 2025-03-01T14:30:00+08:00).",
        ),
        (9, "occurred_at", "When did it happen? This field is required."),
        (10, "channel", "A channel is required (or a touchpoint)."),
        (11, "logged_by", "No staff user is called 'ghost'."),
    ]
    assert Interaction.objects.count() == 1


def test_a_dry_run_writes_no_interaction():
    CustomerFactory.create(email="a@example.com")

    report = import_interactions(
        "customer_email,channel,occurred_at\na@example.com,phone,2024-01-01\n",
        dry_run=True,
    )

    assert (report.dry_run, report.created) == (True, 1)
    assert Interaction.objects.count() == 0


def test_logged_by_names_only_an_active_staff_user_and_defaults_to_the_importer(
    support, outsider
):
    CustomerFactory.create(email="a@example.com")
    UserFactory.create(username="gone", groups=["Support"], is_active=False)
    text = (
        "customer_email,channel,occurred_at,logged_by\n"
        "a@example.com,phone,2024-01-01,olly-outsider\n"
        "a@example.com,phone,2024-01-02,gone\n"
        "a@example.com,phone,2024-01-03,sam-support\n"
        "a@example.com,phone,2024-01-04,\n"
    )

    report = import_interactions(text, dry_run=False, user=support)

    assert [(error.line, error.message) for error in report.errors] == [
        (2, "No staff user is called 'olly-outsider'."),
        (3, "No staff user is called 'gone'."),
    ]
    assert list(
        Interaction.objects.order_by("occurred_at").values_list(
            "logged_by_id", flat=True
        )
    ) == [support.pk, support.pk]
