"""Whether a customer may be asked, and when not, why.

Every decision has an answer that is stored on the invitation
(`suppressed_reason`), so "why was this person not asked?" is never a mystery.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from customers.models import Customer, Interaction, SuppressedAddress
from surveys.models import Invitation, Survey

Reason = Invitation.SuppressedReason


def global_window() -> timedelta:
    """The global throttle: N days, and never less than the minimum gap."""
    return max(
        timedelta(days=settings.SURVEY_THROTTLE_DAYS),
        timedelta(hours=settings.SURVEY_MIN_GAP_HOURS),
    )


def person_reason(customer: Customer, interaction: Interaction | None = None) -> str:
    """Reasons that depend on the customer and the interaction alone."""
    if customer.erased_at is not None:
        return Reason.ERASED
    if not customer.email:
        return Reason.NO_EMAIL
    # Survey consent withdrawn (unsubscribed, or withdrawn by staff, the API
    # or an import): customers.consent keeps it on the row with the event.
    if customer.email_opted_out_at is not None:
        return Reason.OPTED_OUT
    if interaction is not None and (
        interaction.survey_mode == Interaction.SurveyMode.SKIP
    ):
        return Reason.SKIPPED_BY_STAFF
    return ""


@dataclass(frozen=True)
class Contact:
    """One invitation that counts for the throttle: sent at `at`, or pending."""

    invitation_id: int
    survey_id: int
    at: datetime


@dataclass
class ContactHistory:
    """Who was asked recently, loaded once for a set of customers.

    A mail sent within the window counts, and so does one still waiting to go
    (scheduled with a due time, or being sent): otherwise two surveys planned
    a minute apart would both reach the customer.
    """

    contacts: dict[int, list[Contact]] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        customer_ids: Iterable[int],
        *,
        now: datetime,
        surveys: Iterable[Survey],
        include_scheduled: bool = True,
    ) -> "ContactHistory":
        """`include_scheduled=False` when sending: a mail planned for later must
        not stop one due now (it was itself throttled, or will be)."""
        longest = max(
            [global_window(), *(timedelta(days=s.throttle_days) for s in surveys)]
        )
        counted = Q(sent_at__gt=now - longest) | Q(status=Invitation.Status.SENDING)
        if include_scheduled:
            counted |= Q(
                status=Invitation.Status.SCHEDULED, scheduled_for__isnull=False
            )
        rows = Invitation.objects.filter(customer_id__in=list(customer_ids)).filter(
            counted
        )
        history = cls()
        for row in rows.values_list(
            "id", "customer_id", "survey_id", "sent_at", "scheduled_for"
        ):
            invitation_id, customer_id, survey_id, sent_at, due = row
            # Being sent right now (no sent_at, no due time worth trusting): now.
            at = sent_at or (due if include_scheduled and due else now)
            history.add(customer_id, Contact(invitation_id, survey_id, at))
        return history

    @classmethod
    def sent_between(
        cls,
        customer_ids: Iterable[int],
        *,
        start: datetime,
        end: datetime,
        exclude_survey: Survey,
    ) -> "ContactHistory":
        """Mails other surveys really sent in [start, end]: the history a dry
        run of `exclude_survey` plays its own plans against."""
        rows = (
            Invitation.objects.filter(
                customer_id__in=list(customer_ids), sent_at__gte=start, sent_at__lte=end
            )
            .exclude(survey=exclude_survey)
            .values_list("id", "customer_id", "survey_id", "sent_at")
        )
        history = cls()
        for invitation_id, customer_id, survey_id, sent_at in rows:
            if sent_at is not None:  # filtered so; the type does not know
                history.add(customer_id, Contact(invitation_id, survey_id, sent_at))
        return history

    def add(self, customer_id: int, contact: Contact) -> None:
        self.contacts.setdefault(customer_id, []).append(contact)

    def throttle_reason(
        self,
        *,
        customer_id: int,
        survey: Survey,
        at: datetime,
        exclude_id: int | None = None,
    ) -> str:
        """THROTTLED or SURVEY_THROTTLED when a contact is too close to `at`
        (before or after it: a pending mail may be due later), else ""."""
        found = self.throttling_contact(
            customer_id=customer_id, survey=survey, at=at, exclude_id=exclude_id
        )
        return found[0] if found else ""

    def throttling_contact(
        self,
        *,
        customer_id: int,
        survey: Survey,
        at: datetime,
        exclude_id: int | None = None,
    ) -> tuple[str, Contact] | None:
        """The throttle's reason and the contact too close to `at`, for a
        refusal that says which mail stood in the way; None when none does."""
        own_window = timedelta(days=survey.throttle_days)
        for contact in self.contacts.get(customer_id, []):
            if contact.invitation_id == exclude_id:
                continue
            distance = abs(at - contact.at)
            if distance < global_window():
                return Reason.THROTTLED, contact
            if contact.survey_id == survey.pk and distance < own_window:
                return Reason.SURVEY_THROTTLED, contact
        return None


def suppression_reason(
    *,
    survey: Survey,
    customer: Customer,
    at: datetime,
    history: ContactHistory,
    interaction: Interaction | None = None,
    exclude_id: int | None = None,
) -> str:
    """Why this customer must not get this survey at `at`; "" when they may."""
    return (
        person_reason(customer, interaction)
        or suppressed_reason(customer)
        or history.throttle_reason(
            customer_id=customer.pk, survey=survey, at=at, exclude_id=exclude_id
        )
    )


def suppressed_reason(customer: Customer) -> str:
    """An address erased under a privacy request is never invited. Customer
    validation refuses such an address, so this holds for a customer any
    other path made (a bulk write); asked when an invitation is planned,
    not again at sending (one query per customer)."""
    if SuppressedAddress.objects.is_suppressed(customer.email):
        return Reason.ERASED
    return ""
