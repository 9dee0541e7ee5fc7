"""manage.py erase_customer CUSTOMER_ID [--mode anonymise|delete]."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from customers.models import Customer, SuppressedAddress
from privacy.models import ErasureRecord
from surveys.models import SurveyResponse
from tests.factories import CustomerFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db


def erase(*args: str) -> str:
    out = StringIO()
    call_command("erase_customer", *args, stdout=out)
    return out.getvalue()


def test_the_command_anonymises_by_default_and_prints_the_counts():
    customer = CustomerFactory.create(email="cmd@example.com")
    SurveyResponseFactory.create(invitation__interaction__customer=customer)

    output = erase(str(customer.pk))

    lines = output.splitlines()
    assert lines[0] == f"Customer #{customer.pk} erased (anonymise)."
    assert "answers_anonymised: 1" in lines
    assert "suppressed: 1" in lines
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert SurveyResponse.objects.get().customer.erased_at is not None
    assert SuppressedAddress.objects.is_suppressed("cmd@example.com")


def test_the_command_deletes_with_mode_delete():
    customer = CustomerFactory.create()
    SurveyResponseFactory.create(invitation__interaction__customer=customer)

    output = erase(str(customer.pk), "--mode", "delete")

    assert f"Customer #{customer.pk} erased (delete)." in output
    assert "answers_deleted: 1" in output.splitlines()
    assert not SurveyResponse.objects.exists()
    assert ErasureRecord.objects.get().answers_removed == 1


def test_a_second_run_says_the_customer_was_erased_already():
    customer = CustomerFactory.create()
    erase(str(customer.pk))
    record = ErasureRecord.objects.get()

    output = erase(str(customer.pk))

    assert output == (
        f"Customer #{customer.pk} was erased already "
        f"(anonymise, {record.erased_at.isoformat()}).\n"
    )
    assert ErasureRecord.objects.count() == 1


def test_an_unknown_id_is_an_error():
    with pytest.raises(CommandError, match=r"^No customer has the id 999999\.$"):
        erase("999999")


def test_an_unknown_mode_is_refused():
    customer = CustomerFactory.create()

    with pytest.raises(CommandError, match="invalid choice: 'shred'"):
        erase(str(customer.pk), "--mode", "shred")
    assert Customer.objects.filter(pk=customer.pk).exists()
