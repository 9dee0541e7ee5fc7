"""A customer with one of every kind of record the access export holds, and
another customer whose details turn up in the first one's case notes."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User

from customers.models import ConsentEvent, Customer
from feedback.models import Case, CaseEvent
from lib.access_log import Via, record_view
from pilots.models import Formula, Kpi, Pilot, PilotAssignment, Unit
from privacy.models import PrivacyRequest
from surveys.models import SurveyResponse
from tests.factories import (
    CustomerFactory,
    InteractionFactory,
    SurveyResponseFactory,
    UserFactory,
)
from text.models import CommentAnalysis, CommentTheme, Theme


@dataclass
class Staff:
    manager: User
    support: User


def staff_members() -> Staff:
    return Staff(
        manager=UserFactory.create(
            username="mia-manager",
            first_name="Mia",
            last_name="Moreau",
            email="mia.moreau@touchloop.example",
            groups=["Manager"],
        ),
        support=UserFactory.create(
            username="sam-support",
            first_name="Sam",
            last_name="Sutton",
            email="sam.sutton@touchloop.example",
            groups=["Support"],
        ),
    )


def other_customer() -> Customer:
    return CustomerFactory.create(
        name="Otto Outsider",
        email="otto.outsider@elsewhere.example",
        phone="+44 20 7946 0958",
    )


def answer(
    customer: Customer, staff: Staff, *, now: datetime, index: int
) -> SurveyResponse:
    """An unhappy answer with its reading and a case with a timeline."""
    response = SurveyResponseFactory.create(
        invitation__interaction__customer=customer,
        invitation__interaction__logged_by=staff.support,
        score=3,
        comment=f"Answer {index}: the delivery was late again.",
        answered_at=now - timedelta(days=index + 1),
        staff=staff.support,
    )
    analysis = CommentAnalysis.objects.create(
        response=response,
        comment_digest="-",
        dictionary_digest="-",
        language="en",
        score=-0.6,
        label="negative",
        analysed_at=now,
    )
    theme, _created = Theme.objects.get_or_create(
        key="delivery", defaults={"name_en": "Delivery"}
    )
    CommentTheme.objects.create(analysis=analysis, theme=theme, source="analysis")
    case = Case.objects.create(
        response=response,
        customer=customer,
        interaction=response.invitation.interaction,
        reason=Case.Reason.DETRACTOR,
        owner=staff.manager,
        created_at=now - timedelta(days=index),
    )
    CaseEvent.objects.create(
        case=case, kind=CaseEvent.Kind.OPENED, created_at=now - timedelta(days=index)
    )
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.ASSIGNED,
        data={"from": None, "to": staff.manager.pk, "rule": "by_hand"},
        actor=staff.support,
    )
    return response


def history(
    customer: Customer, staff: Staff, *, now: datetime, answers: int = 1
) -> list[SurveyResponse]:
    InteractionFactory.create(
        customer=customer,
        subject="Onboarding call",
        notes="Walked through the set-up.",
        logged_by=staff.support,
    )
    responses = [
        answer(customer, staff, now=now, index=index) for index in range(answers)
    ]
    ConsentEvent.objects.create(
        customer=customer,
        purpose="surveys",
        granted=True,
        source="staff",
        staff_member=staff.support,
        created_at=now - timedelta(days=30),
    )
    kpi = Kpi.objects.create(name="NPS", formula=Formula.NPS)
    pilot = Pilot.objects.create(
        name="Faster replies",
        hypothesis="It helps.",
        primary_kpi=kpi,
        unit=Unit.CUSTOMER,
        treatment=[],
        control=[],
        go_live=now.date() + timedelta(days=10),
        planned_end=now.date() + timedelta(days=70),
        min_effect=5,
    )
    PilotAssignment.objects.create(pilot=pilot, customer=customer, group="treated")
    record_view(staff.manager, customer, via=Via.ADMIN)
    PrivacyRequest.objects.create(
        kind=PrivacyRequest.Kind.ACCESS, customer=customer, received_at=now
    )
    return responses


def shared_case_note(
    customer: Customer, other: Customer, staff: Staff, *, now: datetime
) -> None:
    """A note on the customer's case that names the other customer, with
    their address and phone, and a staff member by name."""
    case = Case.objects.filter(customer=customer).first()
    assert case is not None
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.NOTE,
        actor=staff.manager,
        note=(
            f"Spoke with {customer.email}. Same issue as Otto Outsider "
            f"({other.email}, {other.phone}); Sam Sutton will call back."
        ),
        created_at=now,
    )
