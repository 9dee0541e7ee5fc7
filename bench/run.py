"""Time Touchloop's pages and API against the current database; print a table.

    SECRET_KEY=… .venv/bin/python bench/run.py --customers 1000000 --iterations 30

Runs against whatever DATABASE_URL points at (`make bench` sets it from
BENCH_DATABASE_URL; SQLite under var/ when unset), never a test database.
With fewer customers than --customers (default: env
BENCH_CUSTOMERS, else 10,000), fewer cases than --cases (BENCH_CASES, else
100,000) or fewer answers than --answers (BENCH_ANSWERS, else 0: no top-up;
PostgreSQL only) it runs `seed_bench` first. Each operation in
bench/operations.py runs a few times to warm up, then --iterations times,
timed one by one; the table shows the median and 95th percentile, and the
queries per request. "api: create interaction" adds rows (subject "Benchmark
call") on every run.
"""

import argparse
import os
import statistics
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.operations import Env, Operation

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

HEADERS = ["operation", "rows", "p50 ms", "p95 ms", "queries"]
BENCH_USERNAME = "bench.manager"


@dataclass
class Result:
    name: str
    rows: int
    p50: float | None = None
    p95: float | None = None
    queries: str = ""
    error: str = ""

    def cells(self) -> list[object]:
        if self.error:
            return [self.name, self.rows, "-", "-", self.error]
        return [self.name, self.rows, self.p50, self.p95, self.queries]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--customers",
        type=int,
        default=int(os.environ.get("BENCH_CUSTOMERS") or 10_000),
        help="seed up to this many customers first (default: $BENCH_CUSTOMERS "
        "or 10000)",
    )
    parser.add_argument(
        "--cases",
        type=int,
        default=int(os.environ.get("BENCH_CASES") or 100_000),
        help="then top the cases up to this many (default: $BENCH_CASES or 100000)",
    )
    parser.add_argument(
        "--answers",
        type=int,
        default=int(os.environ.get("BENCH_ANSWERS") or 0),
        help="then top the answers up to this many (default: $BENCH_ANSWERS or "
        "0, none added; PostgreSQL only)",
    )
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="run only operations whose name contains this",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # WhiteNoise warns that `collectstatic` never ran; the benchmark needs no files.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings

    from bench import operations, report
    from customers.models import Customer
    from feedback.models import Case
    from surveys.models import SurveyResponse

    call_command(
        "seed_bench", customers=args.customers, cases=args.cases, answers=args.answers
    )
    env = make_env()
    rows = Customer.objects.count()
    case_rows = Case.objects.count()
    answer_rows = SurveyResponse.objects.count()
    sizes = {"customers": rows, "answers": answer_rows}
    chosen = [
        op
        for op in operations.OPERATIONS
        if not args.only or any(part in op.name for part in args.only)
    ]
    database = connection.settings_dict["NAME"]
    print(
        f"Touchloop benchmarks: {connection.vendor} {database}, {rows:,} customers, "
        f"{case_rows:,} cases, {answer_rows:,} answers, "
        f"{args.iterations} iterations after {args.warmup} warm-up runs; "
        f"search: {env.search!r}, customer #{env.customer.pk}"
    )
    # The manifest storage of production needs `collectstatic` first; plain
    # static URLs cost the same to render.
    plain_static = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    with override_settings(STORAGES=plain_static):
        results = [
            measure(
                op,
                env,
                rows=sizes[op.rows],
                iterations=args.iterations,
                warmup=args.warmup,
            )
            for op in chosen
        ]
    print(report.format_table(HEADERS, [result.cells() for result in results]))
    return 1 if any(result.error for result in results) else 0


def make_env() -> "Env":
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.test import Client

    from bench.operations import Env
    from customers.models import Customer, Touchpoint

    user, created = User.objects.get_or_create(
        username=BENCH_USERNAME, defaults={"is_staff": True}
    )
    if created:
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name="Manager"))
    client = Client(HTTP_HOST=allowed_host(settings.ALLOWED_HOSTS))
    client.force_login(user)
    bounds = Customer.objects.exclude(name="").order_by("pk")
    first, last = bounds.first(), bounds.last()
    if first is None or last is None:
        raise SystemExit("No customers to benchmark with.")
    middle = bounds.filter(pk__gte=(first.pk + last.pk) // 2).first() or first
    return Env(
        client=client,
        customer=middle,
        search=middle.name,
        touchpoint=Touchpoint.objects.filter(name="Support call").first(),
        secure=bool(getattr(settings, "SECURE_SSL_REDIRECT", False)),
    )


def allowed_host(hosts: list[str]) -> str:
    for host in hosts:
        if host and host != "*" and not host.startswith("."):
            return host
    return "localhost"


def measure(
    operation: "Operation", env: "Env", *, rows: int, iterations: int, warmup: int
) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench import report

    result = Result(operation.name, rows)
    timings: list[float] = []
    queries: list[int] = []
    for round_number in range(warmup + iterations):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = operation.run(env)
            elapsed = time.perf_counter() - started
        if response is not None and response.status_code != operation.expect:
            result.error = f"HTTP {response.status_code}"
            return result
        if round_number >= warmup:
            timings.append(elapsed * 1000)
            queries.append(len(captured.captured_queries))
    result.p50 = report.percentile(timings, 0.5)
    result.p95 = report.percentile(timings, 0.95)
    low, high, middle = min(queries), max(queries), statistics.median_low(queries)
    result.queries = str(middle) if low == high else f"{middle} ({low}–{high})"
    return result


if __name__ == "__main__":
    sys.exit(main())
