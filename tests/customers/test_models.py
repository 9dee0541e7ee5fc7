import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Customer
from tests.factories import CompanyFactory, CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def test_email_is_unique_ignoring_case():
    CustomerFactory.create(email="Ann@Example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory.create(email="ann@example.COM")


def test_many_customers_may_have_no_email():
    CustomerFactory.create(email="")
    CustomerFactory.create(email="")

    assert Customer.objects.filter(email="").count() == 2


def test_external_id_is_unique_when_present():
    CustomerFactory.create(external_id="crm-1")
    CustomerFactory.create(external_id="")
    CustomerFactory.create(external_id="")

    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory.create(external_id="crm-1")


def test_company_external_id_is_unique_when_present():
    CompanyFactory.create(external_id="acct-9")
    CompanyFactory.create(external_id="")

    with pytest.raises(IntegrityError), transaction.atomic():
        CompanyFactory.create(external_id="acct-9")


def test_unknown_time_zone_is_refused():
    customer = CustomerFactory.build(timezone="Mars/Olympus", company=None)

    with pytest.raises(ValidationError) as error:
        customer.full_clean()

    assert "timezone" in error.value.message_dict


def test_an_interaction_cannot_be_resolved_without_a_time():
    with pytest.raises(IntegrityError), transaction.atomic():
        InteractionFactory.create(status="resolved", resolved_at=None)


def test_an_open_interaction_has_no_resolution_time():
    with pytest.raises(IntegrityError), transaction.atomic():
        InteractionFactory.create(status="open", resolved_at=timezone.now())
