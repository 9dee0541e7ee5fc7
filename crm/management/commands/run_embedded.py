"""`make run`: Touchloop on one machine with no server to install.

Migrates, seeds the demo, then starts the web server, a Celery worker and
Celery beat as real processes (SQLite and the filesystem broker unless
DATABASE_URL / REDIS_URL say otherwise), and stops them all on Ctrl-C.

Each process writes to its own file under var/log/ (the previous run's is
kept as `.1`); the console shows a line while starting and one banner once
the web server answers, or the end of the log of a process that died.
"""

import collections
import io
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lib import mailfiles

STOP_TIMEOUT_SECONDS = 10
START_TIMEOUT_SECONDS = 60
TAIL_LINES = 20


@dataclass(frozen=True)
class Child:
    process: subprocess.Popen[bytes]
    log: Path


Children = dict[str, Child]


class Command(BaseCommand):
    help = "Run Touchloop embedded: web server, Celery worker and beat, with demo data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--skip-seed", action="store_true", help="Do not seed the demo."
        )

    def handle(
        self, *args: Any, host: str, port: int, skip_seed: bool, **options: Any
    ) -> None:
        self.stdout.write(f"Starting Touchloop… (logs in {shown(log_directory())}/)")
        call_command("migrate", interactive=False, verbosity=0)
        logins = [] if skip_seed else self.seed_demo()
        children = start_processes(commands(host=host, port=port), logs=log_directory())
        stop_on_signals(children)
        url = f"http://{host}:{port}/"
        try:
            wait_until_healthy(f"{url}healthz", children)
            self.print_banner(url, logins)
            watch(children)
        finally:
            stop(children)

    def seed_demo(self) -> list[str]:
        output = io.StringIO()
        call_command("seed_demo", stdout=output)
        lines = output.getvalue().splitlines()
        logins = [line for line in lines if "login:" in line]
        # The logins go in the banner, printed once the server answers: not
        # twice.
        self.stdout.write("\n".join(line for line in lines if line not in logins))
        return logins

    def print_banner(self, url: str, logins: list[str]) -> None:
        mail = mailfiles.mail_directory()
        logs = shown(log_directory())
        lines = [
            "",
            f"Touchloop is running at {url}  (staff: {url}admin/)",
            *logins,
            f"Mail is written to {shown(mail)}/ (listed at {url}admin/mail/)"
            if mail
            else "Mail goes out through SMTP_URL.",
            f"Logs: {logs}/web.log, {logs}/worker.log, {logs}/beat.log",
            "Ctrl-C stops everything (the web server, the worker and beat).",
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))


def log_directory() -> Path:
    return Path(settings.VAR_DIR) / "log"


def shown(path: Path) -> str:
    """A path as the person who typed `make run` in the project reads it."""
    try:
        return str(Path(path).relative_to(settings.BASE_DIR))
    except ValueError:
        return str(path)


def commands(*, host: str, port: int) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
        "worker": [
            *[python, "-m", "celery", "-A", "crm", "worker"],
            *["--loglevel", "INFO", "--concurrency", "2"],
        ],
        "beat": [
            *[python, "-m", "celery", "-A", "crm", "beat", "--loglevel", "INFO"],
            *["--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME],
        ],
    }


def start_processes(argvs: dict[str, list[str]], *, logs: Path) -> Children:
    """Start each command with its output in `<name>.log`. Their banners and
    warnings (runserver's "development server", Celery's "superuser
    privileges" when run as root) stay in the log, not among the logins."""
    logs.mkdir(parents=True, exist_ok=True)
    # Unbuffered, so that a log is up to date when the console shows its end.
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    children = {}
    for name, command in argvs.items():
        path = logs / f"{name}.log"
        with open_log(path, command) as log:
            process = subprocess.Popen(  # noqa: S603 (our own argv)
                command,
                cwd=settings.BASE_DIR,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        children[name] = Child(process=process, log=path)
    return children


def open_log(path: Path, command: list[str]) -> io.BufferedWriter:
    """A fresh log for this run; the previous run's is kept as `<name>.log.1`
    and the one before it dropped, so that logs do not grow run after run."""
    if path.exists():
        path.replace(path.with_name(f"{path.name}.1"))
    log = path.open("ab")
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    log.write(f"=== {started_at} started: {' '.join(command)}\n".encode())
    log.flush()
    return log


def stop_on_signals(children: Children) -> None:
    """Ctrl-C reaches the whole process group; SIGTERM (a service manager, a
    test) reaches only us. Either way every child is stopped before we exit."""

    def handle(signum: int, frame: FrameType | None) -> None:
        stop(children)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def wait_until_healthy(url: str, children: Children) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        check_alive(children)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our URL)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise CommandError(
        f"{url} did not answer within {START_TIMEOUT_SECONDS} seconds. "
        + tail(children["web"].log)
    )


def check_alive(children: Children) -> None:
    """A child that died is named with the end of its log: its own error
    went to the log, and the console must not hide it."""
    for name, child in children.items():
        if child.process.poll() is not None:
            raise CommandError(
                f"The {name} process exited with code {child.process.returncode}. "
                + tail(child.log)
            )


def tail(path: Path) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as log:
            lines = collections.deque(log, maxlen=TAIL_LINES)
    except FileNotFoundError:
        return f"(no log at {shown(path)})"
    return f"The end of {shown(path)}:\n" + "".join(lines).rstrip()


def watch(children: Children) -> None:
    while True:
        check_alive(children)
        time.sleep(1)


def stop(children: Children) -> None:
    for child in children.values():
        if child.process.poll() is None:
            child.process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for child in children.values():
        try:
            child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()
