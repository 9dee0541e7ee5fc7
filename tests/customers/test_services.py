from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from customers import services
from customers.models import Customer, Interaction
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.mark.now(NOW)
def test_an_interaction_logged_as_resolved_was_resolved_when_it_happened(support):
    interaction = services.log_interaction(
        customer=CustomerFactory.create(),
        channel="phone",
        logged_by=support,
        occurred_at=NOW - timedelta(hours=2),
    )

    assert interaction.status == "resolved"
    assert interaction.resolved_at == NOW - timedelta(hours=2)
    assert interaction.logged_by == support


@pytest.mark.now(NOW)
def test_an_interaction_resolved_later_is_resolved_now(support):
    interaction = services.log_interaction(
        customer=CustomerFactory.create(),
        channel="chat",
        logged_by=support,
        status="open",
        occurred_at=NOW - timedelta(days=1),
    )
    assert interaction.resolved_at is None

    services.update_interaction(interaction, status="resolved")

    interaction.refresh_from_db()
    assert interaction.resolved_at == NOW


@pytest.mark.now(NOW)
def test_a_future_interaction_logged_as_resolved_is_resolved_now(support):
    interaction = services.log_interaction(
        customer=CustomerFactory.create(),
        channel="meeting",
        logged_by=support,
        occurred_at=NOW + timedelta(days=3),
    )

    assert interaction.resolved_at == NOW


def test_reopening_clears_the_resolution_time(support):
    interaction = services.log_interaction(
        customer=CustomerFactory.create(), channel="email", logged_by=support
    )

    services.update_interaction(interaction, status="open")

    assert Interaction.objects.get().resolved_at is None


def test_a_bad_channel_is_a_validation_error_and_saves_nothing(support):
    with pytest.raises(ValidationError) as error:
        services.log_interaction(
            customer=CustomerFactory.create(), channel="fax", logged_by=support
        )

    assert "channel" in error.value.message_dict
    assert not Interaction.objects.exists()


def test_a_second_customer_with_the_same_email_in_other_case_is_refused():
    services.create_customer(name="Ann", email="ann@example.com")

    with pytest.raises(ValidationError) as error:
        services.create_customer(name="Ann again", email="ANN@example.com")

    assert error.value.messages == ["A customer with this email already exists."]
    assert Customer.objects.count() == 1
