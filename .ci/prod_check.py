"""The production-shaped run (`make prod-check`, called by .ci/run).

What users deploy is what this proves, not the developer's virtualenv:

1. a new virtualenv from the runtime lock alone (`requirements.txt`, hashed),
   as the image installs it: no test or tool package can hide a missing one;
2. a copy of the tree as the image's `COPY . .` makes it (`.dockerignore`),
   `collectstatic` run on it as the Dockerfile does at build time, then the
   tree made read-only for the user that runs Touchloop (root's processes run
   as `nobody`): only `var/` and the user's home are writable, as in the image;
3. the processes of `docker-compose.yml`, read from it: migrate, then web
   (gunicorn), the Celery worker and beat, against PostgreSQL and Redis, with
   every variable of `.env.example` (compose's `env_file`), DEBUG off;
4. one loop end to end through HTTP and SMTP only: a customer and an NPS
   survey created through the API, a resolved interaction logged, the survey
   mail received by a real SMTP server, 2 answered through the page's form,
   the case with its owner in the API, the owner's alert received;
5. the security review's attacks again (.ci/attacks.py: a login flood, a
   50,000-column CSV, a timeline flood, a greedy token rate, 60 concurrent
   requests at 5 a minute, a line break in a name, a webhook to a 6to4
   loopback, the CSP headers, a weak SECRET_KEY, a weak demo password): each
   must be refused or contained, and the table of results is printed;
6. SIGTERM to each process: each must exit within 30 s, and no log may hold
   a traceback, nor a working secret of the loop (the survey link's token,
   the API key) or an email address or phone number it used: the web log
   holds the loop's requests redacted (`/s/…/`, lib/logs.py).

A process that cannot start fails the check with its log's tail. The
machine's PostgreSQL is used (PG_ADMIN_URL), in a database created for the
run and dropped after it; Redis is a redis-server of the run's own, started
with compose's options (or PROD_CHECK_REDIS_URL, when set).
"""

from __future__ import annotations

import contextlib
import email.message
import email.parser
import email.policy
import html.parser
import http.cookiejar
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import attacks
import psycopg
import redis
import yaml
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
GIVEN_REDIS_URL = os.environ.get("PROD_CHECK_REDIS_URL", "")
START_SECONDS = 90
LOOP_SECONDS = 120
# The Dockerfile's build step, which runs as root before `USER touchloop`.
COLLECTSTATIC = ["python", "manage.py", "collectstatic", "--noinput"]
COLLECTSTATIC_ENV = {
    "SECRET_KEY": "collectstatic-only-not-a-secret-0123456789abcdefghij"
}
# Long-running services of docker-compose.yml, and the one-shot before them.
SERVICES = ["web", "worker", "beat"]
ONE_SHOT = "migrate"
# Values that must differ on this machine: its servers, ports and addresses.
# Everything else comes from .env.example, as a user's .env would give it.
T = TypeVar("T")


class CheckError(Exception):
    pass


def step(text: str) -> None:
    print(f"-- {text}", flush=True)


def wait_for(what: str, probe: Callable[[], T | None], seconds: float) -> T:
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise CheckError(f"waited {seconds:.0f} s for {what}")
        time.sleep(0.25)


# --- What the deployment files say ------------------------------------------


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def service_command(name: str) -> list[str]:
    command: list[str] = compose()["services"][name]["command"]
    return [str(part) for part in command]


def stop_seconds() -> int:
    """compose's stop_grace_period: the time a process has after SIGTERM."""
    period = str(compose()["x-touchloop"].get("stop_grace_period", "10s"))
    if not re.fullmatch(r"\d+s", period):
        raise CheckError(f"stop_grace_period in seconds, please: {period!r}")
    return int(period[:-1])


def healthcheck_command(port: int) -> list[str]:
    """The web service's healthcheck, against this machine's port."""
    test = compose()["services"]["web"]["healthcheck"]["test"]
    if test[0] != "CMD":
        raise CheckError(f"the web healthcheck is no exec form: {test!r}")
    return [part.replace(":8000/", f":{port}/") for part in test[1:]]


def dockerfile_cmd() -> list[str]:
    """The image's CMD (its exec form), what `docker run` without a command runs."""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("CMD "):
            command: list[str] = json.loads(line.removeprefix("CMD "))
            return command
    raise CheckError("the Dockerfile has no CMD")


