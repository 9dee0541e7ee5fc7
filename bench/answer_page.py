"""The answer page under bounded load, against a floor.

    DATABASE_URL=postgres://… SECRET_KEY=… .venv/bin/python bench/answer_page.py

Starts two gunicorn servers (--gunicorn-workers sync workers each, DEBUG
off, the survey rate limit set out of reach but still counted in Redis):
Touchloop itself (`crm.wsgi`) and the floor (`bench.floor_wsgi`: the same
settings and middleware, one view that does one INSERT). Then --clients
concurrent clients (threads, http.client) run, each phase for --warmup
seconds unmeasured and --seconds measured, one after the other:

- floor: POST /floor/ (one INSERT);
- GET /s/<token>/?score=9: the page a click in the mail opens (the first
  view of each invitation, which notes `opened_at`);
- POST /s/<token>/: the answer as the page's script sends it (score, CSRF
  token and cookie, Accept: application/json), the first answer of each
  invitation.

Every request of a phase goes to the next of --invitations sent invitations
(one new customer each, of a survey of its own); past the last one a phase
starts again at the first (GETs of opened pages, POSTs that change the
score). Everything the run wrote is deleted at the end (and at the start,
after an interrupted run). Needs PostgreSQL and Redis (see
bench/harness.py); skipped on SQLite.
"""

import argparse
import http.client
import itertools
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

from bench import harness, report  # noqa: E402 (after the path is set)

SURVEY_NAME = "Benchmark: answer page"
CUSTOMER_PREFIX = "answerbench-"
HEADERS = ["request", "requests", "req/s", "p50 ms", "p99 ms", "errors"]
GOAL_RATIO = 0.5
GOAL_P99_MS = 100.0
FORM = "application/x-www-form-urlencoded"
# (connection, the next invitation's number) → HTTP status
Request = Callable[[http.client.HTTPConnection, int], int]


@dataclass
class Phase:
    name: str
    seconds: float
    latencies: list[float] = field(default_factory=list)  # ms, measured window
    errors: int = 0
    first_error: str = ""

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def cells(self) -> list[object]:
        if not self.latencies:
            return [self.name, 0, 0.0, "-", "-", self.errors]
        return [
            self.name,
            len(self.latencies),
            self.rate,
            report.percentile(self.latencies, 0.5),
            report.percentile(self.latencies, 0.99),
            self.errors,
        ]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--invitations", type=int, default=20_000)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    skipped = harness.use_bench_servers()
    if skipped:
        print(f"Answer page benchmark {skipped}")
        return 0
    import django

    django.setup()
    from django.db import connection

    harness.remove_rows(survey_name=SURVEY_NAME, customer_prefix=CUSTOMER_PREFIX)
    drop_floor_table()
    servers: list[harness.Child] = []
    try:
        tokens = write_invitations(args.invitations)
        create_floor_table()
        app_port, floor_port = harness.free_port(), harness.free_port()
        env = harness.child_env(
            SURVEY_RATE_LIMIT_PER_MINUTE=str(10**9),
            SITE_URL=f"http://127.0.0.1:{app_port}",
            ALLOWED_HOSTS="127.0.0.1",
        )
        for name, module, port in [
            ("answer-page-gunicorn", "crm.wsgi", app_port),
            ("answer-page-floor-gunicorn", "bench.floor_wsgi", floor_port),
        ]:
            argv = harness.python_argv(
                "-m", "gunicorn", module, "--workers", str(args.gunicorn_workers),
                "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
            )  # fmt: skip
            servers.append(harness.Child(name, argv, env))
        wait_until_serving(app_port, "/healthz", servers)
        wait_until_serving(floor_port, "/floor/", servers)
        print(
            f"Answer page benchmark: PostgreSQL {connection.settings_dict['NAME']}, "
            f"Redis {os.environ['REDIS_URL']}, gunicorn --workers "
            f"{args.gunicorn_workers} (sync), {args.clients} concurrent clients, "
            f"{args.warmup:g} s warm-up + {args.seconds:g} s per request; "
            f"{harness.load_average()}",
            flush=True,
        )
        csrf = csrf_cookie(app_port, tokens[0])
        pool = tokens[1:]
        phases = [
            run_phase(
                "floor: POST, one INSERT",
                floor_port,
                floor_request(pool),
                args,
            ),
            run_phase("GET /s/<token>/?score=9", app_port, page_request(pool), args),
            run_phase(
                "POST /s/<token>/ (answer)",
                app_port,
                answer_request(pool, csrf),
                args,
            ),
        ]
        stored = answers_stored()
    finally:
        for server in servers:
            server.stop()
        harness.remove_rows(survey_name=SURVEY_NAME, customer_prefix=CUSTOMER_PREFIX)
        drop_floor_table()
    print(report.format_table(HEADERS, [phase.cells() for phase in phases]))
    floor, page, answer = phases
    print(
        f"ratio to the floor: GET {page.rate / floor.rate:.2f}, POST "
        f"{answer.rate / floor.rate:.2f} (goal: at least {GOAL_RATIO:.1f}); "
        f"p99 goal: under {GOAL_P99_MS:.0f} ms; answers stored (with the "
        f"warm-up's): {stored:,}; {harness.load_average()} at the end"
    )
    for phase in phases:
        if phase.errors:
            print(f"{phase.name}: {phase.errors} errors, first: {phase.first_error}")
    return 1 if any(phase.errors for phase in phases) else 0


