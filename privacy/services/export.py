"""The access and portability export (GDPR Art. 15 and 20, PIPL Art. 45): one
ZIP with every record Touchloop keeps about one customer.

- `subject.json`: one key per kind of record (SECTIONS), each a list of
  objects with stable field names, times in ISO 8601 (UTC), staff as their
  role; `export` says when it was made and how many details were withheld.
- one CSV per kind, UTF-8 with a byte order mark (Excel reads a CSV without
  one in the system's code page, and Chinese comes out garbled), cells that a
  spreadsheet would run as a formula quoted (lib.csv_stream.safe_cell).
- `README.txt` in the customer's language (privacy.services.export_readme):
  the purposes, who receives the data, how long it is kept, where it came
  from.

Nothing about anyone else: staff are shown by role (manager, support, staff,
system), never by name or address, and in every free text (notes, subjects,
comments, resolutions, a timeline's details) another person's email address,
phone number or name (another customer's, or a staff member's full name) is
replaced with WITHHELD and counted.

A case's whole timeline is exported, staff notes included: Touchloop has no
internal-only note, and notes about a person are their personal data (GDPR
Art. 15 gives access to them; what would harm others is the third parties in
them, which are withheld). Alerts to staff, erasure records and earlier
exports are not (EXCLUDED says why for each).

build_export reads only and writes nothing, and runs the same number of
queries however many records the customer has: the lead's Celery task calls
it, stores the bytes and delivers them.
"""

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Prefetch

from customers.models import ConsentEvent, Customer, Interaction
from feedback.models import Case, CaseEvent
from pilots.models import PilotAssignment
from privacy.models import PrivacyRequest
from privacy.services import export_files, export_readme
from privacy.services.withholding import WITHHELD, Redactor, Text, texts_in
from surveys.models import Invitation, SurveyResponse
from text.models import CommentTheme

# The kinds of record, in the order of subject.json, the CSVs and the README.
SECTIONS = [
    "profile",
    "interactions",
    "invitations",
    "answers",
    "cases",
    "case_events",
    "consent_events",
    "unsubscribes",
    "pilot_assignments",
    "access_log",
    "privacy_requests",
]

# Every model that points at a customer (or at a row that does), and the
# section of the export that holds its rows. tests/privacy/
# test_export_coverage.py walks the foreign keys and fails on a model found
# in neither this nor EXCLUDED.
COVERED = {
    "customers.Customer": "profile",
    "customers.Interaction": "interactions",
    "customers.ConsentEvent": "consent_events",
    "surveys.Invitation": "invitations",
    "surveys.SurveyResponse": "answers",
    "text.CommentAnalysis": "answers",  # sentiment, sentiment_score
    "text.CommentTheme": "answers",  # themes
    "feedback.Case": "cases",
    "feedback.CaseEvent": "case_events",
    "pilots.PilotAssignment": "pilot_assignments",
    "privacy.PrivacyRequest": "privacy_requests",
}

EXCLUDED = {
    "feedback.Alert": (
        "staff notifications of a case event (which staff member was alerted, "
        "when, by which channel): about staff, not the customer; the event "
        "itself is in case_events"
    ),
    "privacy.ErasureRecord": (
        "the proof of an erasure, in counts, linked to a request and not to a "
        "customer; a customer who can be exported was not erased"
    ),
    "privacy.ExportArchive": (
        "an earlier export's ZIP: a copy of the records exported here, kept "
        "only until its link is used or expires"
    ),
    "privacy.OverdueNotice": (
        "mail to managers that a privacy request is overdue: about staff; the "
        "request itself is in privacy_requests"
    ),
}

# Staff roles are the groups of feedback/migrations/0002_roles.py.
ROLE_GROUPS = {"Manager": "manager", "Support": "support"}
STAFF = "staff"
SYSTEM = "system"


@dataclass
class Export:
    """What build_export made: the ZIP's bytes and their sha256 (the
    request's `delivered_digest`), the records per kind, and how many
    details about other people were withheld."""

    data: bytes
    sha256: str
    counts: dict[str, int]
    withheld: int
    filename: str


Row = dict[str, Any]


@dataclass
class Subject:
    """The customer's records as rows, before redaction."""

    customer: Customer
    sections: dict[str, list[Row]] = field(default_factory=dict)
    # Staff ids met while reading, to be shown by role.
    staff_ids: set[int] = field(default_factory=set)


