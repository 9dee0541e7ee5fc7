"""What the survey loop decided, in words for the staff member who asked:
the admin's messages after logging an interaction, a manual send and a send
now, and the API's. In the active language and time zone; nothing written.

"Why not" is read back from the invitation (its reason) and, for a throttle,
from the customer's contacts: the mail that stood in the way, as "asked 3
days ago" or "another survey is scheduled for 09:06".
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from customers.models import Channel, Interaction
from surveys.models import Invitation, Survey
from surveys.services.eligibility import Contact, ContactHistory, global_window
from surveys.services.scheduling import surveys_for
from surveys.services.send_now import SURVEY_INACTIVE, Outcome, Result

Reason = Invitation.SuppressedReason
Status = Invitation.Status
THROTTLES = {Reason.THROTTLED, Reason.SURVEY_THROTTLED}

LOGGED: dict[str, "StrOrPromise"] = {
    Channel.PHONE: gettext_lazy("Call logged."),
    Channel.EMAIL: gettext_lazy("Email logged."),
    Channel.CHAT: gettext_lazy("Chat logged."),
    Channel.MEETING: gettext_lazy("Meeting logged."),
    Channel.IN_PERSON: gettext_lazy("Visit logged."),
}
REASONS: dict[str, "StrOrPromise"] = {
    Reason.OPTED_OUT: gettext_lazy("the customer unsubscribed"),
    Reason.NO_EMAIL: gettext_lazy("no email address"),
    Reason.ERASED: gettext_lazy("the customer was erased"),
    Reason.SKIPPED_BY_STAFF: gettext_lazy("resolved without survey"),
    Reason.DUPLICATE: gettext_lazy("this interaction already has a survey"),
    SURVEY_INACTIVE: gettext_lazy("the survey is inactive"),
}


def duration(delta: timedelta) -> str:
    """E.g. "60 minutes", "5 hours", "3 days": minutes up to two hours,
    hours up to two days, then days."""
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes < 120:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {
            "count": minutes
        }
    hours = round(minutes / 60)
    if hours < 48:
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    days = round(hours / 24)
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}


def moment(at: datetime, *, now: datetime) -> str:
    """E.g. "09:06" today, "February 3 09:06" another day (local time)."""
    local = timezone.localtime(at)
    clock = formats.time_format(local, "H:i")
    if local.date() == timezone.localtime(now).date():
        return clock
    return f"{formats.date_format(local, 'MONTH_DAY_FORMAT')} {clock}"


def throttle_rule(reason: str, survey: Survey) -> str:
    if reason == Reason.SURVEY_THROTTLED:
        return _("this survey once per %(period)s") % {
            "period": duration(timedelta(days=survey.throttle_days))
        }
    return _("one survey per %(period)s") % {"period": duration(global_window())}


def reason_text(
    reason: str, *, survey: Survey, now: datetime, contact: Contact | None = None
) -> str:
    """Why a customer was not asked, as the end of a sentence."""
    if reason not in THROTTLES:
        known = REASONS.get(reason)
        return str(known) if known else str(Reason(reason).label)
    rule = throttle_rule(reason, survey)
    if contact is None:
        return _("asked recently (%(rule)s)") % {"rule": rule}
    if contact.at > now:
        return _("another survey is scheduled for %(time)s (%(rule)s)") % {
            "time": moment(contact.at, now=now),
            "rule": rule,
        }
    return _("asked %(time)s ago (%(rule)s)") % {
        "time": duration(now - contact.at),
        "rule": rule,
    }


def suppression_text(invitation: Invitation, *, now: datetime) -> str:
    """Why this suppressed invitation was not sent, naming the mail that
    throttled it."""
    reason = invitation.suppressed_reason
    contact = throttled_by(invitation, now=now) if reason in THROTTLES else None
    return reason_text(reason, survey=invitation.survey, now=now, contact=contact)


def throttled_by(invitation: Invitation, *, now: datetime) -> Contact | None:
    """The contact that throttled the invitation, found again: among the
    customer's mails written before it, the one too close to its due time."""
    history = ContactHistory.load(
        [invitation.customer_id], now=now, surveys=[invitation.survey]
    )
    earlier = ContactHistory(
        {
            customer_id: [c for c in contacts if c.invitation_id < invitation.pk]
            for customer_id, contacts in history.contacts.items()
        }
    )
    found = earlier.throttling_contact(
        customer_id=invitation.customer_id,
        survey=invitation.survey,
        at=planned_time(invitation),
    )
    return found[1] if found else None


