"""No working secret in any log line of the web server as deployed: gunicorn
with docker-compose.yml's command (gunicorn.conf.py), DEBUG off, on PostgreSQL
when DATABASE_URL is set and on a SQLite file otherwise, serves survey pages
and filtered API lists. Its access log (stdout) and Django's request log
(stderr) hold every request, redacted: no survey token, API key or email
address."""

import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.db import connection

from surveys import tokens
from surveys.models import Invitation
from tests.e2e.conftest import PROJECT_DIR, kill_group, worker_database_url
from tests.factories import (
    ApiTokenFactory,
    CustomerFactory,
    InvitationFactory,
    SurveyFactory,
    UserFactory,
)
from tests.ports import free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

START_TIMEOUT = 60
EMAIL = "someone@example.com"


@dataclass
class Web:
    url: str
    process: subprocess.Popen
    stdout: Path
    stderr: Path

    def stop(self) -> None:
        """SIGTERM, as Docker stops it: the workers finish and write their
        last access lines before the logs are read."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def web_command(port: int) -> list[str]:
    """docker-compose.yml's web command (the Dockerfile's CMD too, as
    tests/crm/test_deployment.py checks), on a free port of this machine."""
    compose = yaml.safe_load((PROJECT_DIR / "docker-compose.yml").read_text())
    program, *arguments = [str(part) for part in compose["services"]["web"]["command"]]
    assert program == "gunicorn"
    return [sys.executable, "-m", "gunicorn", *arguments, "--bind", f"127.0.0.1:{port}"]


def copy_database(source: Path, target: Path) -> None:
    """The test's committed rows into the SQLite file the server reads."""
    target.parent.mkdir(exist_ok=True)
    with (
        contextlib.closing(sqlite3.connect(source)) as reading,
        contextlib.closing(sqlite3.connect(target)) as writing,
    ):
        reading.backup(writing)


def answers_healthz(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as reply:  # noqa: S310
            return bool(reply.status == 200)
    except OSError:
        return False


@pytest.fixture
def start_web(
    real_clock, transactional_db, fresh_checkout, tmp_path
) -> Iterator[Callable[[], Web]]:
    """Starts the server, once the test's rows are committed, in a copy of
    the project (its own var/: the SQLite file, the filesystem broker; its
    own collected static files)."""
    started: list[Web] = []

    def start() -> Web:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        left_out = {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}
        left_out |= {"DATABASE_URL", "REDIS_URL", "SMTP_URL"}
        env = {
            name: value for name, value in os.environ.items() if name not in left_out
        }
        env.update(
            DEBUG="0",
            # The links' tokens are derived from the key.
            SECRET_KEY=settings.SECRET_KEY,
            SITE_URL=url,
            ALLOWED_HOSTS="127.0.0.1",
            PYTHONUNBUFFERED="1",
        )
        if connection.vendor == "postgresql":
            env["DATABASE_URL"] = worker_database_url()
        else:
            database = Path(connection.settings_dict["NAME"])
            copy_database(database, fresh_checkout / "var" / "touchloop.sqlite3")
        # The image's build step: with DEBUG off, pages name hashed files.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=fresh_checkout,
            env=env,
            check=True,
        )
        stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
        with stdout.open("ab") as out, stderr.open("ab") as err:
            process = subprocess.Popen(
                web_command(port),
                cwd=fresh_checkout,
                env=env,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        web = Web(url, process, stdout, stderr)
        started.append(web)
        deadline = time.monotonic() + START_TIMEOUT
        while not answers_healthz(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not start:\n{stderr.read_text()}")
            time.sleep(0.1)
        return web

    yield start
    for web in started:
        kill_group(web.process)
        # Shown with a failure: what went wrong on the server's side.
        print(web.stderr.read_text(errors="replace")[-5000:])


class Browser:
    """Requests with cookies, as a browser makes them; the status of each."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.last_page = ""

    def request(
        self,
        path: str,
        *,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> int:
        body = None if form is None else urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(  # noqa: S310 (the test's own server)
            self.url + path, data=body, headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=30) as reply:
                self.last_page = reply.read().decode()
                return int(reply.status)
        except urllib.error.HTTPError as error:
            self.last_page = error.read().decode(errors="replace")
            return error.code

    def csrf_token(self) -> str:
        """The last page's CSRF token (any of its forms': each is valid)."""
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.last_page)
        assert found, self.last_page
        return found[1]


def test_the_logs_hold_every_request_redacted_and_no_secret(start_web):
    customer = CustomerFactory.create(email=EMAIL)
    survey = SurveyFactory.create(kind="nps")
    invitation = InvitationFactory.create(
        survey=survey, customer=customer, interaction__customer=customer
    )
    closed = InvitationFactory.create(
        survey=survey,
        customer=customer,
        interaction__customer=customer,
        status=Invitation.Status.EXPIRED,
    )
    token = tokens.token_for(invitation.nonce)
    closed_token = tokens.token_for(closed.nonce)
    unknown_token = secrets.token_hex(32)
    key = ApiTokenFactory.create(user=UserFactory.create(groups=["Support"])).key
    web = start_web()

    browser = Browser(web.url)
    page = f"{web.url}/s/{token}/?score=9"
    assert browser.request(f"/s/{token}/?score=9") == 200
    out_of_scale = {"score": "99", "csrfmiddlewaretoken": browser.csrf_token()}
    assert (
        browser.request(f"/s/{token}/", form=out_of_scale, headers={"Referer": page})
        == 400
    )
    assert Browser(web.url).request(f"/s/{token}/", form={"score": "9"}) == 403
    assert browser.request(f"/s/{token}/unsubscribe") == 200
    assert browser.request(f"/s/{closed_token}/") == 410
    assert browser.request(f"/s/{unknown_token}/") == 404
    api = Browser(web.url)
    bearer = {"Authorization": f"Bearer {key}"}
    assert api.request(f"/api/v1/customers/?email={EMAIL}", headers=bearer) == 200
    assert [found["id"] for found in json.loads(api.last_page)["results"]] == [
        customer.pk
    ]
    search = urllib.parse.urlencode({"search": EMAIL})
    assert api.request(f"/api/v1/interactions/?{search}", headers=bearer) == 200
    assert api.request(f"/api/v1/customers/?api_key={key}") == 401
    web.stop()

    access_log, error_log = web.stdout.read_text(), web.stderr.read_text()
    for secret in [token, closed_token, unknown_token, key, EMAIL]:
        for form in {secret, urllib.parse.quote(secret, safe="")}:
            assert form not in access_log + error_log
    for request in [
        '"GET /s/…/?score=… HTTP/1.1" 200',
        '"POST /s/…/ HTTP/1.1" 400',
        '"GET /s/…/unsubscribe HTTP/1.1" 200',
        '"GET /s/…/ HTTP/1.1" 410',
        '"GET /s/…/ HTTP/1.1" 404',
        '"GET /api/v1/customers/?email=… HTTP/1.1" 200',
        '"GET /api/v1/interactions/?search=… HTTP/1.1" 200',
        '"GET /api/v1/customers/?api_key=… HTTP/1.1" 401',
        f'"{web.url}/s/…/?score=…"',  # the Referer of the answer
    ]:
        assert request in access_log
    for line in [
        "Bad Request: /s/…/",
        "Forbidden (CSRF cookie not set.): /s/…/",
        "Gone: /s/…/",
        "Not Found: /s/…/",
        "Unauthorized: /api/v1/customers/",
    ]:
        assert line in error_log.splitlines()