def build_export(customer: Customer, *, now: datetime) -> Export:
    """The export of `customer` as of `now`. Reads only."""
    subject = read_subject(customer)
    roles = staff_roles(subject.staff_ids)
    texts = [
        text
        for rows in subject.sections.values()
        for row in rows
        for text in texts_in(row)
    ]
    redactor = Redactor.for_customer(subject.customer, texts)
    sections = {
        name: [finish_row(row, roles, redactor) for row in subject.sections[name]]
        for name in SECTIONS
    }
    counts = {name: len(rows) for name, rows in sections.items()}
    document = {
        "export": {
            "format": "touchloop.subject-export",
            "version": 1,
            "customer_id": customer.pk,
            "generated_at": iso(now),
            "withheld": redactor.withheld,
            "withheld_marker": WITHHELD,
            "counts": counts,
        },
        **sections,
    }
    readme = export_readme.render(
        subject.customer, now=now, counts=counts, withheld=redactor.withheld
    )
    content = export_files.zip_files(
        {
            "README.txt": readme.encode(),
            "subject.json": json.dumps(
                document, ensure_ascii=False, indent=2, sort_keys=False
            ).encode(),
            **{
                f"{name}.csv": export_files.csv_bytes(name, rows)
                for name, rows in sections.items()
            },
        },
        now=now,
    )
    return Export(
        data=content,
        sha256=hashlib.sha256(content).hexdigest(),
        counts=counts,
        withheld=redactor.withheld,
        filename=f"touchloop-customer-{customer.pk}-{now.astimezone(UTC):%Y%m%d}.zip",
    )


# Reading: one or two queries per kind of record, whatever their number.


def read_subject(customer: Customer) -> Subject:
    customer = Customer.objects.select_related("company").get(pk=customer.pk)
    subject = Subject(customer=customer)
    readers: list[Callable[[Subject], list[Row]]] = [
        profile_rows,
        interaction_rows,
        invitation_rows,
        answer_rows,
        case_rows,
        case_event_rows,
        consent_rows,
        unsubscribe_rows,
        pilot_rows,
        access_log_rows,
        privacy_request_rows,
    ]
    for name, reader in zip(SECTIONS, readers, strict=True):
        subject.sections[name] = reader(subject)
    return subject


class StaffRef(int):
    """A staff member's id in a row, shown as their role once roles are
    known (finish_row)."""


def staff(subject: Subject, user_id: int | None) -> StaffRef | None:
    if user_id is None:
        return None
    subject.staff_ids.add(user_id)
    return StaffRef(user_id)


def profile_rows(subject: Subject) -> list[Row]:
    customer = subject.customer
    return [
        {
            "id": customer.pk,
            "name": customer.name,
            "email": customer.email,
            "phone": customer.phone,
            "company": customer.company.name if customer.company else "",
            "segment": customer.segment,
            "stage": customer.stage,
            "language": customer.language,
            "timezone": customer.timezone,
            "owner_role": staff(subject, customer.owner_id),
            "external_id": customer.external_id,
            "tags": customer.tags,
            "email_opted_out_at": customer.email_opted_out_at,
            "created_at": customer.created_at,
            "updated_at": customer.updated_at,
        }
    ]


def interaction_rows(subject: Subject) -> list[Row]:
    interactions = (
        Interaction.objects.filter(customer=subject.customer)
        .select_related("touchpoint")
        .order_by("occurred_at", "pk")
    )
    return [
        {
            "id": interaction.pk,
            "occurred_at": interaction.occurred_at,
            "touchpoint": interaction.touchpoint.name if interaction.touchpoint else "",
            "channel": interaction.channel,
            "direction": interaction.direction,
            "subject": Text(interaction.subject),
            "notes": Text(interaction.notes),
            "status": interaction.status,
            "survey_mode": interaction.survey_mode,
            "resolved_at": interaction.resolved_at,
            "logged_by_role": staff(subject, interaction.logged_by_id),
            "created_at": interaction.created_at,
        }
        for interaction in interactions
    ]


def invitation_rows(subject: Subject) -> list[Row]:
    invitations = (
        Invitation.objects.filter(customer=subject.customer)
        .select_related("survey")
        .order_by("created_at", "pk")
    )
    return [
        {
            "id": invitation.pk,
            "survey": invitation.survey.name,
            "survey_kind": invitation.survey.kind,
            "interaction_id": invitation.interaction_id,
            "status": invitation.status,
            "suppressed_reason": invitation.suppressed_reason,
            "scheduled_for": invitation.scheduled_for,
            "sent_at": invitation.sent_at,
            "opened_at": invitation.opened_at,
            "reminders_sent": invitation.reminders_sent,
            "answered_at": invitation.answered_at,
            "expires_at": invitation.expires_at,
            "created_at": invitation.created_at,
        }
        for invitation in invitations
    ]


