"""What a request says about who sent it."""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """Who is asking. Behind the TLS proxy (settings.BEHIND_PROXY) every
    request comes from the proxy, which appends the client's address to
    X-Forwarded-For: the last entry is the one a client cannot forge."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if settings.BEHIND_PROXY and forwarded:
        return forwarded.rsplit(",", 1)[-1].strip()
    return str(request.META.get("REMOTE_ADDR", ""))
