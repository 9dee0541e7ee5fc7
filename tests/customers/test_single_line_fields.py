"""A customer's phone, segment and external id, and a company's domain,
segment and external id are one line each (lib.validation.single_line): the
phone is printed in the case alert's plain-text mail, where a line break would
start a forged line. The API and the admin refuse a control character naming
the field; migration 0006 cleans the rows saved before."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from customers.models import Company, Customer
from tests.api import bearer
from tests.customers.test_admin import change_form_data
from tests.factories import CompanyFactory, CustomerFactory

pytestmark = pytest.mark.django_db

MESSAGE = "Use one line without control characters (line breaks, tabs…)."
FORGED = "x\r\nBcc: victim@example.com"
CUSTOMER_FIELDS = ["phone", "segment", "external_id"]
COMPANY_FIELDS = ["domain", "segment", "external_id"]
MIGRATION = "customers.migrations.0006_single_line_fields"


@pytest.mark.parametrize("field", CUSTOMER_FIELDS)
def test_the_api_refuses_a_line_break_in_a_customers_field(support, field):
    response = bearer(support).post(
        "/api/v1/customers/",
        {"name": "Eve", "email": "eve@example.com", field: FORGED},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {field: [MESSAGE]}
    assert not Customer.objects.exists()


@pytest.mark.parametrize("field", COMPANY_FIELDS)
def test_the_api_refuses_a_line_break_in_a_companys_field(manager, field):
    response = bearer(manager).post(
        "/api/v1/companies/", {"name": "Globex", field: FORGED}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {field: [MESSAGE]}
    assert not Company.objects.exists()


@pytest.mark.parametrize("value", ["+44\t20 7946 0000", "+44 20\x1b7946", "a\x85b"])
def test_the_api_refuses_any_control_character_in_a_phone_on_change(support, value):
    customer = CustomerFactory.create(phone="+44 20 7946 0000")

    response = bearer(support).patch(
        f"/api/v1/customers/{customer.pk}/", {"phone": value}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"phone": [MESSAGE]}
    customer.refresh_from_db()
    assert customer.phone == "+44 20 7946 0000"


def test_the_api_keeps_a_one_line_phone_segment_and_external_id(support):
    response = bearer(support).post(
        "/api/v1/customers/",
        {
            "name": "Ada",
            "phone": "+44 (20) 7946-0000",
            "segment": "SMB / 中小企业",
            "external_id": "CRM-1 A",
        },
        format="json",
    )

    assert response.status_code == 201
    assert Customer.objects.values_list("phone", "segment", "external_id").get() == (
        "+44 (20) 7946-0000",
        "SMB / 中小企业",
        "CRM-1 A",
    )


@pytest.mark.parametrize("field", CUSTOMER_FIELDS)
def test_the_admin_refuses_a_line_break_in_a_customers_field(client, support, field):
    customer = CustomerFactory.create(phone="", segment="", external_id="")
    client.force_login(support)
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    data = change_form_data(client.get(url))

    response = client.post(url, {**data, field: FORGED})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field: [MESSAGE]}
    assert Customer.objects.values_list(field, flat=True).get() == ""


@pytest.mark.parametrize("field", COMPANY_FIELDS)
def test_the_admin_refuses_a_line_break_in_a_companys_field(client, manager, field):
    client.force_login(manager)
    data = {"name": "Globex", "created_at_0": "2026-01-05", "created_at_1": "10:00"}

    response = client.post(
        reverse("admin:customers_company_add"), {**data, field: FORGED}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field: [MESSAGE]}
    assert not Company.objects.exists()


def clean_existing_rows() -> None:
    importlib.import_module(MIGRATION).clean_existing_rows(apps, None)


def test_the_migration_turns_each_field_of_the_rows_saved_before_into_one_line():
    company = CompanyFactory.create()
    customer = CustomerFactory.create()
    untouched = CustomerFactory.create(phone="+86 21 5555 0000", segment="Retail")
    # Saved as an old release would have: no validation.
    Company.objects.filter(pk=company.pk).update(
        domain="example.com\r\n", segment="\tEnterprise", external_id="ACME\n7"
    )
    Customer.objects.filter(pk=customer.pk).update(
        phone="+44 20\r\nBcc: victim@example.com",
        segment="SMB\x1b[31m",
        external_id="CRM\x85 42",
    )

    clean_existing_rows()

    assert Company.objects.values_list("domain", "segment", "external_id").get(
        pk=company.pk
    ) == ("example.com", "Enterprise", "ACME 7")
    assert Customer.objects.values_list("phone", "segment", "external_id").get(
        pk=customer.pk
    ) == ("+44 20 Bcc: victim@example.com", "SMB [31m", "CRM 42")
    assert Customer.objects.values_list("phone", "segment").get(pk=untouched.pk) == (
        "+86 21 5555 0000",
        "Retail",
    )


def test_an_external_id_that_cleans_into_another_rows_gets_its_own_id_after_it():
    """The external ids are unique: "A B" twice would break the constraint and
    stop the migration, so the row cleaned second keeps its own id after a #."""
    taken = CustomerFactory.create(external_id="A B")
    first = CustomerFactory.create()
    second = CustomerFactory.create()
    long = CustomerFactory.create(external_id="x" * 99)
    longer = CustomerFactory.create()
    emptied = [CustomerFactory.create(), CustomerFactory.create()]
    Customer.objects.filter(pk=first.pk).update(external_id="A\tB")
    Customer.objects.filter(pk=second.pk).update(external_id="A\nB")
    Customer.objects.filter(pk=longer.pk).update(external_id="x" * 99 + "\n")
    Customer.objects.filter(pk=emptied[0].pk).update(external_id="\r\n")
    Customer.objects.filter(pk=emptied[1].pk).update(external_id="\t")

    clean_existing_rows()

    ids = dict(Customer.objects.values_list("pk", "external_id"))
    assert ids[taken.pk] == "A B"
    assert {ids[first.pk], ids[second.pk]} == {
        f"A B #{first.pk}",
        f"A B #{second.pk}",
    }
    assert ids[long.pk] == "x" * 99
    suffix = f" #{longer.pk}"
    assert ids[longer.pk] == "x" * (100 - len(suffix)) + suffix
    assert len(ids[longer.pk]) == 100
    # Empty ids are no one's: both stay empty.
    assert [ids[row.pk] for row in emptied] == ["", ""]


def test_a_company_external_id_that_cleans_into_another_rows_is_kept_apart():
    CompanyFactory.create(external_id="ACME 7")
    company = CompanyFactory.create()
    Company.objects.filter(pk=company.pk).update(external_id="ACME\r\n7")

    clean_existing_rows()

    company.refresh_from_db()
    assert company.external_id == f"ACME 7 #{company.pk}"