def answer_rows(subject: Subject) -> list[Row]:
    """With the reading of the comment (sentiment, themes): derived from the
    person's own words and linked to them, so theirs to see."""
    themes = CommentTheme.objects.filter(is_present=True).select_related("theme")
    responses = (
        SurveyResponse.objects.filter(customer=subject.customer)
        .select_related("survey", "touchpoint", "analysis")
        .prefetch_related(Prefetch("analysis__themes", queryset=themes))
        .order_by("answered_at", "pk")
    )
    rows = []
    for response in responses:
        analysis = getattr(response, "analysis", None)
        rows.append(
            {
                "id": response.pk,
                "invitation_id": response.invitation_id,
                "survey": response.survey.name,
                "kind": response.kind,
                "score": response.score,
                "band": response.band,
                "comment": Text(response.comment),
                "language": response.language,
                "answered_at": response.answered_at,
                "updated_at": response.updated_at,
                "channel": response.channel,
                "touchpoint": response.touchpoint.name if response.touchpoint else "",
                "stage": response.stage,
                "segment": response.segment,
                "staff_role": staff(subject, response.staff_id),
                "sentiment": analysis.sentiment if analysis else "",
                "sentiment_score": analysis.score if analysis else None,
                "themes": sorted(row.theme.key for row in analysis.themes.all())
                if analysis
                else [],
            }
        )
    return rows


def case_rows(subject: Subject) -> list[Row]:
    cases = (
        Case.objects.filter(customer=subject.customer)
        .select_related("root_cause")
        .order_by("created_at", "pk")
    )
    return [
        {
            "id": case.pk,
            "opened_at": case.created_at,
            "reason": case.reason,
            "priority": case.priority,
            "status": case.status,
            "survey_kind": case.kind,
            "answer_id": case.response_id,
            "interaction_id": case.interaction_id,
            "owner_role": staff(subject, case.owner_id),
            "due_at": case.due_at,
            "first_contact_at": case.first_contact_at,
            "contact_channel": case.contact_channel,
            "closed_at": case.closed_at,
            "closed_as": case.closed_as,
            "root_cause": case.root_cause.name if case.root_cause else "",
            "resolution": Text(case.resolution),
            "escalation_level": case.escalation_level,
            "outcome": case.outcome,
        }
        for case in cases
    ]


# Keys of a timeline entry's details that hold a staff member's id.
STAFF_KEYS: dict[str, tuple[str, ...]] = {CaseEvent.Kind.ASSIGNED: ("from", "to")}


def case_event_rows(subject: Subject) -> list[Row]:
    events = CaseEvent.objects.filter(case__customer=subject.customer).order_by(
        "case_id", "created_at", "pk"
    )
    rows = []
    for event in events:
        details = dict(event.data) if isinstance(event.data, dict) else {}
        for key, value in details.items():
            if key in STAFF_KEYS.get(event.kind, ()) and isinstance(value, int):
                details[key] = staff(subject, value)
            else:
                # What the customer wrote (an edited answer's comment), or
                # a staff member typed.
                details[key] = as_text(value)
        rows.append(
            {
                "id": event.pk,
                "case_id": event.case_id,
                "at": event.created_at,
                "kind": event.kind,
                "actor_role": staff(subject, event.actor_id) or SYSTEM,
                "note": Text(event.note),
                "details": details,
            }
        )
    return rows


def as_text(value: Any) -> Any:
    """Every string in `value`, however deep, as free text."""
    if isinstance(value, str):
        return Text(value)
    if isinstance(value, dict):
        return {key: as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_text(item) for item in value]
    return value


def consent_rows(subject: Subject) -> list[Row]:
    """The consent history, every grant and withdrawal with its evidence
    (the network, never the address; the staff member as a role)."""
    events = ConsentEvent.objects.filter(customer=subject.customer).order_by(
        "created_at", "pk"
    )
    return [
        {
            "id": event.pk,
            "recorded_at": event.created_at,
            "purpose": event.purpose,
            "granted": event.granted,
            "source": event.source,
            "policy_version": event.policy_version,
            "ip_network": event.ip_network,
            "user_agent": event.user_agent,
            "staff_role": staff(subject, event.staff_member_id),
        }
        for event in events
    ]


