"""Mail written to files instead of sent (the embedded default, without
SMTP_URL): one RFC 5322 `.eml` file per message under EMAIL_FILE_PATH, which
any mail client opens, and the reading of them back for the admin's list.

Django's own file backend appends every message of one connection to a single
`.log` file: a batch of survey mails to two customers ended up in one file
that no mail client could open.
"""

import email.policy
import heapq
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django.utils.module_loading import import_string

SUFFIX = ".eml"
# 20261207-093012.123456: sorts in the order written (UTC, so that a change
# of the clocks cannot reorder the files).
TIME_FORMAT = "%Y%m%d-%H%M%S.%f"
# What an address keeps in a file name; the rest becomes "_".
NOT_IN_A_NAME = re.compile(r"[^\w@.+-]")
LONGEST_ADDRESS = 100
# The headers are at the top: no need to read a long mail to list it.
HEADER_BYTES = 64 * 1024


class EmailBackend(BaseEmailBackend):
    """Writes each message as its own `.eml` file, named by the time and its
    first recipient: `20261207-093012.123456-ada@example.com.eml`."""

    def __init__(
        self,
        fail_silently: bool = False,
        file_path: str | Path | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            try:
                write_message(self.directory, message)
            except OSError:
                if not self.fail_silently:
                    raise
            else:
                sent += 1
        return sent


def write_message(directory: Path, message: EmailMessage) -> Path:
    """Write `message` to a file of its own and return its path. Atomically:
    a reader sees a whole file or none; and never over another message's file,
    even one written in the same microsecond."""
    # 700: the mails hold the links that answer a survey as its customer.
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    content = message.message().as_bytes(linesep="\r\n")
    stem = file_stem(timezone.now(), message.recipients()[0])
    # mkstemp's file is 600, and its name starts with a dot: not listed.
    handle, temporary = tempfile.mkstemp(prefix=".writing-", dir=directory)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        return link_under_a_free_name(Path(temporary), directory, stem)
    finally:
        os.unlink(temporary)


def file_stem(moment: datetime, recipient: str) -> str:
    """The time and the address ("Ann <ann@example.com>": ann@example.com),
    with nothing in it that a file name may not hold or a path would read."""
    address = parseaddr(recipient)[1] or recipient
    address = NOT_IN_A_NAME.sub("_", address)[:LONGEST_ADDRESS]
    return f"{moment.astimezone(UTC).strftime(TIME_FORMAT)}-{address}"


def link_under_a_free_name(temporary: Path, directory: Path, stem: str) -> Path:
    """A hard link, not a rename: a rename would silently replace a file of
    the same name, a link refuses to."""
    for attempt in range(1, 1000):
        suffix = SUFFIX if attempt == 1 else f"-{attempt}{SUFFIX}"
        path = directory / f"{stem}{suffix}"
        try:
            os.link(temporary, path)
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"No free name for {stem}{SUFFIX} in {directory}")


# Reading them back


def mail_directory() -> Path | None:
    """Where mail is written, when it is written to files (None: it is sent)."""
    backend = import_string(settings.EMAIL_BACKEND)
    if isinstance(backend, type) and issubclass(backend, EmailBackend):
        return Path(settings.EMAIL_FILE_PATH)
    return None


@dataclass(frozen=True)
class MailFile:
    name: str
    written_at: datetime | None
    to: str
    subject: str


def recent(folder: Path, *, count: int) -> list[MailFile]:
    """The newest `count` mails written to `folder`, newest first."""
    if not folder.is_dir():
        return []
    names = heapq.nlargest(count, mail_names(folder))
    return [read_headers(folder, name) for name in names]


def mail_names(folder: Path) -> Iterable[str]:
    with os.scandir(folder) as entries:
        for entry in entries:
            if is_mail_name(entry.name) and entry.is_file(follow_symlinks=False):
                yield entry.name


def is_mail_name(name: str) -> bool:
    """A name this backend writes: no path, no hidden (half-written) file."""
    return (
        name.endswith(SUFFIX)
        and not name.startswith(".")
        and "/" not in name
        and "\\" not in name
        and "\0" not in name
    )


def read_headers(folder: Path, name: str) -> MailFile:
    with (folder / name).open("rb") as file:
        head = file.read(HEADER_BYTES)
    headers = BytesHeaderParser(policy=email.policy.default).parsebytes(head)
    return MailFile(
        name=name,
        written_at=written_at(headers, name),
        to=str(headers.get("To", "")),
        subject=str(headers.get("Subject", "")),
    )


def written_at(headers: Message, name: str) -> datetime | None:
    """The Date header; else the time in the file's name."""
    date = getattr(headers.get("Date"), "datetime", None)
    if isinstance(date, datetime):
        # "-0000" (a time in an unknown zone) parses naive.
        return date if date.tzinfo else date.replace(tzinfo=UTC)
    try:
        return datetime.strptime(name[:22], TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def mail_path(folder: Path, name: str) -> Path | None:
    """The path of the mail file `name` directly in `folder`, or None: a name
    with a path in it (`../settings.py`), a hidden file, a link or anything
    else that is not one of the mails is not served."""
    if not is_mail_name(name):
        return None
    path = folder / name
    if path.is_symlink() or not path.is_file():
        return None
    if path.resolve().parent != folder.resolve():
        return None
    return path
