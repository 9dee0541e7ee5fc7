"""KPI values aggregated by the database against a plain computation over
the same random rows: the value, n, the 95% margin and the weekly trend."""

import math
import random
import statistics
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from customers.models import Interaction
from feedback.models import Case
from pilots.models import Kpi
from pilots.services.kpis import kpi_status, off_target_kpis
from surveys.models import Invitation
from tests.factories import CustomerFactory, SurveyFactory, TouchpointFactory
from tests.pilots.seeding import bulk_answers, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

DAYS = 120
Z = 1.959963984540054


def moment(generator, day):
    zone = timezone.get_default_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start + timedelta(seconds=generator.randrange(0, 86_000))


def local_day(instant):
    return timezone.localtime(instant, timezone.get_default_timezone()).date()


def in_window(day, *, days):
    return today() - timedelta(days - 1) <= day <= today()


def week_of(day):
    return day - timedelta(day.weekday())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_nps_and_csat_equal_a_plain_count(seed):
    generator = random.Random(seed)
    people = [CustomerFactory.create() for _ in range(5)]
    rows: dict[str, list[dict[str, Any]]] = {"nps": [], "csat": []}
    for kind, high in (("nps", 10), ("csat", 5)):
        survey = SurveyFactory.create(kind=kind)
        for _ in range(generator.randrange(50, 300)):
            day = today() - timedelta(generator.randrange(0, DAYS))
            rows[kind].append(
                {
                    "customer": generator.choice(people),
                    "score": generator.randrange(0 if kind == "nps" else 1, high + 1),
                    "answered_at": moment(generator, day),
                    "channel": generator.choice(["phone", "email"]),
                }
            )
        bulk_answers(survey, rows[kind])
    nps = Kpi.objects.create(
        name="NPS", formula="nps", filters={"channel": "phone"}, target=10
    )
    csat = Kpi.objects.create(
        name="CSAT",
        formula="csat",
        review_cadence="weekly",
        direction="lower",
        target=50,
    )

    nps_status = kpi_status(nps, today=today())
    csat_status = kpi_status(csat, today=today())

    phone = [row for row in rows["nps"] if row["channel"] == "phone"]
    monthly = [
        row["score"]
        for row in phone
        if in_window(local_day(row["answered_at"]), days=30)
    ]
    n = len(monthly)
    p = sum(score >= 9 for score in monthly) / n
    d = sum(score <= 6 for score in monthly) / n
    assert nps_status.n == n
    assert nps_status.value == pytest.approx(100 * (p - d))
    assert nps_status.margin == pytest.approx(
        Z * math.sqrt((p + d - (p - d) ** 2) / n) * 100
    )
    assert nps_status.on_target is (100 * (p - d) >= 10)
    assert nps_status.low_sample is (n < 30)
    for point in nps_status.trend:
        week = [
            row["score"]
            for row in phone
            if week_of(local_day(row["answered_at"])) == point.week
        ]
        assert point.n == len(week)
        if week:
            expected = (
                100
                * (sum(s >= 9 for s in week) - sum(s <= 6 for s in week))
                / len(week)
            )
            assert point.value == pytest.approx(expected)
        else:
            assert point.value is None

    weekly = [
        row["score"]
        for row in rows["csat"]
        if in_window(local_day(row["answered_at"]), days=7)
    ]
    assert csat_status.n == len(weekly)
    if weekly:
        share = 100 * sum(score >= 4 for score in weekly) / len(weekly)
        assert csat_status.value == pytest.approx(share)
        assert csat_status.on_target is (share <= 50)


def plain_median_margin(values):
    ordered = sorted(values)
    n = len(ordered)
    half = Z * math.sqrt(n) / 2
    low = max(math.floor(n / 2 - half), 1)
    high = min(math.ceil(n / 2 + half) + 1, n)
    return (ordered[high - 1] - ordered[low - 1]) / 2


@pytest.mark.parametrize("seed", [4, 5])
def test_case_figures_equal_a_plain_computation(seed):
    generator = random.Random(seed)
    touchpoint = TouchpointFactory.create()
    customer = CustomerFactory.create()
    interactions, cases = [], []
    for index in range(generator.randrange(40, 120)):
        day = today() - timedelta(generator.randrange(0, 60))
        occurred = moment(generator, day)
        interaction = Interaction.objects.create(
            customer=customer,
            touchpoint=touchpoint,
            channel="phone",
            occurred_at=occurred,
            status="resolved",
            resolved_at=occurred,
        )
        interactions.append(interaction)
        if generator.random() < 0.4:
            contacted = occurred + timedelta(minutes=generator.randrange(5, 3000))
            cases.append(
                Case.objects.create(
                    customer=customer,
                    interaction=interaction,
                    reason="manual",
                    created_at=occurred,
                    first_contact_at=contacted if index % 3 else None,
                )
            )
    rate = Kpi.objects.create(name="Cases", formula="case_rate", direction="lower")
    contact = Kpi.objects.create(
        name="First contact",
        formula="time_to_first_contact",
        review_cadence="quarterly",
    )

    rate_status = kpi_status(rate, today=today())
    contact_status = kpi_status(contact, today=today())

    recent = [i for i in interactions if in_window(local_day(i.occurred_at), days=30)]
    with_case = {case.interaction_id for case in cases}
    assert rate_status.n == len(recent)
    assert rate_status.value == pytest.approx(
        100 * sum(i.pk in with_case for i in recent) / len(recent)
    )
    hours = [
        (case.first_contact_at - case.created_at).total_seconds() / 3600
        for case in cases
        if case.first_contact_at and in_window(local_day(case.created_at), days=91)
    ]
    assert contact_status.n == len(hours)
    assert contact_status.value == pytest.approx(statistics.median(hours))
    assert contact_status.margin == pytest.approx(plain_median_margin(hours))


def test_the_response_rate_is_answers_over_invitations_sent(survey_response_factory):
    survey = SurveyFactory.create()
    answered = [
        survey_response_factory.create(invitation__survey=survey) for _ in range(3)
    ]
    for invitation_number in range(5):
        invitation = answered[0].invitation
        Invitation.objects.create(
            survey=survey,
            customer=invitation.customer,
            nonce=f"n{invitation_number}",
            token_hash=f"h{invitation_number}",
            status="sent",
            sent_at=timezone.now(),
        )
    Invitation.objects.create(
        survey=survey,
        customer=answered[0].customer,
        nonce="never",
        token_hash="never",
        status="scheduled",
    )
    kpi = Kpi.objects.create(
        name="Response rate", formula="response_rate", filters={"survey": survey.pk}
    )

    status = kpi_status(kpi, today=today())

    assert status.n == 8
    assert status.value == pytest.approx(100 * 3 / 8)


def test_the_digest_lists_the_kpis_off_target_honouring_their_direction(
    survey_response_factory,
):
    for score in (10, 10, 3):  # NPS 33.3
        survey_response_factory.create(score=score)
    missed_high = Kpi.objects.create(name="B high", formula="nps", target=50)
    Kpi.objects.create(name="A met", formula="nps", target=30)
    missed_low = Kpi.objects.create(
        name="C low", formula="nps", target=20, direction="lower"
    )
    Kpi.objects.create(name="D no target", formula="nps")

    listed = off_target_kpis(today=today())

    assert [kpi for kpi, _status in listed] == [missed_high, missed_low]
    assert listed[0][1].value == pytest.approx(100 / 3)