def env_file(path: Path) -> dict[str, str]:
    """A compose env_file: NAME=value lines, # comments, optional quotes."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.strip()] = value
    return values


INTERPOLATION = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error}."""

    def replace(match: re.Match[str]) -> str:
        name, operator, argument = match[1], match[2] or "", match[3] or ""
        current = variables.get(name, "")
        if operator.endswith("-"):
            return current or argument
        if operator.endswith("?") and not current:
            raise CheckError(f"docker-compose.yml needs {name}: {argument}")
        return current

    return INTERPOLATION.sub(replace, value)


def service_environment(name: str, dotenv: dict[str, str]) -> dict[str, str]:
    """What compose gives the service: its env_file, then `environment`."""
    service = compose()["services"][name]
    files = service.get("env_file", [])
    files = [files] if isinstance(files, str | dict) else files
    values: dict[str, str] = {}
    for entry in files:
        path = entry["path"] if isinstance(entry, dict) else entry
        if path != ".env":
            raise CheckError(f"{name} reads an env_file other than .env: {path}")
        values.update(dotenv)
    for key, value in (service.get("environment") or {}).items():
        values[key] = interpolate(str(value), dotenv)
    return values


def ignored_by_docker() -> Callable[[str, list[str]], set[str]]:
    """shutil.copytree's ignore, from .dockerignore's patterns."""
    patterns = [
        line.strip().removeprefix("**/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return shutil.ignore_patterns(*patterns)


def distribution_name(requirement: str) -> str:
    """`Prompt_Toolkit[extra]==3.0 ; marker` → `prompt-toolkit` (PEP 503)."""
    name = re.split(r"[\[=<>~!; ]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


# --- The machine's servers ----------------------------------------------------


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    name = f"touchloop_prod_check_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    admin_url = urllib.parse.urlsplit(PG_ADMIN_URL)
    try:
        yield admin_url._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def private_redis(work: Path) -> Iterator[str]:
    """A redis-server of the run's own, with compose's options for its Redis."""
    options = [str(part) for part in compose()["services"]["redis"]["command"]]
    if options[0] != "redis-server" or shutil.which("redis-server") is None:
        raise CheckError("redis-server is needed (apt-get install redis-server)")
    port = free_port()
    directory = work / "redis"
    directory.mkdir()
    here = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory)]
    with (directory / "redis.log").open("ab") as log:
        server = subprocess.Popen(
            [*options, *here, "--daemonize", "no"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        with redis.Redis.from_url(url) as client:
            wait_for("redis-server", lambda: ping(client), 30)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def ping(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    """aiosmtpd receiving every mail, parsed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.parser = email.parser.BytesParser(policy=email.policy.default)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = self.parser.parsebytes(envelope.content)
        assert isinstance(message, email.message.EmailMessage)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [message for rcpt, message in self.messages if address in rcpt]


# --- The deployment -----------------------------------------------------------


@dataclass
class Deployment:
    work: Path
    python: str
    envs: dict[str, dict[str, str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def tree(self) -> Path:
        return self.work / "app"

    @property
    def venv(self) -> Path:
        return self.work / "venv"

    @property
    def logs(self) -> Path:
        return self.work / "logs"

    def as_user(self) -> list[str]:
        """Root builds; an unprivileged user runs, as the image's USER does."""
        if os.geteuid() != 0:
            return []
        return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]

    def runnable_python(self) -> str:
        """The first Python 3.11+ with venv that the user who runs Touchloop
        may execute (root's pyenv lives in /root, which `nobody` cannot
        enter): PYTHON, python3, then Debian's."""
        probe = "import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))"
        for candidate in [self.python, "python3", "/usr/bin/python3"]:
            found = shutil.which(candidate)
            if not found:
                continue
            real = os.path.realpath(found)
            if (
                subprocess.run(
                    [*self.as_user(), real, "-c", probe],
                    capture_output=True,
                    check=False,
                ).returncode
                == 0
            ):
                return real
        raise CheckError("no Python 3.11+ with venv that the runtime user may run")

    def install(self) -> None:
        step("a new virtualenv from the runtime lock alone (pip --require-hashes)")
        python = self.runnable_python()
        subprocess.run([python, "-m", "venv", str(self.venv)], check=True)
        pip = [str(self.venv / "bin" / "python"), "-m", "pip", "--quiet"]
        installing = subprocess.run(
            [*pip, "install", "--require-hashes", "-r", str(ROOT / "requirements.txt")],
            capture_output=True,
            text=True,
            check=False,
        )
        if installing.returncode != 0:
            raise CheckError(f"pip install failed:\n{installing.stderr}")
        installed = subprocess.run(
            [*pip, "freeze", "--all"], check=True, capture_output=True, text=True
        ).stdout
        locked = {
            distribution_name(line)
            for line in (ROOT / "requirements.txt").read_text().splitlines()
            if re.match(r"[A-Za-z0-9]", line)
        }
        extra = {distribution_name(line) for line in installed.splitlines()}
        extra -= locked | {"pip", "setuptools", "wheel"}
        if extra:
            raise CheckError(f"installed beyond the runtime lock: {sorted(extra)}")

    def build(self) -> None:
        step("the image's tree (.dockerignore), collectstatic, then read-only")
        shutil.copytree(ROOT, self.tree, ignore=ignored_by_docker())
        self.logs.mkdir()
        self.run_once(
            "collectstatic", COLLECTSTATIC, env={**self.base_env(), **COLLECTSTATIC_ENV}
        )
        var = self.tree / "var"
        var.mkdir(exist_ok=True)
        home = self.work / "home"
        home.mkdir()
        for path in [self.work, self.venv]:
            path.chmod(0o755)
        if self.as_user():
            # The image: root owns the tree; the user owns var/ and its home.
            for writable in [var, *var.rglob("*"), home]:
                shutil.chown(writable, "nobody", "nogroup")
        else:
            for path in [self.tree, *self.tree.rglob("*")]:
                if path != var and var not in path.parents and not path.is_symlink():
                    path.chmod(path.stat().st_mode & ~0o222)
        probe = self.tree / "manage.py"
        can_write = subprocess.run(
            [*self.as_user(), "test", "-w", str(probe)], check=False
        )
        if can_write.returncode == 0:
            raise CheckError("the tree is writable for the user that runs Touchloop")

    def base_env(self) -> dict[str, str]:
        """The image's environment (Dockerfile ENV, PATH to its Python)."""
        return {
            "PATH": f"{self.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.work / "home"),
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        }

    def configure(
        self, database_url: str, redis_url: str, web_port: int, smtp_port: int
    ) -> None:
        """Each service's environment as compose gives it, from a user's .env
        (.env.example with this machine's values); a variable that does not
        reach every service is a problem, reported after the run."""
        dotenv = env_file(ROOT / ".env.example")
        dotenv.update(
            SECRET_KEY=secrets.token_urlsafe(50),
            SITE_URL=f"http://127.0.0.1:{web_port}",
            ALLOWED_HOSTS="127.0.0.1",
            SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
            DEFAULT_FROM_EMAIL="Touchloop <touchloop@example.com>",
            # Short waits, so that the loop completes in seconds.
            DISPATCH_INTERVAL_SECONDS="1",
            CASE_ALERT_DELAY_SECONDS="2",
        )
        for name in [ONE_SHOT, *SERVICES]:
            values = service_environment(name, dotenv)
            missing = sorted(set(dotenv) - set(values))
            if missing:
                self.problems.append(f"{name} does not receive {', '.join(missing)}")
            # What must differ from the containers: this machine's servers.
            values.update(DATABASE_URL=database_url, REDIS_URL=redis_url)
            self.envs[name] = {**self.base_env(), **values}

    def log_of(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def tail(self, name: str, lines: int = 40) -> str:
        log = self.log_of(name)
        text = log.read_text(errors="replace") if log.exists() else ""
        return "\n".join(f"    {line}" for line in text.splitlines()[-lines:])

    def run_once(
        self, name: str, command: list[str], env: dict[str, str] | None = None
    ) -> str:
        """A one-shot command in the tree; its output, or the check fails."""
        prefix = [] if name == "collectstatic" else self.as_user()
        with self.log_of(name).open("ab") as log:
            done = subprocess.run(
                [*prefix, *command],
                cwd=self.tree,
                env=env or self.envs[ONE_SHOT],
                capture_output=True,
                check=False,
            )
            log.write(done.stdout + done.stderr)
        if done.returncode != 0:
            output = (done.stdout + done.stderr).decode(errors="replace")
            tail = "\n".join(f"    {x}" for x in output.splitlines()[-40:])
            raise CheckError(
                f"{name} failed (exit {done.returncode}): {' '.join(command)}\n{tail}"
            )
        return done.stdout.decode()

    def refused(self, command: list[str], env: dict[str, str]) -> str:
        """A one-shot command expected to fail: the last line it wrote (its
        error), or "" if it ran. Not logged: its traceback is the point."""
        done = subprocess.run(
            [*self.as_user(), *command],
            cwd=self.tree,
            env=env,
            capture_output=True,
            check=False,
        )
        if done.returncode == 0:
            return ""
        lines = (done.stdout + done.stderr).decode(errors="replace").splitlines()
        return next((line for line in reversed(lines) if line.strip()), "?")

    def start(self, name: str, command: list[str]) -> None:
        with self.log_of(name).open("ab") as log:
            self.processes[name] = subprocess.Popen(
                [*self.as_user(), *command],
                cwd=self.tree,
                env=self.envs[name],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def ensure_running(
        self,
        name: str,
        ready: Callable[[], bool],
        describe: Callable[[], str] = lambda: "",
    ) -> None:
        deadline = time.monotonic() + START_SECONDS
        while not ready():
            # Any process that died while this one starts fails the check.
            for other, process in self.processes.items():
                if process.poll() is not None:
                    raise CheckError(
                        f"{other} exited with {process.returncode} at start; its "
                        f"log:\n{self.tail(other)}"
                    )
            if time.monotonic() > deadline:
                raise CheckError(
                    f"{name} was not ready after {START_SECONDS} s {describe()}; "
                    f"its log:\n{self.tail(name)}"
                )
            time.sleep(0.25)

    def log_says(self, name: str, text: str) -> Callable[[], bool]:
        return lambda: text in self.log_of(name).read_text(errors="replace")

    def stop_all(self) -> list[str]:
        """SIGTERM each process; the ones that took longer than allowed."""
        slow = []
        for name, process in self.processes.items():
            if process.poll() is not None:
                continue
            started = time.monotonic()
            # To the process alone, as Docker signals a container's PID 1.
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=stop_seconds())
                step(f"{name} exited {time.monotonic() - started:.1f} s after SIGTERM")
            except subprocess.TimeoutExpired:
                slow.append(name)
        return slow

    def kill_all(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def leaks(self, secrets_used: dict[str, str]) -> list[str]:
        """`<what> in the <process> log` for every secret a process's log
        holds, named by what it is: the failure must not print it."""
        found = []
        for name in SERVICES:
            text = self.log_of(name).read_text(errors="replace")
            for what, secret in secrets_used.items():
                if secret in text or urllib.parse.quote(secret) in text:
                    found.append(f"{what} in the {name} log")
        return found

    def tracebacks(self) -> list[str]:
        return [
            log.stem
            for log in sorted(self.logs.glob("*.log"))
            if "Traceback (most recent call last)" in log.read_text(errors="replace")
        ]


# --- The loop, over HTTP and SMTP ---------------------------------------------


class Http:
    """A client with cookies, as a browser without script would be."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        full = url if url.startswith("http") else self.base + url
        request = urllib.request.Request(  # noqa: S310 (our own server)
            full, data=body, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=30) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


class Api:
    def __init__(self, http: Http, key: str) -> None:
        self.http = http
        self.headers = {
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
        }

    def call(self, method: str, path: str, data: object = None) -> Any:
        body = None if data is None else json.dumps(data).encode()
        status, text = self.http.request(
            method, f"/api/v1/{path}", body=body, headers=self.headers
        )
        if status >= 300:
            raise CheckError(f"{method} /api/v1/{path} answered {status}: {text}")
        return json.loads(text)


class FormReader(html.parser.HTMLParser):
    """The hidden inputs of a page's form (the CSRF token)."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("type") == "hidden" and values.get("name"):
            self.hidden[str(values["name"])] = values.get("value") or ""


def score_link(mail: email.message.EmailMessage, score: int) -> str:
    body = mail.get_body(preferencelist=("html",))
    assert body is not None
    content = str(body.get_content())
    links: list[str] = [
        html.unescape(href)
        for href in re.findall(r'href="([^"]+)"', content)
        if html.unescape(href).endswith(f"?score={score}")
    ]
    if len(links) != 1:
        raise CheckError(f"the survey mail has no single link for {score}")
    return links[0]


def close_the_loop(
    deployment: Deployment, site: str, mailbox: Mailbox
) -> dict[str, str]:
    """The loop; the secrets and addresses it used, which no log may hold."""
    step("an owner (createsuperuser) and an API key (create_api_token), as ops do")
    owner_email = "owner@example.com"
    deployment.run_once(
        "createsuperuser",
        [
            "python",
            "manage.py",
            "createsuperuser",
            "--noinput",
            "--username",
            "owner",
            "--email",
            owner_email,
        ],
        env={
            **deployment.envs["web"],
            "DJANGO_SUPERUSER_PASSWORD": secrets.token_urlsafe(),
        },
    )
    key = deployment.run_once(
        "create_api_token",
        ["python", "manage.py", "create_api_token", "owner", "--scope", "write"],
        env=deployment.envs["web"],
    ).strip()
    http = Http(site)
    api = Api(http, key)
    [token] = api.call("GET", "tokens/")["results"]

    step("a customer, an NPS survey and a resolved interaction, through the API")
    customer = api.call(
        "POST",
        "customers/",
        {
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "phone": CUSTOMER_PHONE,
            "owner": token["user"],
        },
    )
    found = api.call("GET", "customers/?email=ada@example.com")["results"]
    if [each["id"] for each in found] != [customer["id"]]:
        raise CheckError(f"the customer is not found by email: {found}")
    api.call(
        "POST",
        "surveys/",
        {
            "name": "After support",
            "kind": "nps",
            "trigger": "interaction",
            "delay_minutes": 0,
        },
    )
    api.call(
        "POST",
        "interactions/",
        {
            "customer": customer["id"],
            "channel": "phone",
            "direction": "inbound",
            "subject": "Invoice question",
            "status": "resolved",
            "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        },
    )

    step("the survey mail arrives at the SMTP server")
    wait_for("the survey mail", lambda: mailbox.to("ada@example.com"), LOOP_SECONDS)
    time.sleep(2)  # a second copy would come within the dispatcher's period
    mails = mailbox.to("ada@example.com")
    if len(mails) != 1:
        raise CheckError(f"{len(mails)} survey mails arrived instead of one")
    survey_mail = mails[0]
    link = score_link(survey_mail, 2)
    if not link.startswith(site):
        raise CheckError(f"the mail's link does not point at SITE_URL: {link!r}")

    step("the customer answers 2 through the page's form")
    status, page = http.request("GET", link)
    if status != 200:
        raise CheckError(f"the answer page answered {status}")
    form = FormReader()
    form.feed(page)
    answer = urllib.parse.urlencode(
        {**form.hidden, "score": "2", "comment": "Nobody called me back"}
    ).encode()
    status, page = http.request(
        "POST",
        link.split("?")[0],
        body=answer,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 200 or 'id="thanks"' not in page:
        raise CheckError(f"the answer was not recorded ({status})")

    step("a case with its owner, and the owner's alert mail")

    def the_case() -> dict[str, Any] | None:
        found = api.call("GET", f"cases/?customer={customer['id']}")["results"]
        return found[0] if found else None

    case = wait_for("the case", the_case, LOOP_SECONDS)
    if case["owner"] != token["user"] or case["reason"] != "detractor":
        raise CheckError(f"the case is not the owner's detractor case: {case}")
    [alert] = wait_for(
        "the owner's alert", lambda: mailbox.to(owner_email), LOOP_SECONDS
    )
    print(f"   alert: {alert['Subject']}", flush=True)
    survey_token = urllib.parse.urlsplit(link).path.split("/")[2]
    return {
        "the survey link's token": survey_token,
        "the API key": key,
        "the customer's email address": "ada@example.com",
        "the customer's phone number": CUSTOMER_PHONE,
        "the owner's email address": owner_email,
    }


# Printed in the owner's alert mail; never in a log.
CUSTOMER_PHONE = "+86 138 0013 8000"


def main() -> int:
    python = os.environ.get("PYTHON", "python3")
    work = Path(tempfile.mkdtemp(prefix="touchloop-prod-check-"))
    deployment = Deployment(work=work, python=python)
    mailbox = Mailbox()
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    web_port = free_port()
    site = f"http://127.0.0.1:{web_port}"
    failed = True
    try:
        deployment.install()
        deployment.build()
        with contextlib.ExitStack() as stack:
            database_url = stack.enter_context(fresh_database())
            redis_url = GIVEN_REDIS_URL or stack.enter_context(private_redis(work))
            smtp.start()
            stack.callback(smtp.stop)
            deployment.configure(database_url, redis_url, web_port, smtp.port)

            step(f"{ONE_SHOT}: {' '.join(service_command(ONE_SHOT))}")
            deployment.run_once(ONE_SHOT, service_command(ONE_SHOT))
            for name in SERVICES:
                command = service_command(name)
                if name == "web":
                    # This machine's free port instead of the container's 8000
                    # (gunicorn.conf.py's bind): the command line wins.
                    command = [*command, "--bind", f"127.0.0.1:{web_port}"]
                step(f"{name}: {' '.join(command)}")
                deployment.start(name, command)
            deployment.ensure_running(
                "worker", deployment.log_says("worker", " ready.")
            )
            deployment.ensure_running(
                "beat", deployment.log_says("beat", "Starting...")
            )
            health = Health(site)
            deployment.ensure_running("web", health.ok, health.describe)
            step("web: the healthcheck of docker-compose.yml")
            deployment.run_once(
                "healthcheck", healthcheck_command(web_port), deployment.envs["web"]
            )

            secrets_used = close_the_loop(deployment, site, mailbox)
            rerun_the_attacks(deployment, site, secrets_used)

            step("SIGTERM to each process")
            slow = deployment.stop_all()
            if slow:
                raise CheckError(
                    f"still running {stop_seconds()} s after SIGTERM "
                    f"(compose's stop_grace_period): {', '.join(slow)}"
                )
            with_tracebacks = deployment.tracebacks()
            if with_tracebacks:
                names = ", ".join(with_tracebacks)
                tails = "\n".join(
                    f"  {name}:\n{deployment.tail(name)}" for name in with_tracebacks
                )
                raise CheckError(f"a traceback in the log of {names}:\n{tails}")
            leaks = deployment.leaks(secrets_used)
            if leaks:
                raise CheckError(f"a secret in a log: {'; '.join(leaks)}")
            if not deployment.log_says("web", '"POST /s/…/ HTTP/1.1" 200')():
                raise CheckError(
                    f"the web log has no redacted survey request (the access "
                    f"log of gunicorn.conf.py); its log:\n{deployment.tail('web')}"
                )
            failed = bool(deployment.problems)
    except CheckError as failure:
        print(f"\nprod-check FAILED: {failure}", flush=True)
    finally:
        deployment.kill_all()
        for problem in deployment.problems:
            print(f"prod-check FAILED: {problem}", flush=True)
        if failed:
            print(f"(logs kept in {deployment.logs})", flush=True)
        else:
            for path in [work, *work.rglob("*")]:
                if not path.is_symlink():
                    path.chmod(path.stat().st_mode | 0o200)
            shutil.rmtree(work, ignore_errors=True)
    if failed:
        return 1
    print("prod-check passed", flush=True)
    return 0


def rerun_the_attacks(
    deployment: Deployment, site: str, secrets_used: dict[str, str]
) -> None:
    """The security review's attacks against this deployment (.ci/attacks.py):
    each must now be refused or contained."""
    step("the security review's attacks, again")
    web = deployment.envs["web"]
    token = secrets_used["the survey link's token"]
    survey_link = f"{site}/s/{token}/"
    count_notes = (
        "from feedback.models import CaseEvent; "
        "print(CaseEvent.objects.filter(kind=CaseEvent.Kind.NOTE).count())"
    )
    password = secrets.token_urlsafe()
    make_support = (
        "import sys; from django.contrib.auth.models import Group, User; "
        "user = User.objects.create_user('sam', password=sys.argv[1], is_staff=True); "
        "user.groups.add(Group.objects.get(name='Support'))"
    )
    deployment.run_once(
        "support user",
        ["python", "-c", f"import django; django.setup(); {make_support}", password],
        {**web, "DJANGO_SETTINGS_MODULE": "crm.settings"},
    )
    rows = attacks.rerun(
        site,
        secrets_used["the API key"],
        survey_link,
        support_login=("sam", password),
        # The last line: the shell first says what it imported.
        notes=lambda: int(
            deployment.run_once(
                "notes", ["python", "manage.py", "shell", "-c", count_notes], web
            ).split()[-1]
        ),
        refused_settings=lambda values: deployment.refused(
            ["python", "manage.py", "check"], {**web, **values}
        ),
        refused_command=lambda arguments: deployment.refused(
            ["python", "manage.py", *arguments], web
        ),
    )
    attacks.print_table(rows)
    failed = [row.finding for row in rows if not row.held]
    if failed:
        raise CheckError(f"attacks not refused: {', '.join(failed)}")


class Health:
    """The web server's /healthz, and its last answer for the failure."""

    def __init__(self, site: str) -> None:
        self.http = Http(site)
        self.last = "no answer"

    def ok(self) -> bool:
        try:
            status, body = self.http.request("GET", "/healthz")
        except OSError as error:
            self.last = f"no answer ({error})"
            return False
        self.last = f"{status} {body}"
        return status == 200

    def describe(self) -> str:
        return f"/healthz: {self.last}"


if __name__ == "__main__":
    sys.exit(main())
