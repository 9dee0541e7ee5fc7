"""Give the benchmark's answers comment readings, then time the theme figures.

    DATABASE_URL=postgres://…/bench SECRET_KEY=… .venv/bin/python \\
        bench/comment_readings.py --iterations 10

Benchmark data only (PostgreSQL): every answer with a comment and no reading
gets one (CommentAnalysis) made in the database by INSERT … SELECT — a
sentiment drawn from the answer's band (mostly negative for the negative
band, mostly positive for the positive one, some neutral and mixed) — and
one active theme, a second for two comments in five (CommentTheme, source
"analysis"), picked by a hash of the answer's id, so that a second run adds
nothing. Rows written this way bypass text.services, which keeps the comment
rollup (text.rollup): when it added any, or the rollup is empty, it rebuilds
the rollup (as `manage.py rebuild_comment_rollup`). Then it times, median of
--iterations after a warm-up, the theme figures over the last 90 days (the
counts behind the themes and the journey's themes, then the sentiment per
week) (feedback.metrics.themes), from the rollup and live, and prints their
queries' plans with --explain. The whole dashboard page is timed by
bench/run.py --only dashboard.
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

READINGS = """
INSERT INTO text_commentanalysis (
    response_id, comment_digest, dictionary_digest, language, score, label,
    spans, keywords, needs_review, corrected_label, analysed_at, counted_band
)
SELECT r.id, md5(r.comment), 'bench',
       CASE WHEN r.language LIKE 'zh%%' THEN 'zh' ELSE 'en' END,
       0, picked.label, '[]', '[]', false, '', r.answered_at, ''  -- not counted yet
FROM surveys_surveyresponse r
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN draw < 70 THEN CASE r.band WHEN 'detractor' THEN 'negative'
                                        WHEN 'promoter' THEN 'positive'
                                        ELSE 'neutral' END
        WHEN draw < 85 THEN 'neutral'
        WHEN draw < 93 THEN 'mixed'
        ELSE CASE r.band WHEN 'promoter' THEN 'negative' ELSE 'positive' END
    END AS label
    FROM (SELECT abs(hashint8(r.id)) %% 100 AS draw) AS d
) AS picked
WHERE r.comment <> ''
ON CONFLICT (response_id) DO NOTHING
"""

THEMES = """
INSERT INTO text_commenttheme (analysis_id, theme_id, spans, source, is_present)
SELECT a.response_id, themes.ids[1 + (abs(hashint8(a.response_id * %(salt)s))
                                      %% array_length(themes.ids, 1))],
       '[]', 'analysis', true
FROM text_commentanalysis a
CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids
            FROM text_theme WHERE is_active) AS themes
WHERE a.dictionary_digest = 'bench'
  AND abs(hashint8(a.response_id + %(salt)s)) %% 100 < %(percent)s
ON CONFLICT (analysis_id, theme_id) DO NOTHING
"""


def seed_readings() -> None:
    from django.db import connection, transaction

    from text.models import CommentRollup
    from text.rollup import rebuild_comment_rollup

    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(READINGS, {})
        readings = cursor.rowcount
        cursor.execute(THEMES, {"salt": 1, "percent": 100})
        first = cursor.rowcount
        cursor.execute(THEMES, {"salt": 7, "percent": 40})
        second = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE text_commentanalysis, text_commenttheme")
    print(
        f"added {readings:,} readings and {first + second:,} theme rows "
        f"in {time.perf_counter() - started:.1f} s"
    )
    if readings or first or second or not CommentRollup.objects.exists():
        started = time.perf_counter()
        written = rebuild_comment_rollup()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE text_commentrollup, text_commentanalysis")
        print(
            f"rebuilt the comment rollup: {written:,} rows "
            f"in {time.perf_counter() - started:.1f} s"
        )


def timed(function: Callable[[], Any], *, iterations: int) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    function()
    times = []
    for _ in range(iterations):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            function()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(queries.captured_queries)


def main() -> int:
    import django

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.utils import timezone

    from feedback.metrics import themes
    from feedback.metrics.filters import AnswerFilter
    from surveys.models import SurveyResponse

    if connection.vendor != "postgresql":
        print("comment_readings: PostgreSQL only; skipped.")
        return 0
    seed_readings()
    today = timezone.localdate()
    answers = AnswerFilter(start=today - timedelta(days=89), end=today)
    print(
        f"{SurveyResponse.objects.count():,} answers; "
        f"{answers.selected().count():,} NPS answers in the last 90 days"
    )
    live = override_settings(METRICS_USE_ROLLUP=False)
    figures: dict[str, Callable[[], Any]] = {
        "theme counts (both figures)": lambda: themes.count_themes(answers),
        "sentiment per week": lambda: themes.sentiment_trend(answers),
        "theme counts, live": live(lambda: themes.count_themes(answers)),
        "sentiment per week, live": live(lambda: themes.sentiment_trend(answers)),
    }
    for name, function in figures.items():
        median, queries = timed(function, iterations=args.iterations)
        print(f"{name:30} {median:8.1f} ms  {queries} queries")
        if args.explain:
            with CaptureQueriesContext(connection) as captured:
                function()
            with connection.cursor() as cursor:
                for query in captured.captured_queries:
                    cursor.execute("EXPLAIN ANALYZE " + query["sql"])
                    print("\n".join(row[0] for row in cursor.fetchall()), "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
