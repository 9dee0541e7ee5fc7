"""API tokens: created with a key shown once, looked up by the key's hash,
revoked by hand, expired by the clock.

A key is "tl_" and 40 URL-safe characters (240 random bits). Keys made before
tokens had names are 40 hex digits; their hashes were copied over by the
migration, so they keep working.
"""

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tokens.models import ApiToken

KEY_PREFIX = "tl_"
KEY_FORMAT = re.compile(r"tl_[A-Za-z0-9_-]{40}|[0-9a-f]{40}")
# last_used_at is a hint for people, not an audit log: writing it on every
# request would make every read a write.
LAST_USED_PRECISION = timedelta(minutes=1)


class InvalidTokenError(Exception):
    """A key that does not sign anyone in; the message says why."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    # 30 random bytes are 40 characters of URL-safe base64, without padding.
    return KEY_PREFIX + secrets.token_urlsafe(30)


def create_token(
    user: User,
    *,
    name: str,
    scope: str = ApiToken.Scope.WRITE,
    expires_at: datetime | None = None,
    requests_per_minute: int | None = None,
) -> tuple[ApiToken, str]:
    """The new token and its key: the only time the key is known."""
    key = new_key()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:8],
        key_hash=hash_key(key),
        scope=scope,
        expires_at=expires_at,
        requests_per_minute=requests_per_minute,
    )
    return token, key


def revoke_token(token: ApiToken, *, now: datetime | None = None) -> bool:
    """Revoke the token; False when it already was (its time is kept)."""
    now = now or timezone.now()
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
        revoked_at=now
    )
    token.refresh_from_db(fields=["revoked_at"])
    return revoked == 1


def authenticate(key: str, *, now: datetime | None = None) -> ApiToken:
    """The token of a key, with its user, or InvalidTokenError.

    The lookup is by the key's SHA-256 through a unique index: what a
    comparison leaks in time is about a hash nobody can choose, so it tells
    nothing about any key.
    """
    # A malformed key needs no query (and PostgreSQL could not even compare
    # some of them: text with a NUL byte is an error there).
    if not KEY_FORMAT.fullmatch(key):
        raise InvalidTokenError(_("Invalid token."))
    now = now or timezone.now()
    token = (
        ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    )
    if token is None:
        raise InvalidTokenError(_("Invalid token."))
    if token.revoked_at is not None:
        raise InvalidTokenError(_("This token has been revoked."))
    if token.is_expired(now):
        raise InvalidTokenError(_("This token has expired."))
    if not token.user.is_active:
        raise InvalidTokenError(_("User inactive or deleted."))
    mark_used(token, now=now)
    return token


def mark_used(token: ApiToken, *, now: datetime) -> None:
    """Record the use, at most once a minute per token."""
    stale = now - LAST_USED_PRECISION
    if token.last_used_at is not None and token.last_used_at > stale:
        return
    # Conditional: of the concurrent requests that all saw a stale time, one
    # writes it.
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at=None) | Q(last_used_at__lte=stale)
    ).update(last_used_at=now)
    token.last_used_at = now
