"""/api/v1/companies/."""

from datetime import timedelta

import pytest

from customers.models import Company
from tests.api import bearer
from tests.customers.api_helpers import COMPANIES, NOW, NOW_TEXT
from tests.factories import (
    CompanyFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def test_a_company_is_read_with_every_field(support):
    owner = UserFactory.create(is_staff=True)
    company = CompanyFactory.create(
        name="Acme",
        domain="acme.example",
        segment="enterprise",
        owner=owner,
        external_id="acct-1",
    )

    response = bearer(support).get(f"{COMPANIES}{company.id}/")

    assert response.json() == {
        "id": company.id,
        "name": "Acme",
        "domain": "acme.example",
        "segment": "enterprise",
        "owner": owner.id,
        "external_id": "acct-1",
        "created_at": NOW_TEXT,
        "updated_at": NOW_TEXT,
    }


def test_support_creates_and_renames_a_company(support):
    client = bearer(support)

    created = client.post(COMPANIES, {"name": "Acme", "segment": "smb"}, format="json")
    renamed = client.patch(
        f"{COMPANIES}{created.json()['id']}/", {"name": "Acme Ltd"}, format="json"
    )

    assert (created.status_code, renamed.status_code) == (201, 200)
    company = Company.objects.get()
    assert (company.name, company.segment) == ("Acme Ltd", "smb")


def test_a_duplicate_company_external_id_is_refused(support):
    CompanyFactory.create(external_id="acct-1")

    response = bearer(support).post(
        COMPANIES, {"name": "Acme", "external_id": "acct-1"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "external_id": ["A company with this external id already exists."]
    }
    assert Company.objects.count() == 1


def test_companies_are_filtered_by_external_id_and_update_time(support, clock):
    CompanyFactory.create(external_id="acct-1")
    clock.move_to(NOW + timedelta(days=1), tick=False)
    recent = CompanyFactory.create(external_id="acct-2")
    client = bearer(support)

    by_external_id = client.get(COMPANIES, {"external_id": "acct-2"}).json()
    by_time = client.get(COMPANIES, {"updated_since": "2025-02-01"}).json()

    assert [row["id"] for row in by_external_id["results"]] == [recent.id]
    assert [row["id"] for row in by_time["results"]] == [recent.id]
