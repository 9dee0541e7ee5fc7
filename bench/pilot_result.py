"""Time a pilot's result over a million answers (issue 19, speed).

    DATABASE_URL=postgres://…/bench SECRET_KEY=… .venv/bin/python \\
        bench/pilot_result.py --answers 1000000

Seeds, on PostgreSQL (skipped elsewhere), two groups of companies (100
treated, 100 control, 100 customers each) and --answers NPS answers spread
over a 90-day baseline and 90 days after go-live, by INSERT … SELECT; the
treated group gains 10 points after go-live while everyone drifts down 5.
Then it times `pilot_result` (median of --iterations after a warm-up): the
answers are summed per company and period, and per group and baseline week,
by the database; the cluster-robust difference-in-differences is fitted on
the 400 per-unit aggregates, not on the answers. Prints the figures, the
queries (with --explain, their plans) and removes everything it wrote.
The issue's target: under 1 s.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

PREFIX = "bench-pilot-"
SURVEY = "Benchmark pilot survey"
COMPANIES_PER_GROUP = 100
CUSTOMERS_PER_COMPANY = 100
DAYS = 90

# Band shares (promoter, passive; the rest detractors) per group and
# period: NPS 15 → 20 treated (−5 drift, +10 pilot), 25 → 20 control.
INVITATIONS = """
INSERT INTO surveys_invitation (
    survey_id, customer_id, nonce, token_hash, status, suppressed_reason,
    reminders_sent, attempts, last_error, occasion, is_throttle_exempt,
    created_at, updated_at, sent_at, answered_at
)
SELECT %(survey)s, customers.ids[1 + g %% array_length(customers.ids, 1)],
       'bench', md5('bench-pilot-' || g), 'answered', '', 0, 0, '', '', false,
       moment, moment, moment, moment
FROM generate_series(0, %(answers)s - 1) AS g
CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM customers_customer
            WHERE external_id LIKE 'bench-pilot-%%') AS customers
CROSS JOIN LATERAL (
    SELECT %(start)s::timestamptz
           + (g::float8 / %(answers)s) * (%(days)s * interval '1 day') AS moment
) AS at
"""
RESPONSES = """
INSERT INTO surveys_surveyresponse (
    invitation_id, score, comment, band, is_confirmed, answered_at, updated_at,
    language, customer_id, survey_id, kind, channel, stage, segment, company_id
)
SELECT i.id, scored.score,
       '', CASE WHEN scored.score >= 9 THEN 'promoter'
                WHEN scored.score >= 7 THEN 'passive' ELSE 'detractor' END,
       true, i.answered_at, i.answered_at, 'en', i.customer_id, i.survey_id,
       'nps', 'phone', 'usage', c.segment, c.company_id
