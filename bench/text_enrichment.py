"""Comment enrichment: answers' comments read by Celery workers, against a floor.

    DATABASE_URL=postgres://… SECRET_KEY=… .venv/bin/python bench/text_enrichment.py

Writes --comments answers with a comment (default 100,000, alternately English
and Chinese; one new customer and invitation each, of a survey of its own).
The comments are made from the gold sets (text/gold/en.csv, zh.csv): one to
three clauses of different gold comments, sometimes with an order number or
a name, drawn with --seed, so that the analyser reads mostly distinct text
rather than the same 625 strings. Then it measures, one after the other:

- the floor: one process, no Celery, `text.services.enrich_stale` in a loop
  over the first --floor-comments answers (their readings are deleted again
  afterwards, so that the workers read every answer);
- the real thing: one `enrich_comment_task` per answer queued the way the
  answer hook queues it (`text.services.queue_reading`, timed on its own,
  before any worker runs), then --workers Celery workers (default two, each
  prefork with one process, consuming the default queue) started, timed from
  the last moment no reading existed to the moment every answer has one.

The peak resident memory (VmHWM) of each worker's processes is read from
/proc while they run: the pool process that runs the tasks and the worker's
main process. Targets (issue 18): at least 500 comments/s in total, under
300 MB per worker process. Everything the run wrote is deleted at the end
(and at the start, after an interrupted run), and the default queue of the
benchmark's Redis is emptied at the start. Needs PostgreSQL and Redis (see
bench/harness.py); skipped on SQLite.
"""

import argparse
import csv
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

from bench import harness, report  # noqa: E402 (after the path is set)

if TYPE_CHECKING:
    from surveys.models import Survey

SURVEY_NAME = "Benchmark: text enrichment"
CUSTOMER_PREFIX = "enrichbench-"
WORKER_NAME = "bench-enrich"
QUEUE = "celery"  # Celery's default queue, where the hook's tasks go
GOLD = ROOT / "text" / "gold"
# Up to one poll of the workers' boot is counted in their time.
POLL_SECONDS = 0.5
GOAL_RATE = 500.0  # comments per second, all workers together
GOAL_MEGABYTES = 300.0  # per worker process, 10**6 bytes
HEADERS = ["run", "comments", "seconds", "comments/s", "peak MB"]
TARGET_HEADERS = ["target", "goal", "measured", "met"]
NAMES_EN = ("Anna", "Tom", "Priya", "Luis", "Mei", "Omar", "Sara", "Jonas")
NAMES_ZH = ("王芳", "李强", "张伟", "刘洋", "陈静", "小赵", "周敏", "黄磊")
TAG = re.compile(r"<[^>]+>")
ENGLISH_BREAK = re.compile(r"(?<=[.!?])\s+")
CHINESE_BREAK = re.compile(r"(?<=[，。！？；,!?;])")


@dataclass
class Run:
    name: str
    comments: int
    seconds: float
    peak_megabytes: float | None = None

    @property
    def rate(self) -> float:
        return self.comments / self.seconds

    def cells(self) -> list[object]:
        peak = "" if self.peak_megabytes is None else self.peak_megabytes
        return [self.name, self.comments, self.seconds, self.rate, peak]


