"""The rates hold when the requests arrive at once: gunicorn (two processes
of 16 threads each, on PostgreSQL and Redis) gets 60 requests released
together by a barrier, and lets exactly the limit through. A throttle that
reads a count and writes it back let 7 to 13 of them through here."""

import contextlib
import http.client
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tests.factories import ApiTokenFactory, UserFactory
from tests.ports import free_port

PROJECT_DIR = Path(__file__).resolve().parents[2]
REQUESTS = 60
LIMIT = 5
START_TIMEOUT = 60

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def postgresql_and_redis() -> None:
    """Only where the deployment's stores are: SQLite's test database is not
    shared with other processes, and without Redis each process counts alone
    (the embedded mode's documented limit)."""
    if connection.vendor != "postgresql":
        pytest.skip("the concurrent rate tests need PostgreSQL (DATABASE_URL)")
    if not settings.REDIS_URL:
        pytest.skip("the concurrent rate tests need Redis (REDIS_URL)")


def database_url() -> str:
    """pytest-django's test database, for the server's processes."""
    database = connection.settings_dict
    credentials = quote(database["USER"] or "", safe="")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"], safe="")
    host = quote(database["HOST"] or "", safe="")
    port = f":{database['PORT']}" if database["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{quote(database['NAME'], safe='')}"


@pytest.fixture
def server(postgresql_and_redis, real_clock, tmp_path) -> Iterator[int]:
    """gunicorn on a free port with the test's limits. Yields the port."""
    # No counts of the tests before: this worker's Redis database is emptied.
    cache.clear()
    port = free_port()
    left_out = {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}
    env = {name: value for name, value in os.environ.items() if name not in left_out}
    env.update(
        # Only so that pages find their static files without collectstatic's
        # manifest; the counting is the same either way.
        DEBUG="1",
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        SECRET_KEY=settings.SECRET_KEY,
        SITE_URL=f"http://127.0.0.1:{port}",
        ALLOWED_HOSTS="127.0.0.1",
        API_TOKEN_RATE="600/min",
        API_USER_RATE="off",
        SURVEY_RATE_LIMIT_PER_MINUTE=str(LIMIT),
        PYTHONUNBUFFERED="1",
    )
    command = [sys.executable, "-m", "gunicorn", "crm.wsgi:application"]
    command += ["--workers", "2", "--threads", "16", "--worker-class", "gthread"]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    log = tmp_path / "gunicorn.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_serving(port, process, log)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        # Nor counts of this test in the later ones' (they run at other times).
        cache.clear()


def wait_until_serving(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if healthy(port):
                return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"gunicorn did not start:\n{log.read_text()}")
        time.sleep(0.1)


def healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status == 200
    finally:
        connection.close()


def at_once(
    port: int, path: str, headers: dict[str, str]
) -> tuple[list[tuple[int, str]], int]:
    """REQUESTS GETs of `path`, each on a connection of its own, opened
    first and then released together. Their statuses and Retry-After, and
    the seconds they all took (rounded up)."""
    barrier = threading.Barrier(REQUESTS)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.connect()
        barrier.wait(timeout=30)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            with lock:
                answers.append((response.status, response.getheader("Retry-After", "")))
        finally:
            connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert len(answers) == REQUESTS
    return answers, math.ceil(time.monotonic() - started)


def assert_limit_held(
    answers: list[tuple[int, str]], took: int, *, allowed: int
) -> None:
    statuses = Counter(status for status, _retry_after in answers)
    assert statuses == {allowed: LIMIT, 429: REQUESTS - LIMIT}
    # The counted requests are no older than the burst: the first slot frees
    # a minute after the first of them, less the time the burst took.
    waits = {int(retry) for status, retry in answers if status == 429}
    assert waits <= set(range(60 - took - 1, 61)), (waits, took)


def test_60_requests_at_once_with_a_5_a_minute_token_get_exactly_5_through(server):
    user = UserFactory.create(groups=["Support"])
    token = ApiTokenFactory.create(user=user, requests_per_minute=LIMIT)

    answers, took = at_once(
        server, "/api/v1/customers/", {"Authorization": f"Bearer {token.key}"}
    )

    assert_limit_held(answers, took, allowed=200)


def test_60_survey_page_requests_at_once_get_exactly_the_limit_through(server):
    # An unknown link: the limit comes first, then the page's 404.
    answers, took = at_once(server, "/s/" + "ab" * 32 + "/", {})

    assert_limit_held(answers, took, allowed=404)
