"""`make run`: Touchloop on one machine with no server to install.

Migrates, seeds the demo, then starts the web server, a Celery worker and
Celery beat as real processes (SQLite and the filesystem broker unless
DATABASE_URL / REDIS_URL say otherwise), and stops them all on Ctrl-C.
"""

import io
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lib import mailfiles

STOP_TIMEOUT_SECONDS = 10
START_TIMEOUT_SECONDS = 60


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
        call_command("migrate", interactive=False, verbosity=0)
        logins = [] if skip_seed else self.seed_demo()
        processes = start_processes(host=host, port=port)
        stop_on_signals(processes)
        url = f"http://{host}:{port}/"
        try:
            wait_until_healthy(f"{url}healthz", processes)
            self.print_banner(url, logins)
            watch(processes)
        finally:
            stop(processes)

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
        lines = [
            "",
            f"Touchloop is running at {url}  (staff: {url}admin/)",
            *logins,
            f"Mail is written to {settings.EMAIL_FILE_PATH}/ ({url}admin/mail/)"
            if mailfiles.mail_directory()
            else "Mail goes out through SMTP_URL.",
            "Press Ctrl-C to stop the web server, the worker and beat.",
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))


def start_processes(*, host: str, port: int) -> dict[str, subprocess.Popen[bytes]]:
    python = sys.executable
    commands = {
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
    return {
        name: subprocess.Popen(command, cwd=settings.BASE_DIR)  # noqa: S603 (our own argv)
        for name, command in commands.items()
    }


def stop_on_signals(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    """Ctrl-C reaches the whole process group; SIGTERM (a service manager, a
    test) reaches only us. Either way every child is stopped before we exit."""

    def handle(signum: int, frame: FrameType | None) -> None:
        stop(processes)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def wait_until_healthy(url: str, processes: dict[str, subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        check_alive(processes)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our URL)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise CommandError(f"{url} did not answer within {START_TIMEOUT_SECONDS} seconds.")


def check_alive(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for name, process in processes.items():
        if process.poll() is not None:
            raise CommandError(
                f"The {name} process exited with code {process.returncode}."
            )


def watch(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    while True:
        check_alive(processes)
        time.sleep(1)


def stop(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for process in processes.values():
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
