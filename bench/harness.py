"""What the server benchmarks (dispatch.py, answer_page.py) share: the check
that their servers are there, child processes with logs, and the rows they
write and remove again.

They run against real servers only: PostgreSQL through DATABASE_URL (`make
bench` sets it from BENCH_DATABASE_URL) and Redis through BENCH_REDIS_URL
(default redis://127.0.0.1:6379/9, a database of its own; it becomes the
REDIS_URL of every process they start). On the embedded SQLite database they
print why they were skipped and exit 0.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from customers.models import Customer
    from surveys.models import Survey

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = ROOT / "var" / "bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
SKIPPED = (
    "skipped: needs BENCH_DATABASE_URL (PostgreSQL) and Redis "
    f"(BENCH_REDIS_URL, default {DEFAULT_REDIS_URL})"
)
BULK = 5000
# The answer page's floor writes here (bench/floor_wsgi.py).
FLOOR_TABLE = "bench_floor_answer"


def use_bench_servers() -> str:
    """Point this process (and its children) at the benchmark's Redis; return
    why the benchmark cannot run here, or "" when it can."""
    redis_url = os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL
    os.environ["REDIS_URL"] = redis_url
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        return SKIPPED
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_timeout=2).ping()
    except redis.RedisError as error:
        return f"{SKIPPED} (Redis at {redis_url}: {error})"
    return ""


def load_average() -> str:
    """The machine's 1-minute load: anything else running skews the figures."""
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, *, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def child_env(**overrides: str) -> dict[str, str]:
    """This process's environment (DATABASE_URL, REDIS_URL, SECRET_KEY) for a
    server or worker, with DEBUG off as in production."""
    env = {**os.environ, "DEBUG": "0", "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(overrides)
    return env


class Child:
    """A process this benchmark started, in a process group of its own, with
    its output in var/bench/<name>.log."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str]) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log = LOG_DIR / f"{name}.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own argv)
                list(argv),
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def is_running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """A warm shutdown (SIGTERM), then SIGKILL for what is left of its
        group (a prefork worker's children, gunicorn's workers)."""
        group = self.process.pid  # start_new_session: the group is ours alone
        if self.is_running():
            os.killpg(group, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        self.process.wait(timeout=10)


def python_argv(*argv: str) -> list[str]:
    return [sys.executable, *argv]


def create_survey(name: str) -> "Survey":
    from surveys.models import Kind, Survey

    return Survey.objects.create(
        name=name, kind=Kind.NPS, trigger=Survey.Trigger.MANUAL, delay_minutes=0
    )


def create_customers(prefix: str, count: int, *, now: datetime) -> list["Customer"]:
    """`count` customers with an email, 40 % of them in Chinese (as
    seed_bench), none with any survey history."""
    from customers.models import Customer

    customers = [
        Customer(
            name=f"Benchmark {index}",
            email=f"{prefix}{index}@example.com",
            external_id=f"{prefix}{index:09d}",
            language="zh-hans" if index % 10 < 4 else "en",
            timezone="UTC",
            created_at=now,
        )
        for index in range(1, count + 1)
    ]
    return Customer.objects.bulk_create(customers, batch_size=BULK)


def create_invitations(
    survey: "Survey", customers: Sequence["Customer"], **fields: Any
) -> list[str]:
    """One invitation per customer with `fields`; returns their link tokens,
    in the order of `customers`."""
    from surveys import tokens
    from surveys.models import Invitation

    links, invitations = [], []
    for customer in customers:
        nonce = tokens.new_nonce()
        token = tokens.token_for(nonce)
        links.append(token)
        invitations.append(
            Invitation(
                survey=survey,
                customer=customer,
                nonce=nonce,
                token_hash=tokens.hash_token(token),
                **fields,
            )
        )
    Invitation.objects.bulk_create(invitations, batch_size=BULK)
    return links


def remove_rows(*, survey_name: str, customer_prefix: str) -> None:
    """Everything a run (or an interrupted one) wrote: the answers and
    invitations of its survey, the survey, its customers."""
    from customers.models import Customer
    from surveys.models import Invitation, Survey, SurveyResponse

    surveys = Survey.objects.filter(name=survey_name)
    SurveyResponse.objects.filter(survey__in=surveys).delete()
    Invitation.objects.filter(survey__in=surveys).delete()
    surveys.delete()
    Customer.objects.filter(external_id__startswith=customer_prefix).delete()
