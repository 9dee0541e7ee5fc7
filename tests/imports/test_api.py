import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from customers.models import Customer, Interaction
from tests.api import session
from tests.factories import CustomerFactory
from tests.imports.conftest import user_with

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v1/imports/customers/"
INTERACTIONS = "/api/v1/imports/interactions/"


def upload(data: bytes, name: str = "people.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_an_import_answers_201_with_the_report(support):
    response = session(support).post(
        CUSTOMERS,
        {
            "file": upload("Full name;Mail\n张伟;zhang@example.com\nBad;x\n".encode()),
            "mapping": json.dumps({"Full name": "name", "Mail": "email"}),
        },
        format="multipart",
    )

    assert response.status_code == 201
    body = response.json()
    assert {key: body[key] for key in ("rows", "created", "updated", "failed")} == {
        "rows": 2,
        "created": 1,
        "updated": 0,
        "failed": 1,
    }
    assert body["errors"] == [
        {"line": 3, "column": "Mail", "message": "Enter a valid email address."}
    ]
    assert list(Customer.objects.values_list("name", flat=True)) == ["张伟"]


def test_a_dry_run_answers_200_and_writes_nothing(support):
    response = session(support).post(
        CUSTOMERS,
        {"file": upload(b"name,email\nAda,ada@example.com\n"), "dry_run": "true"},
        format="multipart",
    )

    assert response.status_code == 200
    assert response.json()["preview"] == [
        {
            "line": 2,
            "action": "create",
            "values": {"name": "Ada", "email": "ada@example.com"},
        }
    ]
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "mapping", "message"),
    [
        ("name\nJosé\n".encode("latin-1"), None, "Line 2 is not UTF-8"),
        (b"\n\n", None, "The file is empty"),
        (b"", None, "The submitted file is empty."),
        (b"name\nAda\n", '{"nope": "name"}', "The file has no column 'nope'."),
        (
            ",".join(f"c{number}" for number in range(201)).encode() + b"\n",
            None,
            "Line 1 names 201 columns; a file may have at most 200",
        ),
    ],
)
def test_an_unusable_file_or_mapping_is_a_400(support, data, mapping, message):
    payload = {"file": upload(data)}
    if mapping:
        payload["mapping"] = mapping

    response = session(support).post(CUSTOMERS, payload, format="multipart")

    assert response.status_code == 400
    assert response.json()["file"][0].startswith(message)
    assert Customer.objects.count() == 0


def test_a_mapping_that_is_not_an_object_is_a_400(support):
    response = session(support).post(
        CUSTOMERS,
        {"file": upload(b"name\nAda\n"), "mapping": "[1]"},
        format="multipart",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["mapping"]


def test_interactions_are_imported_by_the_api(support):
    customer = CustomerFactory.create(email="ada@example.com")

    response = session(support).post(
        INTERACTIONS,
        {
            "file": upload(
                b"customer_email,channel,occurred_at\nada@example.com,phone,2024-01-01\n"
            )
        },
        format="multipart",
    )

    assert response.status_code == 201
    interaction = Interaction.objects.get()
    assert (interaction.customer_id, interaction.logged_by_id) == (
        customer.pk,
        support.pk,
    )


@pytest.mark.parametrize("url", [CUSTOMERS, INTERACTIONS])
def test_an_outsider_may_not_import(outsider, url):
    CustomerFactory.create(email="ada@example.com")
    data = (
        b"name,email,customer_email,channel,occurred_at\n"
        b"X,x@example.com,ada@example.com,phone,2024-01-01\n"
    )

    response = session(outsider).post(url, {"file": upload(data)}, format="multipart")

    assert response.status_code == 403
    assert Customer.objects.count() == 1
    assert Interaction.objects.count() == 0


def test_anonymous_may_not_import():
    response = APIClient().post(
        CUSTOMERS, {"file": upload(b"name\nAda\n")}, format="multipart"
    )

    assert response.status_code in (401, 403)
    assert Customer.objects.count() == 0


def test_a_ten_megabyte_upload_is_accepted(support):
    lines = [b"name,email,segment\n"]
    size = 0
    n = 0
    while size < 10 * 1024 * 1024:
        line = f"C{n},c{n}@example.com,{'s' * 40}\n".encode()
        lines.append(line)
        size += len(line)
        n += 1

    response = session(support).post(
        CUSTOMERS,
        {"file": upload(b"".join(lines)), "dry_run": "true"},
        format="multipart",
    )

    assert response.status_code == 200
    assert (response.json()["rows"], response.json()["created"]) == (n, n)


def test_a_customer_import_needs_the_change_permission_as_well_as_add():
    ada = CustomerFactory.create(name="Ada", email="ada@example.com")
    adder = user_with("add_customer", "view_customer")

    response = session(adder).post(
        CUSTOMERS,
        {"file": upload(b"name,email\nAda Lovelace,ada@example.com\nBob,b@x.org\n")},
        format="multipart",
    )

    assert response.status_code == 403
    ada.refresh_from_db()
    assert (ada.name, Customer.objects.count()) == ("Ada", 1)


def test_an_interaction_import_needs_only_add_interaction():
    CustomerFactory.create(email="ada@example.com")
    logger = user_with("add_interaction")

    response = session(logger).post(
        INTERACTIONS,
        {
            "file": upload(
                b"customer_email,channel,occurred_at\nada@example.com,phone,2024-01-01\n"
            )
        },
        format="multipart",
    )

    assert response.status_code == 201
    assert Interaction.objects.get().logged_by_id == logger.pk


def test_a_file_over_the_size_limit_is_a_413_and_imports_nothing(support, settings):
    settings.IMPORT_MAX_BYTES = 20

    response = session(support).post(
        CUSTOMERS,
        {"file": upload(b"name,email\nAda,ada@example.com\n")},
        format="multipart",
    )

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The file is 31 bytes; the API takes files up to 20 bytes "
        "(IMPORT_MAX_BYTES). Import larger files with manage.py import_csv."
    }
    assert Customer.objects.count() == 0
