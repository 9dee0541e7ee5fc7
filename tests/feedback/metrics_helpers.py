"""What the tests of the figures the database counts share (test_metrics_*.py):
the zones they count in and the helpers that make answers and read figures;
their fixtures (`metrics_settings`, `counted`) are in conftest.py."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from feedback.metrics.statistics import Score
from surveys.models import Invitation
from tests.factories import CustomerFactory, InvitationFactory, SurveyResponseFactory

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
MISSING = "—"


def answer(survey, score: int, at: datetime, *, customer=None, **frozen):
    """One answer of `customer` (a new one by default) given at `at`."""
    invitation = InvitationFactory.create(
        survey=survey,
        customer=customer or CustomerFactory.create(),
        interaction=None,
        status=Invitation.Status.ANSWERED,
    )
    return SurveyResponseFactory.create(
        invitation=invitation, score=score, answered_at=at, **frozen
    )


def local(
    zone: ZoneInfo,
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    *,
    fold: int = 0,
) -> datetime:
    """A wall-clock time in `zone`; `fold=1` is the second of a time that
    happens twice."""
    return datetime(year, month, day, hour, minute, second, tzinfo=zone, fold=fold)


def bands(figures: Score) -> tuple[int, int, int, int]:
    return (figures.n, figures.promoters, figures.passives, figures.detractors)


def shown(periods) -> list[tuple[date, str, int]]:
    return [(period.start, period.label, period.figures.n) for period in periods]
