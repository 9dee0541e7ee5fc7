import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.ports import free_port
from tests.smtp import smtp_server
from webhooks import tasks

__all__ = ["smtp_server"]

TOLERANCE_SECONDS = 300


@pytest.fixture(autouse=True)
def queued(monkeypatch) -> list[int]:
    """The delivery tasks asked for (the broker is the edge of this world)."""
    ids: list[int] = []
    monkeypatch.setattr(tasks.deliver_webhook_task, "delay", ids.append)
    return ids


@pytest.fixture(autouse=True)
def private_urls_allowed(settings) -> None:
    """The receivers of these tests listen on 127.0.0.1; the tests of the
    refusal switch this off again."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True


def verified(header: str, *, secret: str, body: bytes) -> bool:
    """How a receiver checks a request: the README's example."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"].encode("ascii")
    except (KeyError, ValueError):
        return False
    signed = str(timestamp).encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - timestamp) <= TOLERANCE_SECONDS
    return hmac.compare_digest(expected.encode(), given) and fresh


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver: checks every request's signature with `secret`,
    keeps what it got, and answers with the next of `statuses` (then 200)."""

    secret: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(
                Received(
                    path=self.path,
                    headers=dict(self.headers.items()),
                    body=body,
                    verified=verified(
                        self.headers.get("Touchloop-Signature", ""),
                        secret=state.secret,
                        body=body,
                    ),
                )
            )
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", f"{state.url}/elsewhere")
            reply = b"Not today" if status >= 300 else b"ok"
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
