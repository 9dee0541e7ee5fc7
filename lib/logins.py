"""Login throttling: django-axes's cool-off, doubled for each lockout.

django-axes counts failed logins per username and address in the database
(so every web process sees the same counts) and, once LOGIN_FAILURE_LIMIT is
reached, refuses further tries before any password is hashed. Its cool-off
is one fixed duration; this module makes it grow: the first lockout lasts
LOGIN_LOCKOUT_MINUTES, each further lockout of the same username and address
twice as long as the one before, up to a day. A successful login starts the
count again. The same duration is also the window in which failures add up
(django-axes uses one setting for both), so a repeat offender is counted over
a longer window too.
"""

import math
import unicodedata
from datetime import timedelta
from typing import Any

from axes.helpers import get_client_username
from axes.models import (
    AccessAttempt,
    AccessAttemptExpiration,
    AccessFailureLog,
    AccessLog,
)
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

LONGEST_LOCKOUT = timedelta(days=1)
# 2**10 lockouts' worth of doubling is past any LONGEST_LOCKOUT; capping the
# exponent keeps the product from overflowing timedelta.
MOST_DOUBLINGS = 10
# Lockouts further back than this no longer lengthen the next one.
LOCKOUT_MEMORY = timedelta(days=1)


def cool_off(request: HttpRequest | None) -> timedelta:
    """AXES_COOLOFF_TIME: how long the asking username and address stay
    locked out (and how far back their failures count)."""
    if request is None:
        return lockout_length(1)
    return lockout_length(max(lockouts_so_far(request), 1))


def lockout_length(lockout: int) -> timedelta:
    """The length of a pair's `lockout`-th lockout (1, 2, …) of the day."""
    first = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    doubled: timedelta = first * 2 ** min(lockout - 1, MOST_DOUBLINGS)
    return min(doubled, max(LONGEST_LOCKOUT, first))


def username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """AXES_USERNAME_CALLABLE: the username as the login form cleans it
    (stripped, NFKC), so that "admin " and a full-width "ａｄｍｉｎ" count as
    the "admin" they log in as."""
    given = (credentials or {}).get("username") or request.POST.get("username", "")
    return unicodedata.normalize("NFKC", str(given)).strip()


def hold_the_lockout(
    sender: object, request: HttpRequest, username: str, ip_address: str, **kwargs: Any
) -> None:
    """On a new lockout, keep the pair's failures until the lockout ends.

    django-axes deletes attempts whose expiry has passed whenever anyone's
    login fails or succeeds; the expiry it sets is the cool-off as it stood
    before this lockout was logged, one doubling short. A try refused during
    a lockout (no failure counted) changes nothing."""
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    locked_at = getattr(request, "axes_attempt_time", None) or timezone.now()
    ends = locked_at + lockout_length(lockouts_so_far(request) + 1)
    AccessAttemptExpiration.objects.filter(
        access_attempt__username=username,
        access_attempt__ip_address=ip_address,
        expires_at__lt=ends,
    ).update(expires_at=ends)


def lockouts_so_far(request: HttpRequest) -> int:
    """This username and address's lockouts in the last day, since the
    username's last successful login. django-axes logs the failure that
    locks a client out with locked_out set, and (with
    AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off) logs nothing while the
    lockout lasts: one such row is one lockout."""
    name = get_client_username(request)
    address = getattr(request, "axes_ip_address", None)
    since = timezone.now() - LOCKOUT_MEMORY
    last_login = (
        AccessLog.objects.filter(username=name, attempt_time__gt=since)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    lockouts: int = AccessFailureLog.objects.filter(
        username=name,
        ip_address=address,
        locked_out=True,
        attempt_time__gt=last_login or since,
    ).count()
    return lockouts


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a 429 page (in the admin's look and the
    user's language) saying when the lockout ends, with Retry-After."""
    name = get_client_username(request, credentials)
    last_failure = (
        AccessAttempt.objects.filter(
            username=name, ip_address=getattr(request, "axes_ip_address", None)
        )
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    now = timezone.now()
    ends_at = (last_failure or now) + cool_off(request)
    response = render(
        request,
        "registration/locked_out.html",
        {
            **admin.site.each_context(request),
            "failure_limit": settings.LOGIN_FAILURE_LIMIT,
            "ends_at": ends_at,
        },
        status=429,
    )
    response["Retry-After"] = str(max(math.ceil((ends_at - now).total_seconds()), 1))
    return response
