"""Searchable pickers wherever the admin asks for a customer or a staff
member: Django's autocomplete for customers (and companies, touchpoints), and
the same picker for staff members, answered by the page's own admin so that
every role that may see the page may search them (lib/admin.py)."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests.factories import CompanyFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

AUTOCOMPLETE = "/admin/autocomplete/"
CUSTOMER_STAFF = "/admin/customers/customer/staff-autocomplete/"
COMPANY_STAFF = "/admin/customers/company/staff-autocomplete/"


def search(client, url: str, model: str, field: str, term: str):
    return client.get(
        url,
        {
            "app_label": "customers",
            "model_name": model,
            "field_name": field,
            "term": term,
        },
    )


def found(response) -> list[str]:
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


@pytest.fixture
def staff(db):
    """Two staff members and someone who is not staff, all called Li."""
    return [
        UserFactory.create(username="li.na", is_staff=True),
        UserFactory.create(username="li.wei", is_staff=True),
        UserFactory.create(username="li.guest", is_staff=False),
        UserFactory.create(username="tom.b", is_staff=True),
    ]


def test_support_picks_a_new_interactions_customer_by_name_email_or_company(
    client, support
):
    acme = CompanyFactory.create(name="Acme Shanghai")
    wang = CustomerFactory.create(name="Wang Fang", email="wf@example.cn")
    li = CustomerFactory.create(name="Li Lei", email="lilei@example.cn", company=acme)
    CustomerFactory.create(name="Tom Baker", email="tom@example.com")
    client.force_login(support)

    page = client.get(reverse("admin:customers_interaction_add")).content.decode()
    by_name = search(client, AUTOCOMPLETE, "interaction", "customer", "wang")
    by_email = search(client, AUTOCOMPLETE, "interaction", "customer", "wf@exa")
    by_company = search(client, AUTOCOMPLETE, "interaction", "customer", "acme")

    assert f'data-ajax--url="{AUTOCOMPLETE}"' in page
    assert 'data-field-name="customer"' in page
    assert "vForeignKeyRawIdAdminField" not in page
    assert by_name.json()["results"] == [{"id": str(wang.pk), "text": "Wang Fang"}]
    assert found(by_email) == ["Wang Fang"]
    assert found(by_company) == [str(li)]


@pytest.mark.parametrize(
    ("page", "url"),
    [
        ("customers_customer", CUSTOMER_STAFF),
        ("customers_company", COMPANY_STAFF),
    ],
)
def test_the_owner_is_picked_by_search(client, support, page, url):
    client.force_login(support)

    html = client.get(reverse(f"admin:{page}_add")).content.decode()

    assert f'data-ajax--url="{url}"' in html
    assert 'data-field-name="owner"' in html


@pytest.mark.parametrize(
    ("model", "url"), [("customer", CUSTOMER_STAFF), ("company", COMPANY_STAFF)]
)
def test_support_searches_the_staff_for_an_owner(client, support, staff, model, url):
    client.force_login(support)

    response = search(client, url, model, "owner", "li")

    assert sorted(found(response)) == ["li.na", "li.wei"]


def test_the_staff_picker_shows_the_chosen_owner_on_the_page(client, support, staff):
    customer = CustomerFactory.create(owner=staff[0])
    client.force_login(support)

    page = client.get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    ).content.decode()

    assert f'data-ajax--url="{CUSTOMER_STAFF}"' in page
    assert f'<option value="{staff[0].pk}" selected>li.na</option>' in page


@pytest.mark.parametrize(
    ("url", "model", "field"),
    [
        # Only the fields the admin names, of its own model.
        (CUSTOMER_STAFF, "customer", "company"),
        (CUSTOMER_STAFF, "company", "owner"),
        (CUSTOMER_STAFF, "interaction", "logged_by"),
    ],
)
def test_the_staff_picker_answers_only_for_its_own_staff_fields(
    client, support, staff, url, model, field
):
    client.force_login(support)

    response = search(client, url, model, field, "li")

    assert response.status_code == 403


def test_the_staff_picker_needs_a_login_and_the_permission_to_view_the_page(
    client, staff
):
    anonymous = search(client, CUSTOMER_STAFF, "customer", "owner", "li")
    clerk = UserFactory.create(username="clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_company"))
    client.force_login(clerk)

    refused = search(client, CUSTOMER_STAFF, "customer", "owner", "li")
    allowed = search(client, COMPANY_STAFF, "company", "owner", "li")

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("admin:login"))
    assert refused.status_code == 403
    assert sorted(found(allowed)) == ["li.na", "li.wei"]


def test_a_superuser_picks_a_tokens_user_by_search(client):
    boss = UserFactory.create(username="root", is_superuser=True, is_staff=True)
    client.force_login(boss)

    page = client.get(reverse("admin:tokens_apitoken_add")).content.decode()
    response = client.get(
        AUTOCOMPLETE,
        {"app_label": "tokens", "model_name": "apitoken", "field_name": "user"},
    )

    assert 'data-field-name="user"' in page
    assert found(response) == ["root"]
