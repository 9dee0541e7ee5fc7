import pytest
from django.db import IntegrityError, transaction

from feedback.models import Case, RootCause
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_one_case_per_response():
    case = CaseFactory.create()

    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory.create(response=case.response)


def test_many_manual_cases_need_no_response():
    first = CaseFactory.create(
        response=None, customer=CaseFactory.create().customer, reason="manual"
    )
    CaseFactory.create(response=None, customer=first.customer, reason="manual")

    assert Case.objects.filter(response=None).count() == 2


@pytest.mark.parametrize(
    ("root_cause", "resolution"), [(False, "Refunded"), (True, "")]
)
def test_a_case_cannot_close_without_root_cause_and_resolution(root_cause, resolution):
    cause = RootCause.objects.get(name="Billing") if root_cause else None

    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory.create(status="closed", root_cause=cause, resolution=resolution)


def test_the_default_root_causes_exist_in_order():
    assert list(RootCause.objects.values_list("name", flat=True)) == [
        "Product defect",
        "Slow response",
        "Billing",
        "Staff behaviour",
        "Missing feature",
        "Delivery",
        "Other",
    ]
