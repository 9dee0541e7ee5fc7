"""Mail written to files (no SMTP_URL): one .eml file per message."""

import email.policy
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from pathlib import Path

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives

from lib import mailfiles
from surveys.services import sending
from tests.factories import CustomerFactory, InvitationFactory

PROJECT_DIR = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 7, 9, 30, 12, 123456, tzinfo=UTC)

pytestmark = pytest.mark.now(NOW)


@pytest.fixture
def mail_folder(settings, tmp_path) -> Path:
    settings.EMAIL_BACKEND = "lib.mailfiles.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    return settings.EMAIL_FILE_PATH


def parsed(path: Path) -> email.message.EmailMessage:
    return BytesParser(policy=email.policy.default).parsebytes(path.read_bytes())


def files_in(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def test_without_smtp_url_mail_is_written_by_this_backend_to_var_mail():
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"SMTP_URL", "DJANGO_SETTINGS_MODULE"}
    }
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.EMAIL_BACKEND, settings.EMAIL_FILE_PATH)"
    )

    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_DIR,
        env={**environment, "DJANGO_SETTINGS_MODULE": "crm.settings", "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.split() == [
        "lib.mailfiles.EmailBackend",
        str(PROJECT_DIR / "var" / "mail"),
    ]


@pytest.mark.django_db
def test_two_customers_survey_mails_are_two_files(mail_folder):
    ada = CustomerFactory.create(email="ada@example.com")
    bob = CustomerFactory.create(email="bob@example.com")
    invitations = [
        InvitationFactory.create(
            customer=customer,
            status="scheduled",
            sent_at=None,
            scheduled_for=NOW - timedelta(minutes=1),
        )
        for customer in (ada, bob)
    ]

    # One batch, one connection: Django's file backend put both in one file.
    assert sending.send_batch([row.pk for row in invitations]) == {"sent": 2}

    assert files_in(mail_folder) == [
        "20261207-093012.123456-ada@example.com.eml",
        "20261207-093012.123456-bob@example.com.eml",
    ]
    ada_mail = parsed(mail_folder / "20261207-093012.123456-ada@example.com.eml")
    assert ada_mail["To"] == "ada@example.com"
    assert ada_mail.get_body(preferencelist=("html",)) is not None
    assert ada_mail.get_body(preferencelist=("plain",)) is not None


def test_the_file_is_the_message_as_sent_in_rfc_5322(mail_folder):
    message = EmailMultiAlternatives(
        "新的跟进: 王芳",
        "王芳给了 2 分。",
        to=["王芳 <wang.fang@example.cn>"],
        headers={"Message-ID": "<case-1.0@example.com>"},
    )
    message.attach_alternative("<p>王芳给了 <b>2</b> 分。</p>", "text/html")

    message.send()

    [name] = files_in(mail_folder)
    assert name == "20261207-093012.123456-wang.fang@example.cn.eml"
    content = (mail_folder / name).read_bytes()
    # RFC 5322's line ends, throughout.
    assert content.count(b"\n") == content.count(b"\r\n") > 10
    written = parsed(mail_folder / name)
    assert written["Subject"] == "新的跟进: 王芳"
    assert written["To"] == "王芳 <wang.fang@example.cn>"
    html = written.get_body(preferencelist=("html",))
    assert html is not None
    assert html.get_content() == "<p>王芳给了 <b>2</b> 分。</p>"


def test_mail_in_the_same_microsecond_gets_a_name_of_its_own(mail_folder):
    messages = [
        EmailMessage(f"Mail {number}", "Hello", to=["ada@example.com"])
        for number in range(3)
    ]

    assert mail.get_connection().send_messages(messages) == 3

    names = files_in(mail_folder)
    assert names == [
        "20261207-093012.123456-ada@example.com-2.eml",
        "20261207-093012.123456-ada@example.com-3.eml",
        "20261207-093012.123456-ada@example.com.eml",
    ]
    subjects = sorted(parsed(mail_folder / name)["Subject"] for name in names)
    assert subjects == ["Mail 0", "Mail 1", "Mail 2"]


@pytest.mark.parametrize(
    ("recipient", "name"),
    [
        ("../../etc/passwd@example.com", ".._.._etc_passwd@example.com"),
        ('"a b/c"@example.com', "_a_b_c_@example.com"),
        ("Ann Example <ann+vip@example.com>", "ann+vip@example.com"),
        ("x" * 300 + "@example.com", "x" * 100),
    ],
)
def test_the_recipient_is_a_safe_file_name(mail_folder, recipient, name):
    EmailMessage("Hi", "Hello", to=[recipient]).send()

    assert files_in(mail_folder) == [f"20261207-093012.123456-{name}.eml"]


def test_the_files_are_for_their_owner_only_and_no_half_file_is_left(mail_folder):
    EmailMessage("Hi", "Hello", to=["ada@example.com"]).send()

    [name] = files_in(mail_folder)
    assert stat.S_IMODE(os.stat(mail_folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(mail_folder / name).st_mode) == 0o600


def test_a_message_without_recipients_writes_nothing(mail_folder):
    assert mail.get_connection().send_messages([EmailMessage("Hi", "Hello")]) == 0

    assert not mail_folder.exists() or files_in(mail_folder) == []


def test_a_write_that_fails_raises_unless_told_to_be_silent(mail_folder):
    mail_folder.parent.mkdir(exist_ok=True)
    mail_folder.write_text("a file where the folder should be")
    message = EmailMessage("Hi", "Hello", to=["ada@example.com"])

    with pytest.raises(FileExistsError):
        mail.get_connection().send_messages([message])
    assert mail.get_connection(fail_silently=True).send_messages([message]) == 0


def test_the_newest_mails_are_listed_with_time_recipient_and_subject(mail_folder):
    for number in range(3):
        EmailMessage(f"Mail {number}", "Hello", to=[f"c{number}@example.com"]).send()
    (mail_folder / ".writing-abc").write_text("half a mail")
    (mail_folder / "20261207-old.log").write_text("Django's old file")

    listed = mailfiles.recent(mail_folder, count=2)

    assert [(mail.name, mail.to, mail.subject) for mail in listed] == [
        ("20261207-093012.123456-c2@example.com.eml", "c2@example.com", "Mail 2"),
        ("20261207-093012.123456-c1@example.com.eml", "c1@example.com", "Mail 1"),
    ]
    assert listed[0].written_at == NOW.replace(microsecond=0)
