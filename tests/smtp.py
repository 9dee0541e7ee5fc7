"""A real SMTP server for the tests that send mail (fixtures re-exported by
the conftest of each test folder that needs them)."""

import smtplib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

from tests.ports import free_port


@dataclass
class Sink:
    """An aiosmtpd handler that keeps what it receives, or answers with the
    code a test sets (451: try later; 550: refused), or hangs up at the
    DATA command numbered `hang_up_at`."""

    messages: list[bytes] = field(default_factory=list)
    reply: str = ""
    sessions: int = 0
    data_commands: int = 0
    hang_up_at: int = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        self.data_commands += 1
        if self.data_commands == self.hang_up_at:
            server.transport.close()
            return "421 Closing"  # never reaches the client
        if self.reply:
            return self.reply
        self.messages.append(envelope.original_content)
        return "250 OK"


@pytest.fixture
def smtp_server(settings) -> Iterator[Sink]:
    """A real SMTP server on localhost, and Django's SMTP backend pointed at it."""
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    controller.stop()


@pytest.fixture
def closed_smtp_port(settings) -> int:
    """An SMTP address where nothing listens: connection refused."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP("127.0.0.1", port, timeout=2)
    return port
