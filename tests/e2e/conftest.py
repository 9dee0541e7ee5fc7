import contextlib
import email.message
import email.parser
import email.policy
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection, connections

from tests.conftest import CSP_TALLY
from tests.ports import free_port

PROJECT_DIR = Path(__file__).resolve().parents[2]
NOT_SOURCE = shutil.ignore_patterns(
    ".venv", "var", ".git", "staticfiles", "__pycache__", ".*_cache", "test-results"
)


@pytest.fixture
def fresh_checkout(tmp_path) -> Path:
    """The project's source in a directory of its own, as a fresh clone has it:
    its own var/ (database, broker, mail) that no other test touches."""
    checkout = tmp_path / "touchloop"
    shutil.copytree(PROJECT_DIR, checkout, ignore=NOT_SOURCE)
    return checkout


@pytest.fixture(name="free_port")
def free_port_fixture() -> int:
    return free_port()


@pytest.fixture
def embedded_env(real_clock) -> dict[str, str]:
    """The environment of `make run`: no servers, DEBUG on. Its processes run
    at the real time, and so does the test (tests/clock.py)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name
        not in {"DATABASE_URL", "REDIS_URL", "SMTP_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["DEBUG"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Flags for a closed network: no background calls home that would be refused.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(
                f"REQUIRE_BROWSER is set and there is no Chromium at {CHROMIUM}"
            )
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, and the test's
    # own ORM calls are synchronous by nature. Only while the browser is up:
    # a deployment check in a later test must not see the variable.
    # The test database's rows that migrations made, saved for serialized
    # rollback on each connection object, read before the event loop starts.
    serialized = {
        alias: getattr(connections[alias], "_test_serialized_contents", None)
        for alias in connections
    }
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        patch.setattr(sys.modules[__name__], "SERIALIZED_CONTENTS", serialized)
        give_serialized_contents()
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


SERIALIZED_CONTENTS: dict[str, str | None] = {}


@pytest.fixture(autouse=True)
def serialized_contents_in_the_event_loop() -> None:
    """Django's connections are per context, and with Playwright's loop
    running in this thread a test gets new connection objects, without the
    saved rows of the test database: a transactional test's flush would then
    take the roles and root causes away from every later test. Give them the
    saved rows (only while a browser runs; empty otherwise)."""
    give_serialized_contents()


def give_serialized_contents() -> None:
    for alias, contents in SERIALIZED_CONTENTS.items():
        if contents is not None:
            connections[alias]._test_serialized_contents = contents  # type: ignore[attr-defined]


# Every document a browser test loads is watched for Content-Security-Policy
# violations: the page fixture fails its test on any, and the run's tally is
# printed at the end (tests/conftest.py).
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline";
  window.reportCspViolation(
    `${event.effectiveDirective} blocked ${blocked} on ${event.documentURI}`
  );
});
"""


@pytest.fixture
def page(browser):
    context = browser.new_context(
        locale="en-US", viewport={"width": 1280, "height": 900}
    )
    violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
    CSP_TALLY["violations"] += len(violations)
    assert violations == [], "Content-Security-Policy violations"


# Where the browser tests leave screenshots for people to look at (a folder
# git ignores).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


# The password of every user tests/factories.py makes.
PASSWORD = "correct horse battery staple"


def log_in(page, live_server, username: str) -> None:
    """Through the admin's login form, as a person does."""
    page.goto(f"{live_server.url}/admin/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/admin/")


def watch_csp(context) -> list[str]:
    """The CSP violations of every page and frame of `context`, reported by
    the browser's event and by its console (which also reports those of
    documents that an event listener cannot reach)."""
    violations: list[str] = []
    context.expose_binding(
        "reportCspViolation", lambda source, text: violations.append(text)
    )
    context.add_init_script(WATCH_CSP)

    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    def on_page(page) -> None:
        page.on("console", on_console)
        page.on("framenavigated", count_document)

    def count_document(frame) -> None:
        CSP_TALLY["documents"] += 1

    context.on("page", on_page)
    return violations


