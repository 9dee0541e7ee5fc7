"""The export's download link: single use, 72 hours, stored hashed.

The token is an HMAC of a per-request nonce under SECRET_KEY (its own salt),
as a survey link's: the database keeps the nonce and the token's SHA-256, so
a dump of it yields no working link, while the API can show the link again
until it is used. Taking the ZIP marks the link used in the same statement
that checks it is not, so two clicks at once serve it once.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import salted_hmac

from privacy.models import ExportArchive, PrivacyRequest

# The survey links' nonce and hash; the token has a salt of its own.
from surveys.tokens import hash_token, new_nonce

SALT = "touchloop.privacy.export-download"
LINK_LIFETIME = timedelta(hours=72)


def token_for(nonce: str, *, secret: str | None = None) -> str:
    return salted_hmac(SALT, nonce, secret=secret, algorithm="sha256").hexdigest()


def issue_link(request: PrivacyRequest, *, now: datetime) -> None:
    """Give the request a fresh link (fields set, not saved)."""
    request.download_nonce = new_nonce()
    request.download_token_hash = hash_token(token_for(request.download_nonce))
    request.download_expires_at = now + LINK_LIFETIME
    request.downloaded_at = None


def link_works(request: PrivacyRequest, *, now: datetime) -> bool:
    return (
        bool(request.download_nonce)
        and request.downloaded_at is None
        and request.download_expires_at is not None
        and now < request.download_expires_at
    )


def download_url(request: PrivacyRequest, *, now: datetime) -> str | None:
    """The link while it works (unused, unexpired); None otherwise."""
    if not link_works(request, now=now):
        return None
    token = token_for(request.download_nonce)
    return settings.SITE_URL + reverse("privacy:download", args=[token])


@dataclass(frozen=True)
class Download:
    """What a click on a link finds: the ZIP (`data`), or why not (`gone`:
    used or expired; neither: no such link)."""

    data: bytes | None = None
    request_id: int | None = None
    gone: bool = False


@transaction.atomic
def take(token: str, *, now: datetime) -> Download:
    """Serve the ZIP once: mark the link used and delete the archive, in one
    transaction with the read."""
    request = (
        PrivacyRequest.objects.select_for_update()
        .filter(download_token_hash=hash_token(token))
        .first()
    )
    if request is None:
        return Download()
    if not link_works(request, now=now):
        return Download(request_id=request.pk, gone=True)
    archive = ExportArchive.objects.filter(request=request).first()
    if archive is None:
        return Download(request_id=request.pk, gone=True)
    # The conditional update is the claim where SELECT … FOR UPDATE is not
    # (SQLite): one of two clicks at once changes the row.
    claimed = PrivacyRequest.objects.filter(
        pk=request.pk, downloaded_at__isnull=True
    ).update(downloaded_at=now, updated_at=now)
    if not claimed:
        return Download(request_id=request.pk, gone=True)
    data = bytes(archive.data)
    archive.delete()
    return Download(data=data, request_id=request.pk)


def purge_expired(*, now: datetime) -> int:
    """Delete the archives whose link has expired unused (the nightly sweep)."""
    deleted, _ = ExportArchive.objects.filter(
        request__download_expires_at__lte=now
    ).delete()
    return deleted
