"""The response funnel: how many invitations were planned, held back (and
why), sent, opened and answered."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from feedback.metrics.filters import AnswerFilter
from surveys.models import Invitation


@dataclass(frozen=True)
class Funnel:
    """Invitations created in the filter's range, for its survey or kind,
    narrowed by the dimensions that an invitation has (channel and
    touchpoint of its interaction, the customer's stage, segment and
    company, the interaction's staff member)."""

    scheduled: int
    suppressed: dict[str, int]
    sent: int
    opened: int
    answered: int

    @property
    def suppressed_total(self) -> int:
        return sum(self.suppressed.values())

    @property
    def response_rate(self) -> float | None:
        """Answered among sent, in percent (1 decimal)."""
        return round(100 * self.answered / self.sent, 1) if self.sent else None


def funnel(answers: AnswerFilter) -> Funnel:
    """The invitations created in the range, by how far they got. One query.

    "scheduled" counts every invitation planned (suppressed ones included),
    "sent" those mailed, "opened" those whose page was seen, "answered"
    those with an answer. The filter's "latest" mode does not apply: this
    counts invitations, not answers.
    """
    reasons = Invitation.SuppressedReason.values
    suppressed = Q(status=Invitation.Status.SUPPRESSED)
    # Counting created_at (never null), not the id: every column read is in
    # the funnel's covering index, so PostgreSQL need not visit the table.
    counts = invitations_of(answers).aggregate(
        scheduled=Count("created_at"),
        sent=Count("created_at", filter=Q(sent_at__isnull=False)),
        opened=Count("created_at", filter=Q(opened_at__isnull=False)),
        answered=Count("created_at", filter=Q(answered_at__isnull=False)),
        **{
            f"suppressed_{reason}": Count(
                "created_at", filter=suppressed & Q(suppressed_reason=reason)
            )
            for reason in reasons
        },
    )
    return Funnel(
        scheduled=counts["scheduled"],
        suppressed={
            reason: counts[f"suppressed_{reason}"]
            for reason in reasons
            if counts[f"suppressed_{reason}"]
        },
        sent=counts["sent"],
        opened=counts["opened"],
        answered=counts["answered"],
    )


def invitations_of(answers: AnswerFilter) -> QuerySet[Invitation]:
    """The invitations behind the filter's answers: created in its range, of
    its survey or kind, and matching its dimensions as the answer would
    freeze them (surveys.services.answers.create_response)."""
    condition = Q(survey__kind=answers.kind)
    if answers.start_at is not None:
        condition &= Q(created_at__gte=answers.start_at)
    if answers.end_before is not None:
        condition &= Q(created_at__lt=answers.end_before)
    if answers.survey is not None:
        condition &= Q(survey_id=answers.survey)
    for name, value in answers.dimensions.items():
        condition &= DIMENSION_CONDITIONS[name](value)
    return Invitation.objects.filter(condition).order_by()


DIMENSION_CONDITIONS: dict[str, Callable[[Any], Q]] = {
    "channel": lambda value: Q(interaction__channel=value),
    "touchpoint": lambda value: Q(interaction__touchpoint_id=value),
    "stage": lambda value: (
        Q(interaction__touchpoint__stage=value)
        | Q(interaction__touchpoint__isnull=True, customer__stage=value)
    ),
    "segment": lambda value: (
        Q(customer__segment=value)
        | Q(customer__segment="", customer__company__segment=value)
    ),
    "company": lambda value: Q(customer__company_id=value),
    "staff": lambda value: (
        Q(interaction__logged_by_id=value)
        | Q(interaction__isnull=True, customer__owner_id=value)
    ),
}
