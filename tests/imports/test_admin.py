import codecs
import csv
import io
import os
import re
import time

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.models import Customer, Interaction
from imports import uploads
from tests.factories import CaseFactory, CustomerFactory, UserFactory
from tests.imports.conftest import user_with

pytestmark = pytest.mark.django_db


def upload(client, kind: str, data: bytes):
    return client.post(
        f"/admin/csv/import/{kind}/",
        {"file": SimpleUploadedFile("file.csv", data, content_type="text/csv")},
    )


def test_the_changelists_link_to_import_and_export(client, support):
    client.force_login(support)

    customers = client.get(
        "/admin/customers/customer/?stage__exact=usage"
    ).content.decode()
    interactions = client.get("/admin/customers/interaction/").content.decode()

    assert '<a href="/admin/csv/import/customers/">Import CSV</a>' in customers
    assert (
        '<a href="/admin/csv/export/customers.csv?stage__exact=usage">Export CSV</a>'
        in customers
    )
    assert '<a href="/admin/csv/import/interactions/">Import CSV</a>' in interactions


def test_upload_map_preview_then_import(client, support):
    CustomerFactory.create(email="old@example.com", name="Old")
    client.force_login(support)

    response = upload(
        client,
        "customers",
        (
            "Full name;E-mail;Notes\n"
            "新客户;new@example.com;x\n"
            "Old again;OLD@example.com;y\n"
            "Bad;nope;z\n"
        ).encode(),
    )
    assert response.status_code == 302
    map_url = response["Location"]
    assert re.fullmatch(r"/admin/csv/import/customers/[\w-]+/", map_url)

    page = client.get(map_url).content.decode()
    # Prefilled from the header's names; "Full name" is no field name.
    assert '<option value="email" selected>email</option>' in page
    form = page[page.index('<form method="post" id="mapping">') :]
    form = form[: form.index("</form>")]
    assert form.count(" selected>") == 3  # email, and "leave out" twice

    mapping = {"column_0": "name", "column_1": "email", "column_2": ""}
    preview = client.post(map_url, {**mapping, "preview": "1"})
    assert preview.status_code == 200
    assert preview.context["report"].as_dict()["created"] == 1
    assert preview.context["preview_rows"] == [
        (2, "create", ["新客户", "new@example.com"]),
        (3, "update", ["Old again", "OLD@example.com"]),
        (4, "error", ["Bad", "nope"]),
    ]
    assert [(e.line, e.column) for e in preview.context["errors"]] == [(4, "E-mail")]
    assert Customer.objects.count() == 1

    imported = client.post(map_url, {**mapping, "import": "1"})
    report = imported.context["report"]
    assert (report.dry_run, report.created, report.updated, report.failed) == (
        False,
        1,
        1,
        1,
    )
    assert sorted(Customer.objects.values_list("name", flat=True)) == [
        "Old again",
        "新客户",
    ]
    # The upload is gone once imported: a second click imports nothing.
    assert client.get(map_url).status_code == 404
    assert client.post(map_url, {**mapping, "import": "1"}).status_code == 404
    assert Customer.objects.count() == 2


def test_an_upload_is_private_to_its_session(client, support):
    client.force_login(support)
    map_url = upload(client, "customers", b"name\nAda\n")["Location"]
    other = UserFactory.create(username="other-support", groups=["Support"])
    client.force_login(other)

    assert client.get(map_url).status_code == 404


def test_an_unreadable_upload_goes_back_to_the_upload_form(client, support):
    client.force_login(support)

    response = upload(client, "customers", "name\nJosé\n".encode("utf-16"))
    page = client.get(response["Location"], follow=True)

    assert page.redirect_chain[-1][0] == "/admin/csv/import/customers/"
    assert "Line 1 is not UTF-8" in page.content.decode()


def test_a_file_of_50_000_columns_is_refused_before_any_mapping_page(client, support):
    client.force_login(support)
    header = ",".join(f"c{number}" for number in range(50_000)).encode()

    response = upload(client, "customers", header + b"\n")
    page = client.get(response["Location"], follow=True)

    assert page.redirect_chain[-1][0] == "/admin/csv/import/customers/"
    assert "Line 1 is longer than 64 KB" in page.content.decode()
    assert len(page.content) < 100_000
    assert list((settings.VAR_DIR / "imports").glob("*.csv")) == []


def test_a_file_over_the_column_limit_is_refused_at_upload(client, support, settings):
    settings.IMPORT_MAX_COLUMNS = 200
    client.force_login(support)
    header = ",".join(f"c{number}" for number in range(201)).encode()

    response = upload(client, "customers", header + b"\n")
    page = client.get(response["Location"], follow=True)

    assert page.redirect_chain[-1][0] == "/admin/csv/import/customers/"
    assert "Line 1 names 201 columns; a file may have at most 200" in (
        page.content.decode()
    )


def test_interactions_import_from_the_admin(client, support):
    CustomerFactory.create(email="ada@example.com")
    client.force_login(support)
    map_url = upload(
        client,
        "interactions",
        b"customer_email,channel,occurred_at\nada@example.com,phone,2024-05-01\n",
    )["Location"]

    client.post(
        map_url,
        {
            "column_0": "customer_email",
            "column_1": "channel",
            "column_2": "occurred_at",
            "import": "1",
        },
    )

    assert Interaction.objects.get().logged_by == support