# The outbox's real processes (test_dispatch.py): the pytest-django database
# on PostgreSQL, a Redis of the test's own, an SMTP server that counts what it
# receives, and `celery -A crm worker` / `beat` as the deployment runs them.

START_TIMEOUT = 60
MESSAGE_ID = re.compile(r"<invitation-(\d+)\.(\d+)@")
# Short enough that a taken-back claim or a retry shows within seconds.
OUTBOX_SETTINGS = {
    "SURVEY_SEND_LEASE_SECONDS": "5",
    "SURVEY_RETRY_BASE_SECONDS": "1",
    "DISPATCH_INTERVAL_SECONDS": "1",
}


def require_dispatch_stack() -> None:
    """Skip on SQLite, which cannot run them (CI's PostgreSQL pass does).
    Skip without redis-server too, but fail instead in CI, which sets
    REQUIRE_BROWSER, so that a missing part cannot pass as a skipped test."""
    if not os.environ.get("DATABASE_URL"):
        pytest.skip("the outbox's real-process tests need PostgreSQL (DATABASE_URL)")
    if shutil.which("redis-server") is None:
        reason = "the outbox's real-process tests need redis-server on PATH"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"REQUIRE_BROWSER is set, and {reason}")
        pytest.skip(f"{reason} (apt-get install redis-server)")


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL a process started with start_new_session, and its children."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


class CountingHandler:
    """Accepts every message and counts it by recipient and by Message-ID.

    A message counts once the server has it, before the client hears 250;
    `on_received(total)` runs at that moment too, so that a test can act in
    the window between the server's acceptance and the sender's commit."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_recipient: Counter[str] = Counter()
        self.by_message_id: Counter[str] = Counter()
        self.messages: list[tuple[list[str], bytes]] = []
        self.on_received: Callable[[int], None] | None = None
        self.parser = email.parser.BytesHeaderParser(policy=email.policy.default)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        headers = self.parser.parsebytes(envelope.content)
        with self.lock:
            self.by_message_id[str(headers["Message-ID"]).strip()] += 1
            self.by_recipient.update(envelope.rcpt_tos)
            self.messages.append((list(envelope.rcpt_tos), envelope.content))
            total = sum(self.by_message_id.values())
        if self.on_received is not None:
            self.on_received(total)
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on a fixed port, which can go down and come back on it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.handler = CountingHandler()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        # A stopped controller's loop is closed: a new one on the same port.
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> int:
        with self.handler.lock:
            return sum(self.handler.by_message_id.values())

    def messages_to(self, address: str) -> list[email.message.EmailMessage]:
        """The mails received for `address`, parsed, oldest first."""
        parser = email.parser.BytesParser(policy=email.policy.default)
        with self.handler.lock:
            received = list(self.handler.messages)
        return [
            parser.parsebytes(content)
            for recipients, content in received
            if address in recipients
        ]

    def copies_by_invitation(self) -> Counter[int]:
        """How many copies of each invitation's first mail arrived, by id."""
        with self.handler.lock:
            received = list(self.handler.by_message_id.items())
        copies: Counter[int] = Counter()
        for message_id, count in received:
            match = MESSAGE_ID.match(message_id)
            assert match, f"a mail that is no first invitation: {message_id!r}"
            assert match[2] == "0", f"a reminder went out: {message_id!r}"
            copies[int(match[1])] += count
        return copies

    def duplicates(self) -> int:
        """Copies received beyond the first of each invitation's mail."""
        copies = self.copies_by_invitation()
        return sum(copies.values()) - len(copies)


class RedisServer:
    """A redis-server of the test's own, so that the test can kill it and
    start it again (empty: it saves nothing) without disturbing anyone."""

    def __init__(self, port: int, directory: Path) -> None:
        self.port = port
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        command += ["--dir", str(self.directory)]
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + START_TIMEOUT
        with self.client() as client:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline or self.process.poll() is not None:
                        raise
                    time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None:
            kill_group(self.process)
            self.process = None

    def is_idle(self) -> bool:
        """No task waiting in Celery's queue and none taken but unacknowledged
        (kombu keeps those in the `unacked` hash until the ack)."""
        with self.client() as client:
            return client.llen("celery") == 0 and client.hlen("unacked") == 0


