"""Request rates: per API token, and per signed-in user for sessions.

Counted by lib.rates, atomically and in a sliding window: in Redis when
REDIS_URL is set, shared by every web process; without it (the embedded
mode) each process counts alone, so N processes allow N times the rate.
If Redis cannot be reached, requests are let through with a warning (see
lib.rates: a counter outage must not become an API outage).
"""

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from lib import rates
from tokens.models import ApiToken

if TYPE_CHECKING:
    # DRF imports this module while its views module loads.
    from rest_framework.views import APIView


class CountedThrottle(BaseThrottle):
    """A request counted under the key and rate that `limit` names, or not at
    all when it names none."""

    verdict = rates.Verdict(allowed=True)

    def limit(self, request: Request) -> tuple[str, rates.Rate] | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: "APIView") -> bool:
        limit = self.limit(request)
        if limit is None:
            return True
        key, rate = limit
        self.verdict = rates.hit(key, rate)
        return self.verdict.allowed

    def wait(self) -> float | None:
        # DRF sends it as Retry-After: when the window frees a slot.
        return self.verdict.retry_after


class TokenRateThrottle(CountedThrottle):
    """The token's own `requests_per_minute`, else API_TOKEN_RATE, per token:
    two tokens of one user count apart."""

    def limit(self, request: Request) -> tuple[str, rates.Rate] | None:
        token = request.auth
        if not isinstance(token, ApiToken):
            return None
        if token.requests_per_minute:
            rate = rates.Rate(limit=token.requests_per_minute, seconds=60)
        elif settings.API_TOKEN_RATE:
            # Read per request, not once per process as DRF's rates are.
            rate = rates.parse_rate(settings.API_TOKEN_RATE)
        else:
            return None
        return f"token:{token.pk}", rate


class SessionUserRateThrottle(CountedThrottle):
    """API_USER_RATE per signed-in user of a session. Anonymous requests are
    not counted: the API refuses them, and the schema is public."""

    def limit(self, request: Request) -> tuple[str, rates.Rate] | None:
        if request.auth is not None or not request.user.is_authenticated:
            return None
        if not settings.API_USER_RATE:
            return None
        return f"user:{request.user.pk}", rates.parse_rate(settings.API_USER_RATE)
