"""The response funnel: invitations planned, held back and why, sent, opened
and answered, counted by hand."""

from datetime import UTC, date, datetime, timedelta

import pytest

from customers.models import Channel
from feedback.metrics.filters import AnswerFilter
from feedback.metrics.funnel import Funnel, funnel
from surveys.models import Invitation, Kind
from tests.factories import (
    CompanyFactory,
    CustomerFactory,
    InteractionFactory,
    InvitationFactory,
    SurveyFactory,
    TouchpointFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Status = Invitation.Status
Reason = Invitation.SuppressedReason
FIRST_DAY = date(2026, 3, 2)
LAST_DAY = date(2026, 3, 15)
IN_RANGE = datetime(2026, 3, 10, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def site_zone(settings):
    settings.TIME_ZONE = "UTC"


def invitation(survey, status: str, *, created_at: datetime = IN_RANGE, **fields):
    """An invitation that got as far as `status`: a sent one has `sent_at`,
    an answered one was opened and answered too."""
    mailed = status in {Status.SENT, Status.EXPIRED, Status.ANSWERED}
    reached: dict[str, datetime | None] = {
        "sent_at": created_at + timedelta(hours=1) if mailed else None
    }
    if status == Status.ANSWERED:
        reached["opened_at"] = reached["answered_at"] = created_at + timedelta(hours=2)
    return InvitationFactory.create(
        survey=survey,
        status=status,
        created_at=created_at,
        scheduled_for=created_at,
        **{**reached, **fields},
    )


@pytest.fixture
def outbox():
    """Sixteen NPS invitations in the range (fifteen of one survey), and
    some that the funnel must not count.

    survey  how far                                      how many
    nps     scheduled, not sent yet                      2
    nps     suppressed: throttled 2, opted out 1,
            no email 1                                   4
    nps     cancelled before sending                     1
    nps     sent, not opened                             3
    nps     sent and opened, not answered                2
    nps     answered                                     2
    nps     sent, then expired unanswered                1
    nps 2   sent                                         1
    csat    answered (another kind)                      1
    nps     sent a day before and a day after the range  2
    """
    survey = SurveyFactory.create(kind=Kind.NPS)
    for _ in range(2):
        invitation(survey, Status.SCHEDULED)
    for reason in (Reason.THROTTLED, Reason.THROTTLED, Reason.OPTED_OUT):
        invitation(survey, Status.SUPPRESSED, suppressed_reason=reason)
    invitation(survey, Status.SUPPRESSED, suppressed_reason=Reason.NO_EMAIL)
    invitation(survey, Status.CANCELLED)
    for _ in range(3):
        invitation(survey, Status.SENT)
    for _ in range(2):
        invitation(survey, Status.SENT, opened_at=IN_RANGE + timedelta(hours=3))
    for _ in range(2):
        invitation(survey, Status.ANSWERED)
    invitation(survey, Status.EXPIRED)
    invitation(SurveyFactory.create(kind=Kind.NPS), Status.SENT)
    invitation(SurveyFactory.create(kind=Kind.CSAT), Status.ANSWERED)
    invitation(
        survey,
        Status.SENT,
        created_at=datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC),
    )
    invitation(survey, Status.SENT, created_at=datetime(2026, 3, 16, tzinfo=UTC))
    return survey


def test_the_funnel_of_one_survey(outbox):
    figures = funnel(
        AnswerFilter(kind=Kind.NPS, survey=outbox.pk, start=FIRST_DAY, end=LAST_DAY)
    )

    assert figures == Funnel(
        scheduled=15,
        suppressed={"throttled": 2, "opted_out": 1, "no_email": 1},
        sent=8,
        opened=4,
        answered=2,
    )
    assert figures.suppressed_total == 4
    # 2 answered of 8 sent.
    assert figures.response_rate == 25.0


def test_the_funnel_of_a_kind_counts_all_its_surveys(outbox):
    figures = funnel(AnswerFilter(kind=Kind.NPS, start=FIRST_DAY, end=LAST_DAY))

    assert (figures.scheduled, figures.sent, figures.opened, figures.answered) == (
        16,
        9,
        4,
        2,
    )
    assert figures.response_rate == 22.2


def test_the_range_is_of_the_days_the_invitations_were_made(outbox):
    figures = funnel(
        AnswerFilter(kind=Kind.NPS, survey=outbox.pk, start=FIRST_DAY, end=FIRST_DAY)
    )
    wider = funnel(
        AnswerFilter(
            kind=Kind.NPS,
            survey=outbox.pk,
            start=FIRST_DAY - timedelta(days=1),
            end=LAST_DAY + timedelta(days=1),
        )
    )

    assert figures == Funnel(scheduled=0, suppressed={}, sent=0, opened=0, answered=0)
    assert figures.response_rate is None
    assert figures.suppressed_total == 0
    assert (wider.scheduled, wider.sent) == (17, 10)


def test_the_funnel_narrowed_by_what_an_invitation_knows():
    survey = SurveyFactory.create(kind=Kind.CSAT)
    sam = UserFactory.create(username="sam")
    acme = CompanyFactory.create(segment="enterprise")
    checkout = TouchpointFactory.create(name="Checkout", stage="purchase")
    # The answer freezes the customer's segment, else the company's.
    enterprise = CustomerFactory.create(company=acme, segment="")
    small = CustomerFactory.create(segment="smb")
    by_email = InteractionFactory.create(
        customer=enterprise, channel=Channel.EMAIL, touchpoint=checkout, logged_by=sam
    )
    by_phone = InteractionFactory.create(customer=small, channel=Channel.PHONE)
    invitation(survey, Status.ANSWERED, interaction=by_email, customer=enterprise)
    invitation(survey, Status.SENT, interaction=by_phone, customer=small)
    invitation(
        survey,
        Status.SUPPRESSED,
        interaction=InteractionFactory.create(customer=small, channel=Channel.EMAIL),
        customer=small,
        suppressed_reason=Reason.SKIPPED_BY_STAFF,
    )

    def narrowed(**dimensions):
        figures = funnel(
            AnswerFilter(
                kind=Kind.CSAT, start=FIRST_DAY, end=LAST_DAY, dimensions=dimensions
            )
        )
        return (
            figures.scheduled,
            figures.suppressed_total,
            figures.sent,
            figures.answered,
        )

    assert narrowed() == (3, 1, 2, 1)
    assert narrowed(channel=Channel.EMAIL) == (2, 1, 1, 1)
    assert narrowed(channel=Channel.PHONE) == (1, 0, 1, 0)
    assert narrowed(segment="enterprise") == (1, 0, 1, 1)
    assert narrowed(segment="smb") == (2, 1, 1, 0)
    assert narrowed(company=acme.pk) == (1, 0, 1, 1)
    assert narrowed(touchpoint=checkout.pk) == (1, 0, 1, 1)
    assert narrowed(stage="purchase") == (1, 0, 1, 1)
    assert narrowed(staff=sam.pk) == (1, 0, 1, 1)
    assert narrowed(channel=Channel.EMAIL, segment="smb") == (1, 1, 0, 0)