def planned_time(invitation: Invitation) -> datetime:
    """When the invitation was meant to go: its interaction's resolution
    plus the delay, or (a manual send) when it was written."""
    interaction = invitation.interaction
    if interaction is not None and interaction.resolved_at is not None:
        delay = timedelta(minutes=invitation.survey.delay_minutes)
        return interaction.resolved_at + delay
    return invitation.created_at


# After logging an interaction


def interaction_feedback(interaction: Interaction, *, now: datetime) -> str:
    """The page's message, e.g. "Call logged. NPS survey scheduled for
    09:06 (in 60 minutes)." """
    logged = str(LOGGED.get(interaction.channel, _("Interaction logged.")))
    invitations = interaction.invitations.select_related(
        "survey", "interaction"
    ).order_by("id")
    sentences = [invitation_sentence(i, now=now) for i in invitations]
    return " ".join([logged, *(sentences or [no_survey_sentence(interaction)])])


def invitation_sentence(invitation: Invitation, *, now: datetime) -> str:
    kind = invitation.survey.kind.upper()
    due = invitation.scheduled_for
    if invitation.status == Status.SUPPRESSED:
        return _("No %(kind)s survey: %(why)s.") % {
            "kind": kind,
            "why": suppression_text(invitation, now=now),
        }
    if invitation.status != Status.SCHEDULED:
        return _("%(kind)s survey: %(status)s.") % {
            "kind": kind,
            "status": invitation.get_status_display(),
        }
    if due is None:
        return _("%(kind)s survey waits until the interaction is resolved.") % {
            "kind": kind
        }
    if due <= now:
        return _("%(kind)s survey goes out now.") % {"kind": kind}
    return _("%(kind)s survey scheduled for %(time)s (in %(wait)s).") % {
        "kind": kind,
        "time": moment(due, now=now),
        "wait": duration(due - now),
    }


def no_survey_sentence(interaction: Interaction) -> str:
    if interaction.survey_mode == Interaction.SurveyMode.SKIP:
        return _("No survey: resolved without survey.")
    if interaction.resolved_at is None and surveys_for(interaction):
        return _("A survey follows once it is resolved.")
    return _("No survey is set up for this channel and touchpoint.")


# Send now


def send_now_text(result: Result, *, now: datetime) -> str:
    """What send-now did with one invitation, as the end of a sentence."""
    invitation = result.invitation
    if result.outcome == Outcome.REFUSED:
        return _("not sent — %(why)s") % {
            "why": reason_text(
                result.reason,
                survey=invitation.survey,
                now=now,
                contact=result.contact,
            )
        }
    if result.outcome == Outcome.NOT_PENDING:
        return _("not waiting to be sent (%(status)s)") % {
            "status": invitation.get_status_display().lower()
        }
    return str(OUTCOMES[result.outcome])


def send_now_message(result: Result, *, now: datetime) -> str:
    """The same as a sentence of its own: "Queued to send now." """
    return f"{capfirst(send_now_text(result, now=now))}."


OUTCOMES = {
    Outcome.QUEUED: gettext_lazy("queued to send now"),
    Outcome.ALREADY_QUEUED: gettext_lazy("already queued to send"),
    Outcome.SENDING: gettext_lazy("already being sent"),
    Outcome.SENT: gettext_lazy("already sent"),
    Outcome.HELD: gettext_lazy("waiting until its interaction is resolved"),
}