def write_invitations(count: int) -> list[str]:
    from django.utils import timezone

    from surveys.models import Invitation

    now = timezone.now()
    survey = harness.create_survey(SURVEY_NAME)
    customers = harness.create_customers(CUSTOMER_PREFIX, count + 1, now=now)
    return harness.create_invitations(
        survey,
        customers,
        status=Invitation.Status.SENT,
        scheduled_for=now - timedelta(minutes=5),
        sent_at=now - timedelta(minutes=5),
        expires_at=now + timedelta(days=30),
        attempts=1,
    )


def answers_stored() -> int:
    from surveys.models import SurveyResponse

    return SurveyResponse.objects.filter(survey__name=SURVEY_NAME).count()


def create_floor_table() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {harness.FLOOR_TABLE} (id bigserial PRIMARY KEY,"
            " token varchar(64) NOT NULL, score smallint NOT NULL,"
            " answered_at timestamptz NOT NULL)"
        )


def drop_floor_table() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {harness.FLOOR_TABLE}")


def wait_until_serving(
    port: int, path: str, servers: list[harness.Child], timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        for server in servers:
            if not server.is_running():
                raise RuntimeError(f"{server.name} exited; see {server.log}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def csrf_cookie(port: int, token: str) -> str:
    """The CSRF cookie a GET of the page sets; its value also passes as the
    form's token (Django accepts the unmasked secret)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", f"/s/{token}/")
    response = connection.getresponse()
    response.read()
    connection.close()
    for name, value in response.getheaders():
        if name.lower() == "set-cookie" and value.startswith("csrftoken="):
            return value.split(";", 1)[0].removeprefix("csrftoken=")
    raise RuntimeError(f"No CSRF cookie from the answer page (HTTP {response.status})")


def send(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> int:
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    response.read()
    return response.status


def floor_request(pool: list[str]) -> Request:
    def request(connection: http.client.HTTPConnection, number: int) -> int:
        body = urlencode({"token": pool[number % len(pool)], "score": 9})
        return send(connection, "POST", "/floor/", body, {"Content-Type": FORM})

    return request


def page_request(pool: list[str]) -> Request:
    def request(connection: http.client.HTTPConnection, number: int) -> int:
        return send(connection, "GET", f"/s/{pool[number % len(pool)]}/?score=9")

    return request


def answer_request(pool: list[str], csrf: str) -> Request:
    headers = {
        "Content-Type": FORM,
        "Accept": "application/json",
        "Cookie": f"csrftoken={csrf}",
    }

    def request(connection: http.client.HTTPConnection, number: int) -> int:
        # Past the end of the pool, another score: an edit, not a no-op.
        lap, index = divmod(number, len(pool))
        body = urlencode({"csrfmiddlewaretoken": csrf, "score": 9 + lap % 2})
        return send(connection, "POST", f"/s/{pool[index]}/", body, headers)

    return request


def run_phase(
    name: str, port: int, request: Request, args: argparse.Namespace
) -> Phase:
    """--clients threads, each sending one request after the other until the
    end; requests that end inside the measured window count."""
    phase = Phase(name, args.seconds)
    numbers = itertools.count()  # next() is atomic under the GIL
    lock = threading.Lock()
    measure_from = time.perf_counter() + args.warmup
    stop_at = measure_from + args.seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies, errors, first_error = [], 0, ""
        while True:
            started = time.perf_counter()
            if started >= stop_at:
                break
            try:
                status = request(connection, next(numbers))
                problem = "" if status == 200 else f"HTTP {status}"
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                problem = f"{type(error).__name__}: {error}"
            ended = time.perf_counter()
            if not measure_from <= ended <= stop_at:
                continue
            if problem:
                errors += 1
                first_error = first_error or problem
            else:
                latencies.append((ended - started) * 1000)
        connection.close()
        with lock:
            phase.latencies += latencies
            phase.errors += errors
            phase.first_error = phase.first_error or first_error

    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"  {name}: {len(phase.latencies):,} requests", flush=True)
    return phase


if __name__ == "__main__":
    sys.exit(main())