@dataclass
class WorkerMemory:
    """The highest VmHWM seen of a worker's main process and of its pool
    processes (a pool process that was replaced keeps its peak here)."""

    name: str
    main: float = 0.0
    pool: float = 0.0
    pool_pids: set[int] = field(default_factory=set)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument(
        "--floor-comments",
        type=int,
        default=10_000,
        help="answers the single-process floor reads (the first ones)",
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--pool", default="prefork", help="each worker's pool")
    parser.add_argument("--concurrency", type=int, default=1, help="each worker's")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument(
        "--stall-seconds",
        type=float,
        default=120,
        help="give up when no comment is read for this long",
    )
    # The floor runs in a process of its own (this script again), so that
    # its peak memory is its own and not this process's 100,000 rows.
    parser.add_argument("--floor-child", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    skipped = harness.use_bench_servers()
    if skipped:
        print(f"Text enrichment benchmark {skipped}")
        return 0
    import django

    django.setup()
    if args.floor_child is not None:
        return floor_child(args.floor_child)
    from django.db import connection

    count = args.comments
    harness.remove_rows(survey_name=SURVEY_NAME, customer_prefix=CUSTOMER_PREFIX)
    purge_queue()
    try:
        started = time.perf_counter()
        comments = make_comments(count, seed=args.seed)
        survey = write_answers(comments)
        written = time.perf_counter() - started
        print(
            f"Text enrichment benchmark: {count:,} answers with a comment "
            f"({len(set(comments)):,} distinct, half English, half Chinese, seed "
            f"{args.seed}) on PostgreSQL {connection.settings_dict['NAME']} "
            f"(written in {written:.1f} s), {args.workers} Celery workers "
            f"({args.pool}, concurrency {args.concurrency}), Redis "
            f"{os.environ['REDIS_URL']}; {harness.load_average()}",
            flush=True,
        )
        floor = measure_floor(survey, min(args.floor_comments, count))
        queueing = queue_tasks(survey)
        real, memory = measure_workers(
            survey,
            count,
            workers=args.workers,
            pool=args.pool,
            concurrency=args.concurrency,
            stall_seconds=args.stall_seconds,
        )
    finally:
        purge_queue()
        harness.remove_rows(survey_name=SURVEY_NAME, customer_prefix=CUSTOMER_PREFIX)
    rows = [floor.cells(), queueing.cells(), real.cells()]
    rows += [
        [f"  {worker.name}: {process}", "", "", "", peak]
        for worker in memory
        for process, peak in (("task process", worker.pool), ("main", worker.main))
    ]
    print(report.format_table(HEADERS, rows))
    print()
    print(report.format_table(TARGET_HEADERS, targets(real, memory)))
    print(
        f"ratio: {real.rate / floor.rate:.2f} of the floor; "
        f"{harness.load_average()} at the end"
    )
    return 0


# The comments.


def make_comments(count: int, *, seed: int) -> list[str]:
    """`count` comments, English at even positions and Chinese at odd ones,
    the same for the same seed."""
    rng = random.Random(seed)
    english = clauses(gold_texts("en"), ENGLISH_BREAK)
    chinese = clauses(gold_texts("zh"), CHINESE_BREAK)
    return [
        english_comment(rng, english)
        if index % 2 == 0
        else chinese_comment(rng, chinese)
        for index in range(count)
    ]


def gold_texts(language: str) -> list[str]:
    with (GOLD / f"{language}.csv").open(encoding="utf-8", newline="") as file:
        return [row["text"] for row in csv.DictReader(file)]


def clauses(texts: Sequence[str], breaks: re.Pattern[str]) -> list[str]:
    """The gold comments' sentences (English) or clauses (Chinese), without
    HTML tags, each once, in a stable order."""
    found = {
        piece.strip()
        for text in texts
        for piece in breaks.split(TAG.sub(" ", text))
        if len(piece.strip()) > 1
    }
    return sorted(found)


def english_comment(rng: random.Random, pieces: Sequence[str]) -> str:
    chosen = rng.sample(pieces, k=rng.choice((1, 2, 2, 3)))
    sentences = [s if s[-1] in ".!?" else f"{s}." for s in chosen]
    extra = rng.random()
    if extra < 0.25:
        sentences.append(f"Order {rng.randrange(10_000, 99_999)}.")
    elif extra < 0.5:
        sentences.append(f"Thanks, {rng.choice(NAMES_EN)}.")
    return " ".join(sentences)


def chinese_comment(rng: random.Random, pieces: Sequence[str]) -> str:
    chosen = [
        p.rstrip("，。！？；,!?;")
        for p in rng.sample(pieces, k=rng.choice((1, 2, 2, 3)))
    ]
    extra = rng.random()
    if extra < 0.25:
        chosen.append(f"订单号{rng.randrange(10_000, 99_999)}")
    elif extra < 0.5:
        chosen.insert(0, f"客服{rng.choice(NAMES_ZH)}")
    return "，".join(chosen) + rng.choice(("。", "！", ""))


# The rows.


def write_answers(comments: Sequence[str]) -> "Survey":
    """One customer, invitation and answered NPS answer per comment."""
    from django.utils import timezone

    from surveys.models import Invitation, SurveyResponse, band_for

    now = timezone.now()
    survey = harness.create_survey(SURVEY_NAME)
    customers = harness.create_customers(CUSTOMER_PREFIX, len(comments), now=now)
    harness.create_invitations(
        survey, customers, status=Invitation.Status.ANSWERED, created_at=now
    )
    invitations = Invitation.objects.filter(survey=survey).order_by("customer_id")
    rng = random.Random(len(comments))
    answers = []
    for index, (invitation, comment) in enumerate(
        zip(invitations.iterator(chunk_size=harness.BULK), comments, strict=True)
    ):
        score = rng.randrange(0, 11)
        answers.append(
            SurveyResponse(
                invitation=invitation,
                customer_id=invitation.customer_id,
                survey=survey,
                kind=survey.kind,
                score=score,
                band=band_for(survey.kind, score),
                comment=comment,
                language="en" if index % 2 == 0 else "zh-hans",
                is_confirmed=True,
                answered_at=now,
            )
        )
    SurveyResponse.objects.bulk_create(answers, batch_size=harness.BULK)
    return survey


def readings(survey: "Survey") -> int:
    from text.models import CommentAnalysis

    return CommentAnalysis.objects.filter(response__survey=survey).count()


def readings_counter(survey: "Survey") -> Callable[[], int]:
    """A cheap count of the survey's readings, for polling: a range of the
    primary key (the answers were written together, into a database nothing
    else writes during the benchmark) instead of a join with the answers,
    which cost the database a tenth of a core at five polls a second."""
    from django.db.models import Max, Min

    from surveys.models import SurveyResponse
    from text.models import CommentAnalysis

    bounds = SurveyResponse.objects.filter(survey=survey).aggregate(
        first=Min("pk"), last=Max("pk")
    )
    in_range = CommentAnalysis.objects.filter(
        response__gte=bounds["first"], response__lte=bounds["last"]
    )
    return in_range.count


def purge_queue() -> None:
    """Tasks an interrupted run left in the benchmark's Redis."""
    from crm.celery import app

    app.control.purge()


# The floor.


def measure_floor(survey: "Survey", count: int) -> Run:
    """`enrich_stale` over the first `count` answers in a process of its own;
    their readings are deleted afterwards."""
    from text.models import CommentAnalysis

    child = harness.Child(
        "enrich-floor",
        harness.python_argv(__file__, "--floor-child", str(count)),
        harness.child_env(),
    )
    code = child.process.wait()
    lines = child.log.read_text(encoding="utf-8").splitlines()
    if code != 0 or not lines:
        raise RuntimeError(f"The floor failed ({code}); see {child.log}")
    found = json.loads(lines[-1])
    CommentAnalysis.objects.filter(response__survey=survey).delete()
    print(
        f"  floor: {found['comments']:,} comments in {found['seconds']:.1f} s",
        flush=True,
    )
    return Run(
        "floor: enrich_stale, 1 process, no Celery",
        found["comments"],
        found["seconds"],
        found["peak_megabytes"],
    )


def floor_child(count: int) -> int:
    """The floor's own process: read stale comments in batches, as the sweep
    does, until `count` are read; print the figures as JSON."""
    from text import services

    done, last = 0, 0
    started = time.perf_counter()
    while done < count:
        read, last = services.enrich_stale(
            batch_size=min(services.BATCH_SIZE, count - done), after=last
        )
        if not read:
            break
        done += read
    seconds = time.perf_counter() - started
    figures = {
        "comments": done,
        "seconds": seconds,
        "peak_megabytes": peak_megabytes(os.getpid()),
    }
    print(json.dumps(figures))
    return 0


# The workers.


def queue_tasks(survey: "Survey") -> Run:
    """One task per answer, queued as the answer hook queues it (after the
    commit), with no worker running yet."""
    from surveys.models import SurveyResponse
    from text import services

    ids = list(
        SurveyResponse.objects.filter(survey=survey)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    started = time.perf_counter()
    for response_id in ids:
        services.queue_reading(response_id)
    seconds = time.perf_counter() - started
    waiting = queue_length()
    if waiting != len(ids):
        raise RuntimeError(f"{waiting:,} tasks queued for {len(ids):,} answers.")
    print(f"  queued {len(ids):,} tasks in {seconds:.1f} s", flush=True)
    return Run("queueing: queue_reading (task.delay)", len(ids), seconds)


def queue_length() -> int:
    """Tasks waiting in the default queue (a Redis list of that name)."""
    import redis

    return int(redis.Redis.from_url(os.environ["REDIS_URL"]).llen(QUEUE))


def queue_drained() -> bool:
    """No task waits in the queue, nor in a worker (kombu keeps a worker's
    unacknowledged messages in the `unacked` hash)."""
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    return client.llen(QUEUE) == 0 and client.hlen("unacked") == 0


def measure_workers(
    survey: "Survey",
    count: int,
    *,
    workers: int,
    pool: str,
    concurrency: int,
    stall_seconds: float,
) -> tuple[Run, list[WorkerMemory]]:
    children = [
        harness.Child(
            f"enrich-worker-{number}",
            harness.python_argv(
                "-m", "celery", "-A", "crm", "worker", "--pool", pool,
                "--concurrency", str(concurrency), "--loglevel", "WARNING",
                "--hostname", f"{WORKER_NAME}-{number}@%h", "-Q", QUEUE,
            ),
            harness.child_env(),
        )
        for number in range(1, workers + 1)
    ]  # fmt: skip
    memory = [WorkerMemory(child.name) for child in children]
    try:
        booted = time.perf_counter()
        seconds, since_boot = wait_for_readings(
            survey, count, children, memory, stall_seconds=stall_seconds
        )
    finally:
        for child in children:
            child.stop()
    print(
        f"  workers: {count:,} comments in {seconds:.1f} s "
        f"({since_boot - booted:.1f} s from the workers' start)",
        flush=True,
    )
    name = f"touchloop: enrich_comment_task, {workers} workers"
    if (pool, concurrency) != ("prefork", 1):
        name += f" ({pool} × {concurrency})"
    return Run(name, count, seconds), memory


def wait_for_readings(
    survey: "Survey",
    count: int,
    children: Sequence[harness.Child],
    memory: Sequence[WorkerMemory],
    *,
    stall_seconds: float,
) -> tuple[float, float]:
    """Poll until every answer has its reading and every queued task has
    run (a task whose answer a batch read already still costs a worker its
    look); (seconds from the last poll that saw no reading to the first that
    saw all and an empty queue, the moment of that poll). The workers' boot
    is thus left out, but for up to one poll."""
    count_readings = readings_counter(survey)
    none_at = time.perf_counter()
    last_seen, last_change, last_report = 0, none_at, none_at
    while True:
        time.sleep(POLL_SECONDS)
        for child in children:
            if not child.is_running():
                raise RuntimeError(f"Worker {child.name} exited; see {child.log}")
        for child, worker in zip(children, memory, strict=True):
            sample_memory(child.process.pid, worker)
        done = count_readings()
        moment = time.perf_counter()
        if done == 0:
            none_at = moment
        if done >= count and queue_drained():
            if readings(survey) != count:
                raise RuntimeError(
                    f"{readings(survey):,} readings for {count:,} answers"
                )
            return moment - none_at, moment
        if done != last_seen:
            last_seen, last_change = done, moment
        elif done < count and moment - last_change > stall_seconds:
            raise RuntimeError(
                f"No comment read for {stall_seconds:.0f} s: {done:,} of {count:,}; "
                f"logs in {harness.LOG_DIR}"
            )
        if moment - last_report >= 60:
            last_report = moment
            print(f"  … {done:,} comments after {moment - none_at:.0f} s", flush=True)


def sample_memory(main_pid: int, worker: WorkerMemory) -> None:
    worker.main = max(worker.main, peak_megabytes(main_pid) or 0.0)
    for pid in child_pids(main_pid):
        worker.pool_pids.add(pid)
        worker.pool = max(worker.pool, peak_megabytes(pid) or 0.0)


def child_pids(parent: int) -> list[int]:
    """The processes whose parent is `parent` (a prefork worker's pool)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name in parentheses may hold spaces: read after it.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent:
            found.append(int(entry.name))
    return found


def peak_megabytes(pid: int) -> float | None:
    """The process's peak resident memory (VmHWM) in MB (10**6 bytes)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    return None


def targets(real: Run, memory: Sequence[WorkerMemory]) -> list[list[object]]:
    rows: list[list[object]] = [
        [
            f"comments/s, {len(memory)} workers",
            f">= {GOAL_RATE:.0f}",
            real.rate,
            real.rate >= GOAL_RATE,
        ]
    ]
    for worker in memory:
        for process, peak in (("task process", worker.pool), ("main", worker.main)):
            rows.append(
                [
                    f"peak MB, {worker.name} {process}",
                    f"< {GOAL_MEGABYTES:.0f}",
                    peak,
                    peak < GOAL_MEGABYTES,
                ]
            )
    return rows


if __name__ == "__main__":
    sys.exit(main())
