"""What an erasure will do, in counts, for the confirmation page: read-only,
from the same relations erase_customer changes."""

from dataclasses import dataclass

from django.db.models import Count, Q

from customers.models import Customer
from feedback.models import Case
from privacy.models import PrivacyRequest
from privacy.services.erasure import ERASED, PENDING_INVITATIONS
from surveys.models import Invitation, SurveyResponse
from webhooks import services as webhooks


@dataclass(frozen=True)
class ErasurePreview:
    mode: str
    answers: int
    comments: int
    open_cases: int
    closed_cases: int
    pending_invitations: int
    invitations: int
    interactions: int
    subscribers: int
    has_email: bool

    @property
    def deletes(self) -> bool:
        return self.mode == PrivacyRequest.Mode.DELETE


def erasure_preview(customer: Customer, *, mode: str) -> ErasurePreview:
    answers = SurveyResponse.objects.filter(customer=customer).aggregate(
        answers=Count("id"), comments=Count("id", filter=~Q(comment=""))
    )
    cases = Case.objects.filter(customer=customer).aggregate(
        open=Count("id", filter=~Q(status=Case.Status.CLOSED)),
        closed=Count("id", filter=Q(status=Case.Status.CLOSED)),
    )
    invitations = Invitation.objects.filter(customer=customer).aggregate(
        all=Count("id"), pending=Count("id", filter=Q(status__in=PENDING_INVITATIONS))
    )
    return ErasurePreview(
        mode=mode or PrivacyRequest.Mode.ANONYMISE,
        answers=answers["answers"],
        comments=answers["comments"],
        open_cases=cases["open"],
        closed_cases=cases["closed"],
        pending_invitations=invitations["pending"],
        invitations=invitations["all"],
        interactions=customer.interactions.count(),
        subscribers=len(webhooks.subscribers(ERASED)),
        has_email=bool(customer.email),
    )