def test_staff_without_the_add_permission_may_not_import(client):
    viewer = UserFactory.create(username="viewer", is_staff=True)
    client.force_login(viewer)

    response = upload(client, "customers", b"name\nAda\n")

    assert response.status_code == 403
    assert Customer.objects.count() == 0


def test_an_outsider_is_sent_to_the_login_page(client, outsider):
    client.force_login(outsider)

    response = upload(client, "customers", b"name\nAda\n")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_admin_export_honours_the_changelist_filters_and_search(client, support):
    CustomerFactory.create(name="Ada", stage="usage")
    CustomerFactory.create(name="Bob", stage="advocacy")
    CustomerFactory.create(name="Adam", stage="advocacy")
    client.force_login(support)

    response = client.get("/admin/csv/export/customers.csv?stage__exact=advocacy&q=Ad")

    text = b"".join(response.streaming_content).decode()
    assert [row[1] for row in csv.reader(io.StringIO(text))][1:] == ["Adam"]


def test_the_admin_export_of_cases(client, support):
    case = CaseFactory.create()
    client.force_login(support)

    response = client.get("/admin/csv/export/cases.csv")

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert [row[0] for row in csv.reader(io.StringIO(text))] == ["id", str(case.pk)]


@pytest.mark.parametrize("name", ["customers", "responses", "cases"])
def test_the_admin_exports_open_in_excel(client, manager, name):
    """UTF-8's byte order mark first: without it, Excel reads the file as GBK
    or Windows-1252 and garbles Chinese."""
    CaseFactory.create(customer__name="王小明")
    client.force_login(manager)

    response = client.get(f"/admin/csv/export/{name}.csv")

    data = b"".join(response.streaming_content)
    assert data.startswith(codecs.BOM_UTF8 + b"id,")
    assert data.count(codecs.BOM_UTF8) == 1


def test_the_admin_export_needs_the_view_permission(client):
    client.force_login(UserFactory.create(username="viewer", is_staff=True))

    assert client.get("/admin/csv/export/cases.csv").status_code == 403


def test_a_mapping_without_a_key_field_is_refused_and_the_file_kept(client, support):
    client.force_login(support)
    map_url = upload(client, "customers", b"name,email\nAda,ada@example.com\n")[
        "Location"
    ]

    page = client.post(map_url, {"column_0": "", "column_1": "", "import": "1"})

    assert "Map a column to name, email or external_id." in page.content.decode()
    assert Customer.objects.count() == 0
    assert client.get(map_url).status_code == 200


def test_staff_who_may_add_but_not_change_customers_may_not_import_them(client):
    ada = CustomerFactory.create(name="Ada", email="ada@example.com")
    client.force_login(user_with("add_customer", "view_customer"))

    response = upload(client, "customers", b"name,email\nAda L,ada@example.com\n")

    assert response.status_code == 403
    ada.refresh_from_db()
    assert (ada.name, Customer.objects.count()) == ("Ada", 1)
    assert list((settings.VAR_DIR / "imports").glob("*")) == []


def test_a_file_over_the_size_limit_is_refused_with_a_clear_message(
    client, support, settings
):
    settings.IMPORT_MAX_BYTES = 20
    client.force_login(support)

    response = upload(client, "customers", b"name,email\nAda,ada@example.com\n")

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "file": [
            "This file is 31\xa0bytes; the admin takes files up to 20\xa0bytes. "
            "Import larger files with manage.py import_csv."
        ]
    }
    assert list((settings.VAR_DIR / "imports").glob("*")) == []


def test_an_upload_waits_in_a_private_folder_readable_by_this_user_only(
    client, support, settings
):
    client.force_login(support)

    upload(client, "customers", b"name\nAda\n")

    folder = settings.VAR_DIR / "imports"
    (stored,) = folder.glob("*.csv")
    assert (folder.stat().st_mode & 0o777, stored.stat().st_mode & 0o777) == (
        0o700,
        0o600,
    )


def test_a_folder_others_can_read_is_refused(settings):
    folder = settings.VAR_DIR / "imports"
    folder.mkdir(mode=0o750)
    folder.chmod(0o750)

    with pytest.raises(ImproperlyConfigured):
        uploads.upload_dir()


def test_an_existing_file_is_never_overwritten(settings):
    uploads.store("token", [b"first"])

    with pytest.raises(FileExistsError):
        uploads.store("token", [b"second"])

    assert (settings.VAR_DIR / "imports" / "token.csv").read_bytes() == b"first"


def test_stale_uploads_are_removed_and_a_vanished_one_is_skipped(settings):
    folder = uploads.upload_dir()
    old = uploads.store("old", [b"name\n"])
    fresh = uploads.store("fresh", [b"name\n"])
    # The files' times on the suite's clock, not the filesystem's real one.
    now = time.time()
    os.utime(fresh, (now, now))
    day_ago = now - uploads.STALE_SECONDS - 60
    os.utime(old, (day_ago, day_ago))
    # Listed, then gone before its stat: another request imported it.
    (folder / "gone.csv").symlink_to(folder / "nowhere.csv")

    uploads.remove_stale()

    assert sorted(path.name for path in folder.iterdir()) == ["fresh.csv", "gone.csv"]
    assert fresh.exists()
