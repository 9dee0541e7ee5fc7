"""Request rates: per API token, and per signed-in user for sessions.

The counts live in the default cache: Redis when REDIS_URL is set, shared by
every web process; without it (the embedded mode) each process counts alone,
so N processes allow N times the rate.
"""

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from tokens.models import ApiToken

if TYPE_CHECKING:
    # DRF imports this module while its views module loads.
    from rest_framework.views import APIView


class TokenRateThrottle(SimpleRateThrottle):
    """The token's own `requests_per_minute`, else API_TOKEN_RATE, per token:
    two tokens of one user count apart."""

    scope = "token"

    def get_rate(self) -> str | None:
        # Read per request, not once per process as DRF's rates are.
        return settings.API_TOKEN_RATE

    def allow_request(self, request: Request, view: "APIView") -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and token.requests_per_minute:
            self.rate = f"{token.requests_per_minute}/min"
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        if not isinstance(request.auth, ApiToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class SessionUserRateThrottle(SimpleRateThrottle):
    """API_USER_RATE per signed-in user of a session. Anonymous requests are
    not counted: the API refuses them, and the schema is public."""

    scope = "user"

    def get_rate(self) -> str | None:
        return settings.API_USER_RATE

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        if request.auth is not None or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
