"""Answers in bulk for the pilots' database tests: invitations and answers
written with bulk_create (the factories would take a minute for the
thousands a pilot needs), with the dimensions frozen on each answer."""

import itertools
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from customers.models import Company, Customer
from surveys.models import Invitation, Survey, SurveyResponse, band_for

_serial = itertools.count()


@pytest.fixture
def frozen(clock):
    """The drawn moment, frozen: a test that reads `today` twice must not
    cross midnight between the readings (the draw includes 23:59)."""
    clock.move_to(timezone.now(), tick=False)
    return clock


def today() -> date:
    return timezone.localdate(timezone=timezone.get_default_timezone())


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=timezone.get_default_timezone())


def companies(count: int, *, segment: str = "smb") -> list[Company]:
    return Company.objects.bulk_create(
        Company(name=f"Pilot company {next(_serial)}", segment=segment)
        for _ in range(count)
    )


def customers_of(company: Company, count: int) -> list[Customer]:
    return Customer.objects.bulk_create(
        Customer(
            name=f"Pilot customer {next(_serial)}",
            company=company,
            segment=company.segment,
            timezone="UTC",
        )
        for _ in range(count)
    )


def bulk_answers(survey: Survey, rows: list[dict[str, Any]]) -> list[SurveyResponse]:
    """One invitation and one answer per row: {"customer", "score",
    "answered_at"} and any frozen dimension (channel, touchpoint, stage,
    segment, company, staff; segment and company default to the
    customer's)."""
    invitations = Invitation.objects.bulk_create(
        Invitation(
            survey=survey,
            customer=row["customer"],
            nonce=uuid.uuid4().hex,
            token_hash=uuid.uuid4().hex + uuid.uuid4().hex,
            status=Invitation.Status.ANSWERED,
            sent_at=row["answered_at"] - timedelta(hours=1),
            answered_at=row["answered_at"],
        )
        for row in rows
    )
    answers = []
    for invitation, row in zip(invitations, rows, strict=True):
        customer = row["customer"]
        dimensions = {
            "segment": customer.segment,
            "company_id": customer.company_id,
            "channel": "phone",
            **{
                k: v
                for k, v in row.items()
                if k not in ("customer", "score", "answered_at")
            },
        }
        answers.append(
            SurveyResponse(
                invitation=invitation,
                customer=customer,
                survey=survey,
                kind=survey.kind,
                score=row["score"],
                band=band_for(survey.kind, row["score"]),
                answered_at=row["answered_at"],
                **dimensions,
            )
        )
    return SurveyResponse.objects.bulk_create(answers, batch_size=2000)


def scores_for(promoters: int, passives: int, detractors: int) -> list[int]:
    """NPS scores with these band counts (10, 8 and 3), each band spread
    evenly through the list: any stretch of it has about the same mix."""
    spread = [
        ((index + 0.5) / count, score)
        for score, count in ((10, promoters), (8, passives), (3, detractors))
        for index in range(count)
    ]
    return [score for _position, score in sorted(spread)]
