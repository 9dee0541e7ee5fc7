"""Property: anonymising answers' identity (and blanking old comments)
changes no figure. NPS, CSAT and CES with their margins, by every dimension
and period, and the funnel, read from `/api/v1/metrics/` (raw answers and
rollups), are identical before and after the retention run, on random
histories with the cutoff falling among the answers.

"latest answer per customer" figures are compared too when every answer of
a person expires in the same run (all of theirs go to one anonymous
customer); when a person's answers in one period straddle the cutoff, the
expired ones count as another customer's (README, Retention)."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.models import Customer
from privacy.models import RetentionRule
from privacy.services import retention
from surveys.models import SurveyResponse, scale_of
from tests.api import authenticated
from tests.factories import (
    CompanyFactory,
    CustomerFactory,
    SurveyFactory,
    SurveyResponseFactory,
    TouchpointFactory,
    UserFactory,
)
from tests.privacy.test_erasure_statistics import (
    CHANNELS,
    CUSTOMERS,
    DAYS,
    KINDS,
    SEGMENTS,
    STAGES,
    figures,
    start_afresh,
)

pytestmark = pytest.mark.django_db

# Each example reads every figure four times: a few suffice, as for erasure.
EXAMPLES = 6
Category = RetentionRule.Category


@st.composite
def histories(draw):
    answer = st.tuples(
        st.integers(min_value=0, max_value=len(KINDS) - 1),
        st.integers(min_value=0, max_value=10),
        st.integers(min_value=0, max_value=DAYS - 1),
        st.integers(min_value=0, max_value=24 * 3600 - 1),
        st.integers(min_value=0, max_value=CUSTOMERS - 1),
        st.sampled_from(CHANNELS),
        st.integers(min_value=-1, max_value=1),
        st.sampled_from(STAGES),
        st.sampled_from(SEGMENTS),
        st.integers(min_value=-1, max_value=1),
        st.integers(min_value=-1, max_value=1),
        st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
    )
    rows = draw(st.lists(answer, min_size=1, max_size=18))
    # The rules' ages: anywhere among the answers' days.
    identity_age = draw(st.integers(min_value=1, max_value=DAYS))
    comments_age = draw(st.integers(min_value=1, max_value=DAYS))
    return rows, identity_age, comments_age


def only_answer_rules(identity_age: int, comments_age: int) -> None:
    RetentionRule.objects.update(is_enabled=False)
    RetentionRule.objects.filter(category=Category.ANSWER_IDENTITY).update(
        is_enabled=True, age_days=identity_age, action="anonymise"
    )
    RetentionRule.objects.filter(category=Category.COMMENTS).update(
        is_enabled=True, age_days=comments_age
    )


def without_latest(results: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in results.items() if "'latest'" not in key}


def test_anonymising_answers_identity_leaves_every_figure_identical(
    record_property,
):
    manager = UserFactory.create(username="retention-manager", groups=["Manager"])
    client = authenticated(manager)
    surveys = {kind: SurveyFactory.create(kind=kind) for kind in KINDS}
    touchpoints = TouchpointFactory.create_batch(2)
    companies = CompanyFactory.create_batch(2)
    staff = UserFactory.create_batch(2, groups=["Support"])
    today = timezone.localdate()
    first, last = (today - timedelta(days=DAYS - 1)).isoformat(), today.isoformat()
    runs: list[int] = []
    touched: list[int] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(histories())
    def check(history) -> None:
        rows, identity_age, comments_age = history
        start_afresh()
        only_answer_rules(identity_age, comments_age)
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
        # Does any person keep some answers and lose others?
        cutoff = now - timedelta(days=identity_age)
        straddling = any(
            SurveyResponse.objects.filter(
                customer=person, answered_at__lt=cutoff
            ).exists()
            and SurveyResponse.objects.filter(
                customer=person, answered_at__gte=cutoff
            ).exists()
            for person in customers
        )
        before = {}
        for use_rollup in (False, True):
            with override_settings(METRICS_USE_ROLLUP=use_rollup):
                before[use_rollup] = figures(client, first, last)
        losers = set(
            SurveyResponse.objects.filter(answered_at__lt=cutoff).values_list(
                "customer_id", flat=True
            )
        )
        expired = retention.expired(
            RetentionRule.objects.get(category=Category.ANSWER_IDENTITY), now=now
        ).count()

        outcomes = retention.apply_retention(now=now)

        assert {o.category: o.count for o in outcomes}[
            Category.ANSWER_IDENTITY
        ] == expired
        assert not SurveyResponse.objects.filter(
            answered_at__lt=cutoff, customer__in=customers
        ).exists()
        for use_rollup in (False, True):
            with override_settings(METRICS_USE_ROLLUP=use_rollup):
                after = figures(client, first, last)
            if straddling:
                assert without_latest(after) == without_latest(before[use_rollup])
            else:
                assert after == before[use_rollup]
        runs.append(len(rows))
        touched.append(expired)
        # One anonymous customer per person who lost answers.
        assert Customer.objects.exclude(erased_at=None).count() == len(losers)

    check()
    record_property("examples", len(runs))
    print(
        f"identical statistics after retention: {len(runs)} examples, "
        f"{sum(runs)} answers, {sum(touched)} anonymised"
    )
    assert len(runs) == EXAMPLES
    assert sum(touched) > 0
