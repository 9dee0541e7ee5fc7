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

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lib.validation import single_line
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


# A DRF rate's unit, in minutes' worth: "10/s" is 600 a minute.
PER_MINUTE = {"s": 60, "sec": 60, "m": 1, "min": 1, "h": 1 / 60, "hour": 1 / 60}
PER_MINUTE |= {"d": 1 / 1440, "day": 1 / 1440}


def site_rate_per_minute() -> float | None:
    """API_TOKEN_RATE in requests per minute; None when it is off."""
    if settings.API_TOKEN_RATE is None:
        return None
    count, unit = str(settings.API_TOKEN_RATE).split("/")
    return int(count) * PER_MINUTE[unit]


def check_rate(requests_per_minute: int | None, *, by: User | None) -> None:
    """A token's own rate, asked for `by` someone (None: an operator at the
    shell): never above API_TOKEN_RATE_CEILING, and above the site's rate only
    for those who may raise rates (managers, superusers). Lowering is
    everyone's right. Refused with a ValidationError that says why."""
    if requests_per_minute is None:
        return
    ceiling = settings.API_TOKEN_RATE_CEILING
    if requests_per_minute > ceiling:
        raise ValidationError(
            {
                "requests_per_minute": _(
                    "At most %(ceiling)d requests per minute (API_TOKEN_RATE_CEILING)."
                )
                % {"ceiling": ceiling}
            },
            code="above_ceiling",
        )
    site = site_rate_per_minute()
    if site is None or requests_per_minute <= site or by is None:
        return
    if not by.has_perm("tokens.raise_token_rate"):
        raise ValidationError(
            {
                "requests_per_minute": _(
                    "Only managers may give a token more than the site's rate "
                    "(%(rate)s): choose at most %(most)d requests per minute."
                )
                % {"rate": settings.API_TOKEN_RATE, "most": int(site)}
            },
            code="above_site_rate",
        )


def create_token(
    user: User,
    *,
    name: str,
    scope: str = ApiToken.Scope.WRITE,
    expires_at: datetime | None = None,
    requests_per_minute: int | None = None,
    by: User | None = None,
) -> tuple[ApiToken, str]:
    """The new token and its key: the only time the key is known. `by`: who
    asks (see check_rate); None for an operator's command."""
    check_rate(requests_per_minute, by=by)
    single_line(name)
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
