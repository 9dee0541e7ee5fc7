"""What customers do with the link: open it, answer, change the answer,
unsubscribe. Recording an answer is idempotent and announces it through the
`response_recorded` hook (settings.HOOKS), which the close-the-loop app uses.
Every write of an answer, deletion included, keeps the score rollup
(surveys/services/rollup.py) in the same transaction.

An answer someone has acted on is settled: it no longer changes, though its
edit window is open. Only the apps above know what acting on it means (a case
contacted or closed), and this app cannot import them: before a change it
announces `response_changing`, and a handler refuses by raising
AnswerSettledError."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers import consent
from customers.models import Customer
from lib import hooks
from surveys import tokens
from surveys.models import SCALES, Invitation, SurveyResponse, band_for
from surveys.services import rollup

Status = Invitation.Status
TOKEN = re.compile(r"[0-9a-f]{64}")
COMMENT_MAX_LENGTH = 5000
# A customer's changes of one answer within this long of the first count as
# one: one note on its case's timeline, one pending response.updated event. A
# link holder could otherwise add a note and an event with every edit.
EDIT_COALESCING_WINDOW = timedelta(minutes=10)


class AnswerSettledError(Exception):
    """Raised by a `response_changing` handler: someone has acted on the
    answer, which may no longer change."""


@dataclass(frozen=True)
class Answer:
    """What the customer had said before a change."""

    score: int
    comment: str


def find_by_token(token: str) -> Invitation | None:
    """The invitation of a link, or None; a malformed token never reaches the
    database."""
    if not TOKEN.fullmatch(token):
        return None
    return (
        Invitation.objects.select_related("survey", "customer", "response")
        .filter(token_hash=tokens.hash_token(token))
        .first()
    )


def response_of(invitation: Invitation) -> SurveyResponse | None:
    """The invitation's answer, if any: no query when it was loaded with
    select_related("response"), as find_by_token does."""
    try:
        return invitation.response
    except SurveyResponse.DoesNotExist:
        return None


def note_opened(invitation: Invitation, *, now: datetime) -> None:
    """The first view of the page; later views change nothing."""
    if invitation.opened_at is None:
        Invitation.objects.filter(id=invitation.pk, opened_at=None).update(
            opened_at=now, updated_at=now
        )
        invitation.opened_at = now


def validate_score(kind: str, score: object) -> int:
    low, high, _positive, _negative = SCALES[kind]
    if (
        isinstance(score, bool)
        or not isinstance(score, int)
        or not low <= score <= high
    ):
        raise ValidationError(
            _("Choose a score from %(low)s to %(high)s."),
            code="score",
            params={"low": low, "high": high},
        )
    return score


def validate_comment(comment: str) -> str:
    if "\x00" in comment:
        raise ValidationError(
            _("The comment contains a character that is not allowed.")
        )
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            _("Please keep the comment under %(max)s characters."),
            params={"max": COMMENT_MAX_LENGTH},
        )
    return comment.strip()


def edit_window_closes(response: SurveyResponse, invitation: Invitation) -> datetime:
    return response.answered_at + timedelta(hours=invitation.survey.edit_window_hours)


def is_settled(response: SurveyResponse) -> bool:
    """Whether someone has acted on the answer, so that it may no longer
    change: the `response_changing` handlers (settings.HOOKS) say so."""
    try:
        hooks.announce("response_changing", response=response)
    except AnswerSettledError:
        return True
    return False


@dataclass(frozen=True)
class Recorded:
    response: SurveyResponse
    created: bool
    changed: bool
    # Nothing changed because someone has acted on the answer.
    settled: bool = False


def record_response(
    invitation: Invitation,
    *,
    score: int,
    comment: str | None = None,
    now: datetime | None = None,
) -> Recorded:
    """Record or change the answer to an invitation, exactly once.

    The same answer twice changes nothing; another score or comment within
    the edit window changes the one response, unless the answer is settled
    (`settled` says so); after the window nothing changes. `comment=None`
    keeps the comment (the page's automatic first POST carries the score
    alone). Raises ValidationError for a score off the scale, a bad comment,
    or an invitation that cannot be answered.
    """
    now = now or timezone.now()
    score = validate_score(invitation.survey.kind, score)
    cleaned = None if comment is None else validate_comment(comment)
    try:
        return record_atomically(invitation.pk, score=score, comment=cleaned, now=now)
    except AnswerSettledError:
        # Someone acted on the answer while this change was being written: a
        # `response_recorded` handler saw it under its own lock, and raised,
        # and the change rolled back.
        response = SurveyResponse.objects.get(invitation_id=invitation.pk)
        return Recorded(response, created=False, changed=False, settled=True)


def record_atomically(
    invitation_id: int, *, score: int, comment: str | None, now: datetime
) -> Recorded:
    try:
        with transaction.atomic():
            return record_locked(invitation_id, score=score, comment=comment, now=now)
    except IntegrityError:
        # A concurrent first answer won the one-to-one race; ours is an edit.
        with transaction.atomic():
            return record_locked(invitation_id, score=score, comment=comment, now=now)


def record_locked(
    invitation_id: int, *, score: int, comment: str | None, now: datetime
) -> Recorded:
    invitation = (
        Invitation.objects.select_for_update(of=("self",), no_key=True)
        .select_related(
            "survey",
            "customer",
            "interaction__touchpoint",
            "customer__company",
        )
        .filter(id=invitation_id)
        .first()
    )
    # None: the invitation moved to another customer while this waited for
    # its lock (an erasure under a privacy request): the join finds no row.
    if invitation is None or invitation.customer.erased_at is not None:
        raise ValidationError(_("This survey can no longer be answered."))
    # Read after the lock: a join in the locking query would show the answer
    # as it was before waiting for a concurrent edit.
    response = SurveyResponse.objects.filter(invitation=invitation).first()
    if response is None:
        if not invitation.is_answerable or is_expired(invitation, now=now):
            raise ValidationError(_("This survey can no longer be answered."))
        response = create_response(
            invitation, score=score, comment=comment or "", now=now
        )
        hooks.announce(
            "response_recorded", response=response, created=True, previous=None
        )
        # Last: every answer to the survey that day shares the rollup's rows,
        # and their row locks are held until the commit.
        rollup.count_new(response)
        return Recorded(response, created=True, changed=True)
    if now > edit_window_closes(response, invitation):
        return Recorded(response, created=False, changed=False)
    if is_settled(response):
        return Recorded(response, created=False, changed=False, settled=True)
    new_comment = response.comment if comment is None else comment
    if response.score == score and response.comment == new_comment:
        return Recorded(response, created=False, changed=False)
    previous = Answer(response.score, response.comment)
    old_band = response.band
    response.score, response.comment = score, new_comment
    response.band = band_for(response.kind, score)
    response.save(update_fields=["score", "comment", "band", "updated_at"])
    # Loaded already: the hook's handlers read them without a query.
    response.invitation, response.survey = invitation, invitation.survey
    hooks.announce(
        "response_recorded", response=response, created=False, previous=previous
    )
    rollup.count_change(response, old_band=old_band)  # last, as above
    return Recorded(response, created=False, changed=True)


@transaction.atomic
def delete_response(response: SurveyResponse) -> None:
    """Delete an answer and take it out of the score rollup: the only way to
    delete one. Raises ProtectedError, and changes nothing, when a case is
    about it."""
    # The invitation first, as record_response locks it: an edit of this
    # answer waits, and the band subtracted is the one the answer has now.
    Invitation.objects.select_for_update(of=("self",), no_key=True).filter(
        id=response.invitation_id
    ).first()
    current = SurveyResponse.objects.filter(id=response.pk).first()
    if current is None:
        return
    # The apps above take what they count of the answer out (the comment
    # rollup), before the score rollup, as when it is recorded.
    hooks.announce("response_deleting", response=current)
    rollup.count_deletion(current)
    current.delete()


def is_expired(invitation: Invitation, *, now: datetime) -> bool:
    return invitation.expires_at is not None and invitation.expires_at <= now


def create_response(
    invitation: Invitation, *, score: int, comment: str, now: datetime
) -> SurveyResponse:
    """The answer, with the analysis dimensions frozen as they are now."""
    customer, interaction = invitation.customer, invitation.interaction
    touchpoint = interaction.touchpoint if interaction else None
    company = customer.company
    response = SurveyResponse.objects.create(
        invitation=invitation,
        score=score,
        comment=comment,
        band=band_for(invitation.survey.kind, score),
        is_confirmed=True,
        answered_at=now,
        language=customer.language,
        customer=customer,
        survey=invitation.survey,
        kind=invitation.survey.kind,
        channel=interaction.channel if interaction else "",
        touchpoint=touchpoint,
        stage=touchpoint.stage if touchpoint else customer.stage,
        segment=customer.segment or (company.segment if company else ""),
        company=company,
        staff_id=interaction.logged_by_id if interaction else customer.owner_id,
    )
    Invitation.objects.filter(id=invitation.pk).update(
        status=Status.ANSWERED, answered_at=now, next_reminder_at=None, updated_at=now
    )
    return response


@transaction.atomic
def unsubscribe(
    customer: Customer, *, now: datetime, ip_address: str = "", user_agent: str = ""
) -> int:
    """The one-click unsubscribe: withdraw the customer's survey consent
    (source unsubscribe, with the request's truncated address and user agent
    as evidence), which opts them out of survey mail, and withdraw what was
    still to be sent (first mails and reminders). A second click records
    nothing more. Returns the invitations cancelled."""
    cancelled = cancel_pending_invitations(customer.pk, now=now)
    # Locked after the invitations, in the order erasure takes them: two
    # clicks at once record one withdrawal.
    opted_out = (
        Customer.objects.select_for_update(no_key=True)
        .filter(pk=customer.pk)
        .exclude(email_opted_out_at=None)
        .exists()
    )
    if not opted_out:
        consent.record_consent(
            customer,
            purpose=consent.Purpose.SURVEYS,
            granted=False,
            source=consent.Source.UNSUBSCRIBE,
            now=now,
            ip_address=ip_address,
            user_agent=user_agent,
        )
    return cancelled


def cancel_pending_invitations(customer_id: int, *, now: datetime) -> int:
    """Cancel the customer's scheduled mails and stop their reminders; how
    many mails were cancelled."""
    pending = Invitation.objects.filter(customer_id=customer_id)
    cancelled = pending.filter(status=Status.SCHEDULED).update(
        status=Status.CANCELLED,
        last_error="The customer unsubscribed.",
        updated_at=now,
    )
    pending.filter(status=Status.SENT).exclude(next_reminder_at=None).update(
        next_reminder_at=None, updated_at=now
    )
    return cancelled


def on_survey_consent_withdrawn(*, customer_id: int, now: datetime) -> None:
    """Hook (customers → surveys): survey consent was withdrawn, by any door
    (the unsubscribe link, staff, the API, an import)."""
    cancel_pending_invitations(customer_id, now=now)
