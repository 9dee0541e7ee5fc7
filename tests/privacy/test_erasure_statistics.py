"""Property: an anonymising erasure changes no figure. NPS, CSAT and CES
with their margins, by every dimension, for every period and both answer
modes, read from `/api/v1/metrics/` (raw answers and rollups), are
identical before and after erasing a customer drawn at random."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.models import Channel, Customer, Interaction, Stage
from feedback.metrics.filters import DIMENSIONS, INTERVALS
from feedback.models import Case, CaseEvent
from privacy.services.erasure import erase_customer
from surveys.models import Invitation, Kind, ScoreRollup, SurveyResponse, scale_of
from tests.api import authenticated
from tests.factories import (
    CompanyFactory,
    CustomerFactory,
    SurveyFactory,
    SurveyResponseFactory,
    TouchpointFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

KINDS = [Kind.NPS, Kind.CSAT, Kind.CES]
CUSTOMERS = 3
DAYS = 100
# Each example erases and reads every figure by every dimension twice (about
# 5 s): 15 a run, in both suites, on fresh random data each time.
EXAMPLES = 15
SEGMENTS = ["", "smb", "enterprise"]
CHANNELS = [Channel.PHONE, Channel.EMAIL, Channel.CHAT]
STAGES = ["", Stage.USAGE, Stage.PURCHASE]


@st.composite
def histories(draw):
    answer = st.tuples(
        st.integers(min_value=0, max_value=len(KINDS) - 1),
        st.integers(min_value=0, max_value=10),  # folded onto the kind's scale
        st.integers(min_value=0, max_value=DAYS - 1),
        st.integers(min_value=0, max_value=24 * 3600 - 1),
        st.integers(min_value=0, max_value=CUSTOMERS - 1),
        st.sampled_from(CHANNELS),
        st.integers(min_value=-1, max_value=1),  # touchpoint (-1: none)
        st.sampled_from(STAGES),
        st.sampled_from(SEGMENTS),
        st.integers(min_value=-1, max_value=1),  # company (-1: none)
        st.integers(min_value=-1, max_value=1),  # staff member (-1: none)
        # Comments as a page takes them (no control characters, no NUL).
        st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
    )
    rows = draw(st.lists(answer, min_size=1, max_size=18))
    erased = draw(st.integers(min_value=0, max_value=CUSTOMERS - 1))
    return rows, erased


def start_afresh() -> None:
    """Each example on an empty loop (the surveys, people and places stay)."""
    CaseEvent.objects.all().delete()
    Case.objects.all().delete()
    SurveyResponse.objects.all().delete()
    Invitation.objects.all().delete()
    Interaction.objects.all().delete()
    Customer.objects.all().delete()
    ScoreRollup.objects.all().delete()


def figures(client, first: str, last: str) -> dict[str, object]:
    """Every figure the metrics API gives for the range, by its query."""
    queries: list[dict[str, str]] = []
    for kind in KINDS:
        about = {"kind": kind, "from": first, "to": last}
        for mode in ("all", "latest"):
            for interval in INTERVALS:
                queries.append({**about, "mode": mode, "interval": interval})
            for by in DIMENSIONS:
                queries.append({**about, "mode": mode, "by": by, "_": "breakdown"})
            queries.append({**about, "mode": mode, "_": "journey"})
        for by in DIMENSIONS:
            queries.append({**about, "interval": "week", "by": by})
        queries.append({**about, "_": "funnel"})
    results: dict[str, object] = {}
    for query in queries:
        query = dict(query)
        endpoint = query.pop("_", "trend")
        response = client.get(f"/api/v1/metrics/{endpoint}/", query)
        assert response.status_code == 200, response.json()
        results[f"{endpoint} {sorted(query.items())}"] = response.json()
    return results


def test_anonymising_erasure_leaves_every_figure_identical(record_property):
    manager = UserFactory.create(username="stat-manager", groups=["Manager"])
    client = authenticated(manager)
    surveys = {kind: SurveyFactory.create(kind=kind) for kind in KINDS}
    touchpoints = TouchpointFactory.create_batch(2)
    companies = CompanyFactory.create_batch(2)
    staff = UserFactory.create_batch(2, groups=["Support"])
    today = timezone.localdate()
    first, last = today - timedelta(days=DAYS - 1), today
    runs = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(histories())
    def check(history) -> None:
        rows, erased = history
        start_afresh()
        customers = CustomerFactory.create_batch(CUSTOMERS)
        now = timezone.now()
        for (kind_index, raw, day, second, who, channel, touchpoint, stage,
             segment, company, member, comment) in rows:  # fmt: skip
            kind = KINDS[kind_index]
            scale = list(scale_of(kind))
            SurveyResponseFactory.create(
                invitation__survey=surveys[kind],
                invitation__interaction__customer=customers[who],
                score=scale[raw % len(scale)],
                comment=comment,
                answered_at=now - timedelta(days=day, seconds=second),
                channel=channel,
                touchpoint=touchpoints[touchpoint] if touchpoint >= 0 else None,
                stage=stage,
                segment=segment,
                company=companies[company] if company >= 0 else None,
                staff=staff[member] if member >= 0 else None,
            )
        for use_rollup in (False, True):
            with override_settings(METRICS_USE_ROLLUP=use_rollup):
                before = figures(client, first.isoformat(), last.isoformat())
                if use_rollup:
                    erase_customer(customers[erased])
                    after = figures(client, first.isoformat(), last.isoformat())
                    assert after == before
                else:
                    raw_before = before
        with override_settings(METRICS_USE_ROLLUP=False):
            assert figures(client, first.isoformat(), last.isoformat()) == raw_before
        runs.append(len(rows))

    check()
    record_property("examples", len(runs))
    print(f"identical statistics: {len(runs)} examples, {sum(runs)} answers")
    assert len(runs) == EXAMPLES
