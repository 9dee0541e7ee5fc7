"""CSV import rate and export peak memory, against the current database.

    DATABASE_URL=postgres://… SECRET_KEY=… .venv/bin/python bench/imports.py

Generates --rows customer rows (default 100,000; name, email, external id,
phone, segment, stage, language, timezone, tags; one row in 20 a duplicate of
an earlier one by email, so that merging is measured too) and imports them
twice through `imports.services.import_customers`: the first time they are
new, the second time every row updates its customer. Then streams the
customers export of the first 10% and of all the imported rows under
tracemalloc: the peak must not grow with the rows. Everything the run wrote
is deleted at the end (and at the start, after an interrupted run).
"""

import argparse
import io
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

from bench import report  # noqa: E402 (after the path is set)

PREFIX = "bench-import-"
STAGES = ["awareness", "usage", "Advocacy", "purchase"]


def generate(rows: int) -> bytes:
    lines = ["name;email;external_id;phone;segment;stage;language;timezone;tags"]
    for n in range(rows):
        # One row in 20 repeats an earlier customer's email in capitals.
        key = n - 7 if n % 20 == 19 else n
        lines.append(
            f'"Bench, 客户 {n}";{PREFIX}{key}@EXAMPLE.com;{PREFIX}x{n};'
            f"+86 10 {n:08d};smb;{STAGES[n % 4]};zh-hans;Asia/Shanghai;"
            '"bench,import"'
        )
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def remove_rows() -> None:
    from customers.models import Customer

    Customer.objects.filter(external_id__startswith=PREFIX).delete()


def timed_import(data: bytes) -> tuple[float, object]:
    from imports import services

    start = time.perf_counter()
    result = services.import_customers(io.BytesIO(data), dry_run=False, user=None)
    return time.perf_counter() - start, result


def export_peak(limit: int) -> tuple[int, float]:
    """Rows written and the peak traced memory (MiB) of streaming them."""
    from customers.models import Customer
    from imports import exports

    first = Customer.objects.filter(external_id__startswith=PREFIX).order_by("id")
    ids = first.values_list("id", flat=True)
    last = min(limit, first.count()) - 1
    customers = Customer.objects.filter(id__range=(ids[0], ids[last]))
    tracemalloc.start()
    written = -1  # the header
    for _line in exports.customer_lines(customers):
        written += 1
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return written, peak / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)

    import django

    django.setup()
    remove_rows()
    data = generate(args.rows)
    rows: list[list[object]] = []
    try:
        for label in ("import (new)", "import (all update)"):
            seconds, result = timed_import(data)
            counts = result.as_dict()  # type: ignore[attr-defined]
            print(f"{label}: {seconds:.1f} s", file=sys.stderr)
            rows.append(
                [
                    f"csv: {label}",
                    args.rows,
                    round(seconds, 2),
                    round(args.rows / seconds),
                    f"{counts['created']} created, {counts['updated']} updated, "
                    f"{counts['merged']} merged, {counts['failed']} failed",
                ]
            )
        for limit in (args.rows // 10, args.rows):
            written, peak = export_peak(limit)
            rows.append(
                ["csv: export customers", written, "", "", f"peak {peak:.1f} MiB"]
            )
    finally:
        remove_rows()
    print(
        report.format_table(["operation", "rows", "seconds", "rows/s", "result"], rows)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
