"""The README of the access export, in the customer's language (English or
Simplified Chinese, through the translation catalogue): what the files are,
why the data is kept, who receives it, for how long, and where it came
from (GDPR Art. 15(1), PIPL Art. 17 and 45)."""

from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.models import ConsentEvent, Customer, Interaction
from feedback.models import Case, CaseEvent
from pilots.models import PilotAssignment
from privacy.models import PrivacyRequest
from privacy.services import retention
from privacy.services.withholding import WITHHELD
from surveys.models import Invitation, SurveyResponse
from webhooks.models import Subscription


def render(
    customer: Customer, *, now: datetime, counts: dict[str, int], withheld: int
) -> str:
    with translation.override(customer.language):
        parts = [
            heading(_("Your personal data held by %(brand)s") % brand()),
            _(
                "This archive holds every record %(brand)s keeps about you, as "
                "of %(date)s (UTC)."
            )
            % {**brand(), "date": f"{now:%Y-%m-%d %H:%M}"},
            files_section(counts, withheld),
            purposes_section(),
            recipients_section(),
            retention_section(),
            sources_section(),
        ]
    return "\n\n".join(parts) + "\n"


def brand() -> dict[str, str]:
    return {"brand": settings.BRAND_NAME}


def heading(text: str) -> str:
    return f"{text}\n{'=' * len(text)}"


def bullets(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)


def section(title: str, lines: list[str]) -> str:
    return f"{title}\n\n{bullets(lines)}"


def kind_labels() -> dict[str, str]:
    """Each kind's name: the model's own where there is one (the catalogue
    has it already)."""
    plural = {
        "profile": Customer,
        "interactions": Interaction,
        "invitations": Invitation,
        "answers": SurveyResponse,
        "cases": Case,
        "case_events": CaseEvent,
        "consent_events": ConsentEvent,
        "pilot_assignments": PilotAssignment,
        "privacy_requests": PrivacyRequest,
    }
    labels = {
        kind: capfirst(str(model._meta.verbose_name_plural))
        for kind, model in plural.items()
    }
    labels["profile"] = _("Your profile")
    labels["answers"] = _("Your answers and comments, with their sentiment and themes")
    labels["unsubscribes"] = _("Unsubscribes")
    labels["access_log"] = _("Who accessed or changed your records")
    return labels


def files_section(counts: dict[str, int], withheld: int) -> str:
    lines = [
        _("subject.json: every record below, in one machine-readable file."),
    ]
    labels = kind_labels()
    for kind, count in counts.items():
        records = ngettext("%(count)s record", "%(count)s records", count) % {
            "count": count
        }
        lines.append(f"{kind}.csv: {labels[kind]} ({records})")
    lines.append(
        _(
            "Staff are shown by role (manager, support, staff), and “system” "
            "for what %(brand)s did by itself."
        )
        % brand()
    )
    lines.append(
        ngettext(
            "%(count)s detail about another person (an email address, a phone "
            "number or a name in a note or comment) was replaced with "
            "%(marker)s.",
            "%(count)s details about other people (email addresses, phone "
            "numbers or names in notes or comments) were replaced with "
            "%(marker)s.",
            withheld,
        )
        % {"count": withheld, "marker": WITHHELD}
    )
    return section(_("The files"), lines)


def purposes_section() -> str:
    return section(
        _("Why we keep this data"),
        [
            _("To look after you: your profile and the history of our contacts."),
            _(
                "To ask for your feedback after a contact or from time to time, "
                "and to remind you once."
            ),
            _(
                "To learn from your answers and comments (including their "
                "sentiment and themes) and improve our service."
            ),
            _("To follow up when you were unhappy, and to check that it helped."),
            _("To test changes to our service fairly (pilot groups)."),
            _(
                "To respect your choices and rights: consent, unsubscribes, "
                "privacy requests, and the record of who accessed your data."
            ),
        ],
    )


def recipients_section() -> str:
    lines = [_("Our staff, who see your data as their role needs.")]
    host = smtp_relay_host()
    if host:
        lines.append(
            _("Our emails to you are sent through the mail relay %(host)s.")
            % {"host": host}
        )
    else:
        lines.append(
            _("Our emails to you are written on our own server; no mail relay.")
        )
    receivers = webhook_receivers()
    if receivers:
        lines.append(
            _("Connected systems that receive events about you: %(names)s.")
            % {"names": ", ".join(receivers)}
        )
    else:
        lines.append(_("No connected system receives events about you."))
    return section(_("Who receives it"), lines)


def smtp_relay_host() -> str:
    if not settings.SMTP_URL:
        return ""
    return str(settings.EMAIL_HOST)


def webhook_receivers() -> list[str]:
    """The active subscriptions by the host they post to: the URL's path or
    query may hold the receiver's secret, and never goes in a file."""
    urls = Subscription.objects.filter(is_active=True).values_list("url", flat=True)
    return sorted({urlsplit(url).hostname or "" for url in urls} - {""})


def retention_section() -> str:
    """privacy.services.retention's rules, as the nightly task applies them
    (a rule switched off keeps its data until erased)."""
    lines = []
    for category, age_days, action in retention.retention_periods():
        if age_days is None:
            lines.append(_("%(category)s: kept until erased.") % {"category": category})
            continue
        lines.append(
            ngettext(
                "%(category)s: %(count)s day, then: %(action)s.",
                "%(category)s: %(count)s days, then: %(action)s.",
                age_days,
            )
            % {"category": category, "count": age_days, "action": action.lower()}
        )
    if not lines:
        lines.append(_("No retention period is set: data is kept until erased."))
    return section(_("How long we keep it"), lines)


def sources_section() -> str:
    return section(
        _("Where it came from"),
        [
            _(
                "Your profile and interactions: entered by our staff, imported "
                "from a file, or sent by one of our systems through our API "
                "(the records do not say which)."
            ),
            _("Your answers and comments: given by you on our survey pages."),
            _("Your consent history: each event says how it was recorded (source)."),
            _(
                "Invitations, cases, their timelines, the sentiment and themes "
                "of comments, and pilot groups: made by %(brand)s itself."
            )
            % brand(),
        ],
    )