FROM surveys_invitation i
JOIN customers_customer c ON c.id = i.customer_id
CROSS JOIN LATERAL (
    SELECT (abs(hashint8(i.id)) %% 1000) / 1000.0 AS draw,
           c.segment = 'treated' AS treated,
           i.answered_at >= %(go_live)s::timestamptz AS after
) AS d
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN d.draw < CASE WHEN d.treated AND d.after THEN 0.43
                           WHEN d.treated THEN 0.40
                           WHEN d.after THEN 0.42 ELSE 0.45 END THEN 10
        WHEN d.draw < CASE WHEN d.treated AND d.after THEN 0.77
                           WHEN d.treated THEN 0.75
                           WHEN d.after THEN 0.78 ELSE 0.80 END THEN 8
        ELSE 3
    END AS score
) AS scored
WHERE i.survey_id = %(survey)s
"""


def seed(answers: int) -> Any:
    from django.db import connection, transaction
    from django.utils import timezone

    from customers.models import Company, Customer
    from pilots.models import Kpi, Pilot
    from pilots.services.sources import midnight
    from surveys.models import Kind, Survey

    today = timezone.localdate()
    go_live = today - timedelta(DAYS)
    baseline_start = go_live - timedelta(DAYS)
    started = time.perf_counter()
    with transaction.atomic():
        survey = Survey.objects.create(
            name=SURVEY, kind=Kind.NPS, trigger=Survey.Trigger.MANUAL
        )
        groups: dict[str, list[Company]] = {}
        for group in ("treated", "control"):
            groups[group] = Company.objects.bulk_create(
                Company(
                    name=f"{PREFIX}{group}-{index}",
                    external_id=f"{PREFIX}{group}-{index}",
                    segment=group,
                )
                for index in range(COMPANIES_PER_GROUP)
            )
        Customer.objects.bulk_create(
            (
                Customer(
                    name=f"Benchmark pilot {company.pk}-{index}",
                    external_id=f"{PREFIX}{company.pk}-{index}",
                    company=company,
                    segment=company.segment,
                    timezone="UTC",
                )
                for companies in groups.values()
                for company in companies
                for index in range(CUSTOMERS_PER_COMPANY)
            ),
            batch_size=5000,
        )
        with connection.cursor() as cursor:
            parameters: dict[str, Any] = {
                "survey": survey.pk,
                "answers": answers,
                "start": midnight(baseline_start),
                "days": 2 * DAYS,
                "go_live": midnight(go_live),
            }
            cursor.execute(INVITATIONS, parameters)
            cursor.execute(RESPONSES, parameters)
        kpi = Kpi.objects.create(name=f"{PREFIX}NPS", formula="nps")
        pilot = Pilot.objects.create(
            name=f"{PREFIX}pilot",
            hypothesis="The benchmark's planted effect: +10 NPS points.",
            primary_kpi=kpi,
            unit="company",
            treatment=[company.pk for company in groups["treated"]],
            control=[company.pk for company in groups["control"]],
            baseline_start=baseline_start,
            go_live=go_live,
            planned_end=today,
            min_effect=5,
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE surveys_invitation, surveys_surveyresponse, customers_customer"
        )
    customers = 2 * COMPANIES_PER_GROUP * CUSTOMERS_PER_COMPANY
    print(
        f"seeded {answers:,} answers of {customers:,} customers in "
        f"{2 * COMPANIES_PER_GROUP} companies in {time.perf_counter() - started:.1f} s"
    )
    return pilot


def clean_up() -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM pilots_pilot WHERE name LIKE %s", [f"{PREFIX}%"])
        cursor.execute("DELETE FROM pilots_kpi WHERE name LIKE %s", [f"{PREFIX}%"])
        for table in ("surveys_surveyresponse", "surveys_invitation"):
            cursor.execute(
                f"DELETE FROM {table} WHERE survey_id IN "  # noqa: S608 (our names)
                "(SELECT id FROM surveys_survey WHERE name = %s)",
                [SURVEY],
            )
        cursor.execute("DELETE FROM surveys_survey WHERE name = %s", [SURVEY])
        cursor.execute(
            "DELETE FROM customers_customer WHERE external_id LIKE %s", [f"{PREFIX}%"]
        )
        cursor.execute(
            "DELETE FROM customers_company WHERE external_id LIKE %s", [f"{PREFIX}%"]
        )


def timed(function: Any, *, iterations: int) -> tuple[list[float], int, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result = function()
    times = []
    queries = 0
    for _ in range(iterations):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = function()
            times.append(time.perf_counter() - started)
        queries = len(captured.captured_queries)
    return times, queries, result


def main() -> int:
    import django

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--keep", action="store_true", help="leave the seeded rows in place"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="time the rows a --keep run left"
    )
    args = parser.parse_args()
    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from pilots.services.results import pilot_result

    if connection.vendor != "postgresql":
        print("Pilot result benchmark skipped: needs BENCH_DATABASE_URL (PostgreSQL).")
        return 0
    from pilots.models import Pilot

    kept = Pilot.objects.filter(name=f"{PREFIX}pilot").first()
    if not (args.reuse and kept):
        clean_up()
    try:
        pilot = kept if args.reuse and kept else seed(args.answers)
        today = timezone.localdate()
        times, queries, result = timed(
            lambda: pilot_result(pilot, today=today), iterations=args.iterations
        )
        primary = result["primary"]
        median = statistics.median(times)
        print(
            f"pilot result: median {median * 1000:.0f} ms, best "
            f"{min(times) * 1000:.0f} ms over {args.iterations} runs, {queries} "
            f"queries (target < 1000 ms: {'met' if median < 1 else 'NOT met'})"
        )
        print(
            f"  NPS {primary['estimate']:+.1f} points (95% CI {primary['ci_low']:+.1f}"
            f" to {primary['ci_high']:+.1f}), {primary['method']}, "
            f"{primary['inference']}, n = {primary['n_treated']:,} / "
            f"{primary['n_control']:,}; planted: +10"
        )
        if args.explain:
            with CaptureQueriesContext(connection) as captured:
                pilot_result(pilot, today=today)
            with connection.cursor() as cursor:
                for query in captured.captured_queries:
                    if not query["sql"].startswith("SELECT"):
                        continue
                    cursor.execute("EXPLAIN ANALYZE " + query["sql"])
                    print("\n".join(row[0] for row in cursor.fetchall()), "\n")
    finally:
        if not args.keep:
            clean_up()
    return 0


if __name__ == "__main__":
    sys.exit(main())
