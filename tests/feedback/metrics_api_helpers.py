"""What the tests of `/api/v1/metrics/` share (test_api_metrics_*.py): the
moment they run at (their `pytestmark` pins it), the two weeks they count, the
endpoints, the refusals, and the helpers that ask for figures and make the
answers behind them; their fixtures are in conftest.py."""

from datetime import UTC, date, datetime, time, timedelta

from customers.models import Channel, Stage
from surveys.models import Survey, SurveyResponse
from surveys.services import rollup
from tests.api import bearer
from tests.factories import CaseFactory, SurveyResponseFactory, TouchpointFactory
from text import rollup as comment_rollup

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # a Monday
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# Two whole weeks: 2026-W47 and 2026-W48.
WEEK_47 = date(2026, 11, 16)
WEEK_48 = date(2026, 11, 23)
RANGE = {"from": "2026-11-16", "to": "2026-11-29"}
# What every answer starts with: what its figures are about.
ABOUT = {"kind": "nps", "from": "2026-11-16", "to": "2026-11-29", "mode": "all"}
METRICS = "/api/v1/metrics/"
ENDPOINTS = ["trend", "breakdown", "funnel", "journey", "loop", "themes"]
NOT_A_MANAGER = {"detail": "Only managers may see the metrics."}
NOT_SIGNED_IN = {"detail": "Authentication credentials were not provided."}


def get(user, endpoint: str, **query):
    return bearer(user).get(f"{METRICS}{endpoint}/", query)


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def answer(survey: Survey, score: int, day: date, **dimensions) -> SurveyResponse:
    dimensions.setdefault("channel", Channel.PHONE)
    return SurveyResponseFactory.create(
        invitation__survey=survey,
        score=score,
        answered_at=at_noon(day),
        **dimensions,
    )


def answers(survey: Survey, scores: list[int], day: date, **dimensions) -> None:
    for score in scores:
        answer(survey, score, day, **dimensions)


def counted() -> None:
    """The answers and readings made here bypass the answer and text
    services, which keep the score and comment rollups current: rebuild them
    as a bulk writer does."""
    rollup.rebuild_rollup()
    comment_rollup.rebuild_comment_rollup()


def period(
    start,
    label,
    n,
    bands,
    score,
    margin,
    change=None,
    significant=None,
    *,
    low_sample=True,
):
    """A trend period as the API shows it, for an NPS survey."""
    return {
        "period": start,
        "label": label,
        "n": n,
        "promoters": bands[0],
        "passives": bands[1],
        "detractors": bands[2],
        "nps": score,
        "margin": margin,
        "low_sample": low_sample,
        "change": change,
        "is_significant": significant,
    }


EMPTY_47 = period("2026-11-16", "2026-W47", 0, (0, 0, 0), None, None)
EMPTY_48 = period("2026-11-23", "2026-W48", 0, (0, 0, 0), None, None)


def answers_and_cases(survey: Survey, count: int) -> None:
    """`count` answers, each about its own touchpoint and with a case."""
    for number in range(count):
        day = WEEK_47 + timedelta(days=number % 14)
        response = answer(
            survey,
            [10, 7, 3][number % 3],
            day,
            touchpoint=TouchpointFactory.create(),
            stage=Stage.USAGE,
            invitation__created_at=at_noon(day) - HOUR,
        )
        CaseFactory.create(response=response, created_at=response.answered_at)
    counted()
