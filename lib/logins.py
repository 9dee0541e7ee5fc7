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
from datetime import timedelta
from typing import Any

from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

LONGEST_LOCKOUT = timedelta(days=1)
# Lockouts further back than this no longer lengthen the next one.
LOCKOUT_MEMORY = timedelta(days=1)


def cool_off(request: HttpRequest | None) -> timedelta:
    """AXES_COOLOFF_TIME: how long the asking username and address stay
    locked out (and how far back their failures count)."""
    first = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    if request is None:
        return first
    earlier = lockouts_so_far(request)
    doubled: timedelta = first * 2 ** max(earlier - 1, 0)
    return min(doubled, max(LONGEST_LOCKOUT, first))


def lockouts_so_far(request: HttpRequest) -> int:
    """This username and address's lockouts in the last day, since the
    username's last successful login. django-axes logs the failure that
    locks a client out with locked_out set, and (with
    AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off) logs nothing while the
    lockout lasts: one such row is one lockout."""
    username = get_client_username(request)
    address = getattr(request, "axes_ip_address", None)
    since = timezone.now() - LOCKOUT_MEMORY
    last_login = (
        AccessLog.objects.filter(username=username, attempt_time__gt=since)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    lockouts: int = AccessFailureLog.objects.filter(
        username=username,
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
    username = get_client_username(request, credentials)
    last_failure = (
        AccessAttempt.objects.filter(
            username=username, ip_address=getattr(request, "axes_ip_address", None)
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
