"""Where an admin upload waits between the import page's steps.

A private folder, `imports/` under the settings' VAR_DIR: created 0700 and
refused when someone else owns it or can read it, so that no other account on
the machine can read customers' data or slip in a file of its own. Each
upload is a new 0600 file under a random name that only the uploader's
session knows; a file left behind is deleted after a day.
"""

import os
import stat
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404

STALE_SECONDS = 24 * 3600


def upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    # lstat: a symlink planted in its place is refused, not followed.
    info = path.lstat()
    if (
        not stat.S_ISDIR(info.st_mode)
        or info.st_uid != os.getuid()
        or info.st_mode & 0o077
    ):
        raise ImproperlyConfigured(
            f"{path} must be a folder owned by this user and closed to others "
            "(chmod 700): uploads waiting there hold customers' data."
        )
    return path


def store(token: str, chunks: Iterable[bytes]) -> Path:
    """The upload as a new file that only this user can read; O_EXCL: a file
    (or symlink) already there under this name is an error, never overwritten."""
    path = upload_dir() / f"{token}.csv"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as stored:
        for chunk in chunks:
            stored.write(chunk)
    return path


def claim(path: Path) -> Path:
    """Take the upload for one import: a second click on "Import" (or a second
    tab) finds no file, and imports nothing twice."""
    claimed = path.with_suffix(".importing")
    try:
        path.rename(claimed)
    except FileNotFoundError:
        raise Http404 from None
    return claimed


def remove_stale(now: float | None = None) -> None:
    now = time.time() if now is None else now
    for path in upload_dir().glob("*.*"):
        try:
            is_stale = now - path.stat().st_mtime > STALE_SECONDS
        except FileNotFoundError:
            continue  # imported or removed by another request meanwhile
        if is_stale:
            path.unlink(missing_ok=True)
