"""The signed HTTP POST of a webhook event, to a checked and pinned address.

The request. Body: `{"id", "type", "created_at", "data"}`. Headers:
`Touchloop-Event-Id`, `Touchloop-Event-Type` and
`Touchloop-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` of
`f"{t}.{raw body}"` keyed with the subscription's secret. A receiver
recomputes the HMAC over the raw bytes, compares in constant time and
refuses a timestamp more than SIGNATURE_TOLERANCE away from its clock: a
captured request cannot be replayed later (README, "Webhooks").

The connection. The POST takes WEBHOOK_TIMEOUT_SECONDS in all, follows no
redirect, and goes to an address resolved and checked just before (no
loopback, private or link-local address unless WEBHOOK_ALLOW_PRIVATE_URLS):
the connection goes to the checked address, so a second DNS answer cannot
switch it. Only our own short error is kept ("HTTP 500", "timed out"), never
the receiver's body.
"""

import hashlib
import hmac
import http.client
import io
import json
import socket
import ssl
import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from lib.api import UtcDateTimeField
from webhooks.models import Event, Subscription, is_public_address

SIGNATURE_HEADER = "Touchloop-Signature"
SIGNATURE_TOLERANCE = timedelta(minutes=5)
# The longest error kept. Errors are ours ("HTTP 500", "timed out"): the
# receiver's body is never stored, it may hold anything.
MAX_ERROR_LENGTH = 300


def body_of(event: Event) -> bytes:
    created_at = UtcDateTimeField().to_representation(event.created_at)
    document = {
        "id": str(event.id),
        "type": event.type,
        "created_at": created_at,
        "data": event.payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, *, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(header: str, *, secret: str, body: bytes, now: datetime) -> bool:
    """What a receiver does (README, "Webhooks"): the same HMAC over the raw
    body, compared in constant time, and a timestamp within the tolerance."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > SIGNATURE_TOLERANCE.total_seconds():
        return False
    expected = signature(secret, timestamp=timestamp, body=body).encode()
    # Bytes: compare_digest refuses a str with non-ASCII characters.
    given = f"t={timestamp},v1={parts.get('v1', '')}".encode()
    return hmac.compare_digest(expected, given)


class PrivateAddressError(Exception):
    """The URL's host resolves to an address webhooks may not reach."""


AddressInfo = tuple[Any, ...]  # one answer of socket.getaddrinfo


def checked_address(host: str, port: int) -> AddressInfo:
    """Resolve the host and return the address to connect to; refuse the
    host when any of its addresses is local or private (unless
    WEBHOOK_ALLOW_PRIVATE_URLS). The connection goes to this address, not to
    the name: a second lookup could answer otherwise (DNS rebinding)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        for *_, sockaddr in found:
            if not is_public_address(str(sockaddr[0])):
                raise PrivateAddressError(
                    f"refused: {host} is a local or private address"
                )
    return found[0]


def connect_to(address: AddressInfo, timeout: float | None) -> socket.socket:
    """A socket connected to the address itself: no second lookup."""
    family, kind, protocol, _, sockaddr = address
    sock = socket.socket(family, kind, protocol)
    try:
        sock.settimeout(timeout)
        sock.connect(sockaddr)
    except OSError:
        sock.close()
        raise
    return sock


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a checked address; the Host header keeps the name."""

    def __init__(
        self, host: str, port: int, *, address: AddressInfo, timeout: float
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = connect_to(self.address, self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to a checked address; SNI and the certificate check use the
    name of the URL, as for any https request."""

    def __init__(
        self, host: str, port: int, *, address: AddressInfo, timeout: float
    ) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = connect_to(self.address, self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


class DeadlineReader(io.RawIOBase):
    """The socket as the response reads it, each read given only what is
    left of the delivery's time: a receiver dripping its headers a byte at a
    time cannot hold a worker past the deadline (the socket's timeout alone
    is per read)."""

    def __init__(self, sock: socket.socket, deadline: float):
        self.sock, self.deadline = sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - clock.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        self.sock.settimeout(left)
        return self.sock.recv_into(buffer)


def response_class(deadline: float) -> Callable[..., http.client.HTTPResponse]:
    def response(sock: socket.socket, **kwargs: Any) -> http.client.HTTPResponse:
        reply = http.client.HTTPResponse(sock, **kwargs)
        reply.fp.close()
        reply.fp = io.BufferedReader(DeadlineReader(sock, deadline))
        return reply

    return response


@dataclass
class Outcome:
    status_code: int | None
    response_ms: int
    error: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(subscription: Subscription, event: Event, *, now: datetime) -> Outcome:
    """POST the event; the outcome keeps the status code, the time taken and
    an error of ours, never the receiver's body. No redirect is followed (a
    3xx is an answer: following could send the event to a host nobody
    subscribed)."""
    body = body_of(event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Touchloop-Webhooks/1",
        "Touchloop-Event-Id": str(event.id),
        "Touchloop-Event-Type": event.type,
        SIGNATURE_HEADER: signature(
            subscription.secret, timestamp=int(now.timestamp()), body=body
        ),
    }
    started = clock.monotonic()
    deadline = started + settings.WEBHOOK_TIMEOUT_SECONDS
    status_code, error = None, ""
    try:
        status_code = send(subscription.url, body, headers, deadline=deadline)
    except PrivateAddressError as refusal:
        error = str(refusal)
    except socket.gaierror:
        error = "host not found"
    except TimeoutError:
        error = "timed out"
    except ConnectionRefusedError:
        error = "connection refused"
    except ConnectionResetError:
        error = "connection reset"
    except ssl.SSLCertVerificationError:
        error = "TLS certificate not valid"
    except ssl.SSLError:
        error = "TLS error"
    except http.client.HTTPException:
        error = "not a valid HTTP response"
    except (OSError, ValueError):
        error = "connection failed"
    elapsed = round((clock.monotonic() - started) * 1000)
    if status_code is not None and not 200 <= status_code < 300:
        error = f"HTTP {status_code}"
    return Outcome(status_code, elapsed, error[:MAX_ERROR_LENGTH])


def send(url: str, body: bytes, headers: dict[str, str], *, deadline: float) -> int:
    """The status code of a POST to the URL (http or https: the model's
    validator refuses any other scheme). The body of the answer is not read."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    address = checked_address(host, port)
    connection_class = PinnedHTTPSConnection if https else PinnedHTTPConnection
    left = max(deadline - clock.monotonic(), 0.001)
    connection = connection_class(host, port, address=address, timeout=left)
    connection.response_class = response_class(deadline)  # type: ignore[assignment]
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()