class CeleryProcesses:
    """`celery -A crm worker` and `beat` as real processes, each leading a
    process group of its own so that a test can SIGKILL one with its pool."""

    def __init__(self, env: dict[str, str], directory: Path) -> None:
        self.env = env
        self.directory = directory
        self.started: list[tuple[subprocess.Popen, Path]] = []

    def worker(self, name: str = "worker") -> subprocess.Popen:
        arguments = ["worker", "--hostname", f"{name}@%h", "--loglevel", "info"]
        arguments += ["--concurrency", "2", "--pool", "prefork", "-Q", "celery"]
        arguments += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
        return self.start(name, arguments, ready=" ready.")

    def beat(self, name: str = "beat") -> subprocess.Popen:
        schedule = self.directory / f"{name}-schedule"
        arguments = ["beat", "--schedule", str(schedule), "--loglevel", "info"]
        return self.start(name, arguments, ready="beat: Starting")

    def start(self, name: str, arguments: list[str], *, ready: str) -> subprocess.Popen:
        log = self.directory / f"{name}.log"
        with log.open("ab") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "crm", *arguments],
                cwd=PROJECT_DIR,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((process, log))
        deadline = time.monotonic() + START_TIMEOUT
        while ready not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{name} did not start:\n{self.tail()}")
            time.sleep(0.1)
        return process

    def python(self, script: str, *arguments: str) -> subprocess.Popen:
        """A Python process with the workers' settings, talking over pipes."""
        return subprocess.Popen(
            [sys.executable, "-c", script, *arguments],
            cwd=PROJECT_DIR,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def kill(self, process: subprocess.Popen) -> None:
        kill_group(process)

    def kill_all(self) -> None:
        for process, _log in self.started:
            kill_group(process)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(
            f"--- {log.name}\n"
            + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
            for _process, log in self.started
        )


@pytest.fixture
def dispatch_stack() -> None:
    require_dispatch_stack()


@pytest.fixture
def smtp_server(dispatch_stack) -> Iterator[SmtpServer]:
    # aiosmtpd logs every SMTP command at INFO, thousands of lines a test.
    log = logging.getLogger("mail.log")
    level = log.level
    log.setLevel(logging.WARNING)
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()
    log.setLevel(level)


@pytest.fixture
def private_redis(dispatch_stack, tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(free_port(), tmp_path)
    server.start()
    yield server
    server.kill()


def worker_database_url() -> str:
    """The URL of pytest-django's test database, for the worker processes."""
    database = connection.settings_dict
    credentials = quote(database["USER"] or "", safe="")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"], safe="")
    host = quote(database["HOST"] or "", safe="")
    port = f":{database['PORT']}" if database["PORT"] else ""
    name = quote(database["NAME"], safe="")
    return f"postgres://{credentials}@{host}{port}/{name}"


@pytest.fixture
def worker_env(
    real_clock,
    dispatch_stack,
    transactional_db,
    django_db_serialized_rollback,
    smtp_server,
    private_redis,
) -> dict[str, str]:
    """The environment of a worker on the test database: the test's rows are
    committed (transactional_db) so that other processes see them, and the
    rows that migrations made come back after the flush (serialized rollback)
    for the tests that run later. The worker runs at the real time, and so
    does the test that talks to it (tests/clock.py): its rows' times are the
    worker's."""
    # As deployed: no DEBUG, and none of the browser fixture's async leniency.
    left_out = {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {name: value for name, value in os.environ.items() if name not in left_out}
    env.update(OUTBOX_SETTINGS)
    env.update(
        DJANGO_SETTINGS_MODULE="crm.settings",
        DATABASE_URL=worker_database_url(),
        REDIS_URL=private_redis.url,
        SMTP_URL=smtp_server.url,
        # The links' tokens are derived from the key.
        SECRET_KEY=settings.SECRET_KEY,
        SITE_URL=settings.SITE_URL,
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
def celery_processes(worker_env, tmp_path) -> Iterator[CeleryProcesses]:
    processes = CeleryProcesses(worker_env, tmp_path)
    yield processes
    processes.kill_all()