def unsubscribe_rows(subject: Subject) -> list[Row]:
    """The one-click unsubscribe from survey mail (the consent history, once
    there, holds every withdrawal with how it was made)."""
    opted_out_at = subject.customer.email_opted_out_at
    if opted_out_at is None:
        return []
    return [{"scope": "survey_email", "unsubscribed_at": opted_out_at}]


def pilot_rows(subject: Subject) -> list[Row]:
    assignments = (
        PilotAssignment.objects.filter(customer=subject.customer)
        .select_related("pilot")
        .order_by("assigned_at", "pk")
    )
    return [
        {
            "pilot": assignment.pilot.name,
            "group": assignment.group,
            "assigned_at": assignment.assigned_at,
        }
        for assignment in assignments
    ]


# The rows whose reads and changes the access log shows: the customer's
# own, their answers, cases and interactions (lib.access_log records them).
LOGGED = [
    (Customer, "profile"),
    (SurveyResponse, "answers"),
    (Case, "cases"),
    (Interaction, "interactions"),
]


def access_log_rows(subject: Subject) -> list[Row]:
    """django-auditlog's entries about the customer's rows (issue 17, item
    6): when, what was done (access, create, update, delete), how (admin,
    API, export), by which role, which fields changed (not their values,
    which are elsewhere in the export). Lists and bulk exports are logged
    about a model, not a row, and are not the customer's."""
    about = models.Q()
    for model, section in LOGGED:
        ids = [str(row["id"]) for row in subject.sections[section]]
        if ids:
            about |= models.Q(
                content_type=ContentType.objects.get_for_model(model),
                object_pk__in=ids,
            )
    if not about:
        return []
    entries = (
        LogEntry.objects.filter(about)
        .select_related("content_type")
        .order_by("timestamp", "pk")
    )
    rows = []
    for entry in entries:
        changes = entry.changes_dict or {}
        extra = entry.additional_data if isinstance(entry.additional_data, dict) else {}
        rows.append(
            {
                "at": entry.timestamp,
                "action": AUDIT_ACTIONS.get(entry.action, str(entry.action)),
                "record": entry.content_type.model,
                "record_id": entry.object_pk,
                "via": str(extra.get("via", "")),
                "actor_role": staff(subject, entry.actor_id) or SYSTEM,
                "changed_fields": sorted(changes),
            }
        )
    return rows


# django-auditlog's LogEntry.Action values.
AUDIT_ACTIONS = {0: "create", 1: "update", 2: "delete", 3: "access"}


def privacy_request_rows(subject: Subject) -> list[Row]:
    requests = PrivacyRequest.objects.filter(customer=subject.customer).order_by(
        "received_at", "pk"
    )
    return [
        {
            "id": request.pk,
            "kind": request.kind,
            "status": request.status,
            "received_at": request.received_at,
            "due_at": request.deadline,
            "completed_at": request.completed_at,
        }
        for request in requests
    ]


# Staff as roles.


def staff_roles(user_ids: Iterable[int]) -> dict[int, str]:
    ids = set(user_ids)
    if not ids:
        return {}
    memberships = User.groups.through.objects.filter(
        user_id__in=ids, group__name__in=ROLE_GROUPS
    ).values_list("user_id", "group__name")
    roles = dict.fromkeys(ids, STAFF)
    for user_id, group in memberships:
        # A manager who is also in Support is shown as a manager.
        if roles[user_id] != "manager":
            roles[user_id] = ROLE_GROUPS[group]
    return roles


# Writing.


def finish_row(row: Row, roles: Mapping[int, str], redactor: Redactor) -> Row:
    return {key: finish_value(value, roles, redactor) for key, value in row.items()}


def finish_value(value: Any, roles: Mapping[int, str], redactor: Redactor) -> Any:
    if isinstance(value, StaffRef):
        return roles.get(int(value), STAFF)
    if isinstance(value, Text):
        return redactor(value)
    if isinstance(value, datetime | date):
        return iso(value)
    if isinstance(value, Mapping):
        return {key: finish_value(item, roles, redactor) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finish_value(item, roles, redactor) for item in value]
    return value


def iso(value: datetime | date) -> str:
    """UTC, with a Z: the same instant reads the same in every export."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()
