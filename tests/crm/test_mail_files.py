"""The admin's list of the mail written to files (/admin/mail/), managers only."""

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.mail import EmailMessage
from django.urls import reverse

NOW = datetime(2026, 12, 7, 9, 30, 12, 123456, tzinfo=UTC)
ADA_MAIL = "20261207-093012.123456-ada@example.com.eml"

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


@pytest.fixture
def mail_folder(settings, tmp_path) -> Path:
    settings.EMAIL_BACKEND = "lib.mailfiles.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    return settings.EMAIL_FILE_PATH


@pytest.fixture
def ada_mail(mail_folder) -> Path:
    EmailMessage("Your case 王芳", "Hello", to=["Ada <ada@example.com>"]).send()
    return mail_folder / ADA_MAIL


def test_a_manager_sees_the_newest_mail_with_a_link_to_each(
    client, manager, ada_mail, django_assert_num_queries
):
    client.force_login(manager)

    # The session, the user, their language, their user and group permissions:
    # none for the mails, which are files.
    with django_assert_num_queries(5):
        page = client.get("/admin/mail/")

    assert page.status_code == 200
    html = page.content.decode()
    assert f"Mail is written to files in {ada_mail.parent}" in html
    [mail] = page.context["mails"]
    assert (mail.to, mail.subject, mail.written_at) == (
        "Ada <ada@example.com>",
        "Your case 王芳",
        NOW.replace(microsecond=0),
    )
    assert f'href="/admin/mail/{ADA_MAIL}"' in html
    assert "Your case 王芳" in html


def test_the_list_shows_the_newest_fifty(client, manager, mail_folder):
    mail_folder.mkdir()
    for number in range(60):
        name = f"20261207-0930{number:02d}.000000-c{number}@example.com.eml"
        headers = f"To: c{number}@example.com\r\nSubject: Mail {number}\r\n"
        (mail_folder / name).write_bytes(f"{headers}\r\nHi\r\n".encode())
    client.force_login(manager)

    mails = client.get("/admin/mail/").context["mails"]

    assert [mail.subject for mail in mails] == [
        f"Mail {number}" for number in range(59, 9, -1)
    ]
    assert mails[0].written_at == datetime(2026, 12, 7, 9, 30, 59, tzinfo=UTC)


def test_the_link_downloads_the_mail_for_a_mail_client(client, manager, ada_mail):
    client.force_login(manager)

    response = client.get(reverse("mail-file", args=[ADA_MAIL]))

    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"] == f'attachment; filename="{ADA_MAIL}"'
    assert b"".join(response.streaming_content) == ada_mail.read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "..%2Fsecret.eml",
        "..%5Csecret.eml",
        "%2E%2E",
        ".writing-abc.eml",
        "missing.eml",
        "link.eml",
        "20261207-old.log",
    ],
)
def test_only_the_mails_in_the_folder_are_served(client, manager, ada_mail, name):
    folder = ada_mail.parent
    (folder.parent / "secret.eml").write_text("Subject: not a mail of the folder")
    (folder / ".writing-abc.eml").write_text("half a mail")
    (folder / "20261207-old.log").write_text("Django's old file")
    os.symlink(folder.parent / "secret.eml", folder / "link.eml")
    client.force_login(manager)

    response = client.get(f"/admin/mail/{name}")

    assert response.status_code == 404


def test_support_may_not_read_the_mail(client, support, ada_mail):
    client.force_login(support)

    page = client.get("/admin/mail/")
    assert page.status_code == 403
    html = page.content.decode()
    assert "Recent mail is for managers." in html
    assert ADA_MAIL not in html
    assert client.get(reverse("mail-file", args=[ADA_MAIL])).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, ada_mail):
    response = client.get("/admin/mail/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_with_smtp_the_page_says_so_and_serves_no_file(
    client, manager, ada_mail, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    client.force_login(manager)

    page = client.get("/admin/mail/")

    assert "Mail goes out by SMTP (SMTP_URL)" in page.content.decode()
    assert page.context["mails"] == []
    assert client.get(reverse("mail-file", args=[ADA_MAIL])).status_code == 404


def test_the_admin_home_links_managers_to_the_mail(client, manager, support):
    client.force_login(manager)
    assert 'href="/admin/mail/"' in client.get("/admin/").content.decode()

    client.force_login(support)
    assert 'href="/admin/mail/"' not in client.get("/admin/").content.decode()
