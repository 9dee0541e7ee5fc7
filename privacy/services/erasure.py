"""Erasing a customer under a privacy request (GDPR Art. 17, PIPL Art. 47).

anonymise (the default) keeps every statistic: a new anonymous "tombstone"
customer, with no name, address or anything else of the person and no link
to them (a fresh row, not a hash of anything), takes over their answers,
invitations, interactions, cases and every other row that points at them;
then the person's own row is deleted. Answers keep their score, band, kind,
frozen dimensions and day, so every figure stays the same; what the person
typed or what was typed about them (comments, subjects, notes, resolutions,
errors quoting the address) is blanked.

A comment's reading (text.CommentAnalysis) stays: its sentiment and themes
are derived, non-personal, and counted in the comment rollups and theme
figures. Its keywords and spans (words and positions of the comment) go, and
it is re-stamped as the reading of the now blank comment, so that it stays
"current" (text.filters.CURRENT, the answers' `analysis`): the theme filters
and figures count it as before, and the text sweep, which reads only answers
with a comment, never takes it away. The answer then shows a blank comment
with its sentiment and themes, under an erased customer: the reading of a
comment that was erased.

delete removes the answers too (through surveys.services.answers.
delete_response, which keeps the score and comment rollups right), with
their cases, invitations and interactions: the figures change, and the
ErasureRecord counts what went.

Either way the address's keyed hash goes on the suppression list, pending
mail and webhook deliveries about the person are cancelled, open cases are
closed as erased with a timeline entry, stored copies (webhook event
payloads, idempotency records, the admin's log) are scrubbed, and a
`customer.erased` webhook event (the old id and the time, nothing else)
lets subscribers erase downstream.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models.functions import Cast
from django.utils import timezone

from customers.models import Customer, Interaction, SuppressedAddress
from customers.models import suppression_digest as address_digest
from feedback.models import Alert, Case, CaseEvent
from feedback.services import alerts
from feedback.services.cases import log as log_case_event
from idempotency.models import IdempotencyKey
from pilots.models import Pilot, Unit
from privacy.models import ErasureRecord, PrivacyRequest, customer_digest_of
from surveys import tokens as survey_tokens
from surveys.models import Invitation, SurveyResponse
from surveys.services import answers
from text.models import CommentAnalysis, CommentTheme, comment_digest
from webhooks import services as webhooks
from webhooks.models import Delivery, Event

ERASED = "customer.erased"
# What stays in a closed case's required resolution once its text is gone.
ERASED_TEXT = "[erased]"
# Shorter strings would match unrelated stored text (a one-word comment).
MIN_NEEDLE = 4
# An invitation's error (as unsubscribe's "The customer unsubscribed.").
CANCELLED_TEXT = "Cancelled: the customer was erased."
PENDING_INVITATIONS = [Invitation.Status.SCHEDULED, Invitation.Status.SENDING]


@dataclass
class Erasure:
    """What erase_customer did. `found` False: no such customer (erased
    already, or never there); `counts` is then empty."""

    customer_id: int
    mode: str
    found: bool
    erased_at: datetime | None = None
    tombstone_id: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    record: ErasureRecord | None = None


@transaction.atomic
def erase_customer(
    customer: Customer | int,
    *,
    mode: str = PrivacyRequest.Mode.ANONYMISE,
    request: PrivacyRequest | None = None,
    by: User | None = None,
    now: datetime | None = None,
) -> Erasure:
    """Erase the customer (see the module's docstring), in one transaction,
    and record it (ErasureRecord; `request` is then done). A customer that
    is not there, or an anonymous one left by an earlier erasure, is
    nothing to erase: `found` False, and nothing is written."""
    if mode not in PrivacyRequest.Mode.values:
        raise ValueError(f"unknown erasure mode {mode!r}")
    now = now or timezone.now()
    pk = customer if isinstance(customer, int) else customer.pk
    # The invitations first, in the order the answer service takes one (an
    # answer holds its invitation, then needs the customer's row): an answer
    # under way commits first and is erased with the rest, and one that
    # comes after finds the customer erased and is refused.
    list(
        Invitation.objects.select_for_update(no_key=True)
        .filter(customer_id=pk)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # Then the customer's row: an edit of the customer (admin, API, import)
    # waits, then finds it gone.
    person = Customer.objects.select_for_update().filter(pk=pk).first()
    if person is None or is_tombstone(person):
        return Erasure(customer_id=pk, mode=mode, found=False)
    needles = identifiers(person)
    history = History.of(person)
    counts: dict[str, int] = {}
    counts["invitations_cancelled"] = cancel_pending_mail(person, now=now)
    counts["links_retired"] = retire_links(person)
    if mode == PrivacyRequest.Mode.DELETE:
        counts |= delete_history(person)
        tombstone = None
    else:
        # Dated to the day only: its exact time would match the erasure's.
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        tombstone = Customer.objects.create(name="", erased_at=day, created_at=day)
        counts |= anonymise_history(person, tombstone=tombstone, now=now)
    counts |= scrub_copies(person, history, needles=needles, now=now)
    counts["suppressed"] = suppress(person.email, now=now)
    person.delete()
    webhooks.emit(
        ERASED, lambda: {"id": pk, "erased_at": now.isoformat().replace("+00:00", "Z")}
    )
    removed = counts.get("answers_deleted", 0)
    record = ErasureRecord.objects.create(
        erased_at=now,
        mode=mode,
        customer_digest=customer_digest_of(pk),
        request=request,
        erased_by=by,
        counts=counts,
        answers_removed=removed,
    )
    if request is not None:
        PrivacyRequest.objects.filter(pk=request.pk).update(
            status=PrivacyRequest.Status.DONE,
            completed_at=now,
            mode=mode,
            updated_at=now,
        )
    return Erasure(
        customer_id=pk,
        mode=mode,
        found=True,
        erased_at=now,
        tombstone_id=tombstone.pk if tombstone else None,
        counts=counts,
        record=record,
    )


def is_tombstone(customer: Customer) -> bool:
    """An anonymous customer left by an earlier erasure: nothing to erase."""
    return customer.erased_at is not None and not (
        customer.name or customer.email or customer.phone or customer.external_id
    )


def identifiers(customer: Customer) -> list[str]:
    """The strings that name the person and no one else (the address is
    unique; a phone or an external id is theirs), to find copies of them in
    stored text (event payloads, replayed API bodies, the admin's log).
    Not names or comments: "Anna" is in "Annabel", "Thanks" in anyone's
    answer, and a match would scrub another customer's record. Copies of
    those are found by what they are about (ids), not by their words."""
    values = [customer.email, customer.phone, customer.external_id]
    return sorted(
        {value.strip() for value in values if len(value.strip()) >= MIN_NEEDLE}
    )


@dataclass(frozen=True)
class History:
    """The ids of the person's rows, read before they move or go: what a
    stored copy (an event, the admin's log) is about."""

    responses: list[int]
    cases: list[int]
    interactions: list[int]
    invitations: list[int]

    @classmethod
    def of(cls, customer: Customer) -> "History":
        return cls(
            responses=list(
                SurveyResponse.objects.filter(customer=customer).values_list(
                    "pk", flat=True
                )
            ),
            cases=list(
                Case.objects.filter(customer=customer).values_list("pk", flat=True)
            ),
            interactions=list(
                Interaction.objects.filter(customer=customer).values_list(
                    "pk", flat=True
                )
            ),
            invitations=list(
                Invitation.objects.filter(customer=customer).values_list(
                    "pk", flat=True
                )
            ),
        )


def cancel_pending_mail(customer: Customer, *, now: datetime) -> int:
    """First mails, reminders and recovery surveys not sent yet. A mail being
    sent right now is re-checked by its worker, which finds the customer
    erased (anonymise) or gone (delete)."""
    invitations = Invitation.objects.filter(customer=customer)
    cancelled = invitations.filter(status__in=PENDING_INVITATIONS).update(
        status=Invitation.Status.CANCELLED,
        last_error=CANCELLED_TEXT,
        next_reminder_at=None,
        updated_at=now,
    )
    invitations.exclude(next_reminder_at=None).update(
        next_reminder_at=None, updated_at=now
    )
    return cancelled


def retire_links(customer: Customer) -> int:
    """Every survey link mailed to the person stops working: a new answer,
    or an edit within the edit window, through an old mail would bring
    their words back under the anonymous customer. The invitations keep
    their status (the funnel's counts stay); their token is a new one that
    was never mailed."""
    invitations = list(Invitation.objects.filter(customer=customer).only("pk"))
    for invitation in invitations:
        invitation.nonce = survey_tokens.new_nonce()
        invitation.token_hash = survey_tokens.hash_token(
            survey_tokens.token_for(invitation.nonce)
        )
    Invitation.objects.bulk_update(invitations, ["nonce", "token_hash"])
    return len(invitations)


def anonymise_history(
    customer: Customer, *, tombstone: Customer, now: datetime
) -> dict[str, int]:
    responses = SurveyResponse.objects.filter(customer=customer)
    response_ids = list(responses.values_list("pk", flat=True))
    cases = Case.objects.filter(customer=customer)
    case_ids = list(cases.values_list("pk", flat=True))
    open_ids = list(
        cases.exclude(status=Case.Status.CLOSED).values_list("pk", flat=True)
    )
    counts = {
        "answers_anonymised": len(response_ids),
        "comments_blanked": responses.exclude(comment="").count(),
    }
    # Every row that points at the person, whatever app it is in (a pilot's
    # assignment too), goes to the tombstone; the privacy requests keep
    # their own link, which the deletion below sets to null.
    for relation in Customer._meta.related_objects:
        if relation.related_model is PrivacyRequest or relation.many_to_many:
            continue
        model: Any = relation.related_model
        name = relation.field.name
        moved = model._base_manager.filter(**{name: customer}).update(
            **{name: tombstone}
        )
        counts[f"{model._meta.model_name}_moved"] = moved
    counts["pilots_relisted"] = relist_in_pilots(customer, tombstone)
    # By the anonymous customer, whose answers are all the person's.
    SurveyResponse.objects.filter(customer=tombstone).update(comment="")
    blank = comment_digest("")
    CommentAnalysis.objects.filter(response_id__in=response_ids).update(
        keywords=[], spans=[], comment_digest=blank
    )
    CommentTheme.objects.filter(analysis__response_id__in=response_ids).update(spans=[])
    Interaction.objects.filter(customer=tombstone).update(subject="", notes="")
    Invitation.objects.filter(customer=tombstone).exclude(
        last_error__in=["", CANCELLED_TEXT]
    ).update(last_error="")
    Case.objects.filter(pk__in=case_ids).exclude(resolution="").update(
        resolution=ERASED_TEXT
    )
    counts["cases_closed"] = close_open_cases(open_ids, now=now)
    counts |= scrub_case_events(case_ids)
    return counts


def relist_in_pilots(customer: Customer, tombstone: Customer) -> int:
    """A pilot that lists the person as one of its units (unit customer)
    lists the anonymous customer in their place, so that its result stays
    the same. Not an edit of its locked design: the same unit, renamed."""
    relisted = []
    for pilot in Pilot.objects.filter(unit=Unit.CUSTOMER):
        changed = False
        for name in ("treatment", "control"):
            units = getattr(pilot, name)
            if isinstance(units, list) and customer.pk in units:
                setattr(
                    pilot,
                    name,
                    [tombstone.pk if unit == customer.pk else unit for unit in units],
                )
                changed = True
        if changed:
            relisted.append(pilot)
    Pilot.objects.bulk_update(relisted, ["treatment", "control"])
    return len(relisted)


def close_open_cases(case_ids: Iterable[int], *, now: datetime) -> int:
    """Closed by the system as erased: no root cause is asked (there is no
    one left to contact), the timeline says why, and no recovery survey."""
    closed = 0
    for case in Case.objects.select_for_update().filter(pk__in=case_ids):
        case.status, case.closed_at = Case.Status.CLOSED, now
        case.closed_as = Case.ClosedAs.ERASED
        case.resolution = ""
        case.save(
            update_fields=[
                "status",
                "closed_at",
                "closed_as",
                "resolution",
                "updated_at",
            ]
        )
        alerts.drop_pending(case, reason=Alert.DropReason.CLOSED, now=now)
        log_case_event(
            case,
            CaseEvent.Kind.CLOSED,
            actor=None,
            now=now,
            data={"closed_as": Case.ClosedAs.ERASED},
        )
        closed += 1
    return closed


# Keys of a timeline entry's data that hold what the customer typed.
TYPED_KEYS = ("comment", "from_comment")


def scrub_case_events(case_ids: list[int]) -> dict[str, int]:
    events = CaseEvent.objects.filter(case_id__in=case_ids)
    notes = events.exclude(note="").update(note="")
    changed = []
    for event in events.exclude(data={}).only("id", "data"):
        data = {
            key: ("" if key in TYPED_KEYS and isinstance(value, str) else value)
            for key, value in event.data.items()
        }
        if data != event.data:
            event.data = data
            changed.append(event)
    CaseEvent.objects.bulk_update(changed, ["data"])
    Alert.objects.filter(event__case_id__in=case_ids).exclude(last_error="").update(
        last_error=""
    )
    return {"case_notes_blanked": notes}


def delete_history(customer: Customer) -> dict[str, int]:
    """The answers go, through the service that keeps the score and comment
    rollups right; their cases first (a case protects its answer)."""
    cases = Case.objects.filter(customer=customer)
    case_count = cases.count()
    # A case's recovery invitation is this customer's too: unlink it first.
    cases.update(recovery_invitation=None)
    cases.delete()
    responses = list(SurveyResponse.objects.filter(customer=customer))
    for response in responses:
        answers.delete_response(response)
    invitations = Invitation.objects.filter(customer=customer).delete()[0]
    interactions = Interaction.objects.filter(customer=customer).delete()[0]
    return {
        "answers_deleted": len(responses),
        "cases_deleted": case_count,
        "invitations_deleted": invitations,
        "interactions_deleted": interactions,
    }


def suppress(address: str, *, now: datetime) -> int:
    if not address.strip():
        return 0
    _row, created = SuppressedAddress.objects.get_or_create(
        digest=address_digest(address),
        defaults={"source": SuppressedAddress.Source.ERASURE, "created_at": now},
    )
    return int(created)


def scrub_copies(
    customer: Customer, history: History, *, needles: list[str], now: datetime
) -> dict[str, int]:
    return {
        "webhook_events_scrubbed": scrub_webhook_events(customer, needles, now=now),
        "idempotency_records_deleted": delete_idempotency_records(customer, needles),
        "admin_log_entries_scrubbed": scrub_admin_log(customer, history, needles),
    }


def spellings(needle: str) -> list[str]:
    """The string as stored raw, and inside a JSON string (escaped; ASCII
    only, as SQLite keeps a JSONField)."""
    return sorted(
        {needle, json.dumps(needle)[1:-1], json.dumps(needle, ensure_ascii=False)[1:-1]}
    )


def mentioning(queryset: Any, column: str, needles: list[str]) -> Any:
    """Rows whose `column` (cast to text) holds one of the needles."""
    condition = models.Q()
    for needle in needles:
        for spelt in spellings(needle):
            condition |= models.Q(**{f"{column}__icontains": spelt})
    return queryset.filter(condition) if condition else queryset.none()


def scrub_webhook_events(
    customer: Customer, needles: list[str], *, now: datetime
) -> int:
    """Events about the person (their answers, interactions, invitations and
    cases carry `customer`; customer.* events carry `id`) or quoting them:
    the payload is replaced, and a delivery not made yet is cancelled."""
    about = Event.objects.filter(
        models.Q(payload__customer=customer.pk)
        | models.Q(type__startswith="customer.", payload__id=customer.pk)
    )
    quoting = mentioning(
        Event.objects.annotate(text=Cast("payload", models.TextField())),
        "text",
        needles,
    )
    ids = set(about.values_list("pk", flat=True)) | set(
        quoting.values_list("pk", flat=True)
    )
    Delivery.objects.filter(event_id__in=ids, status=Delivery.Status.PENDING).update(
        status=Delivery.Status.FAILED,
        next_attempt_at=None,
        claimed_at=None,
        queued_at=None,
        last_error="Cancelled: the customer was erased.",
    )
    return Event.objects.filter(pk__in=ids).update(payload={"erased": True})


def delete_idempotency_records(customer: Customer, needles: list[str]) -> int:
    """A kept API answer about the person (their creation, quoting the
    address; an interaction or answer of theirs, `"customer":<id>` in DRF's
    compact JSON) goes. A retry with the same key then runs afresh, and a
    creation is refused as suppressed."""
    patterns = [spelt.encode() for needle in needles for spelt in spellings(needle)]
    patterns += [f'"customer":{customer.pk}{end}'.encode() for end in (",", "}")]
    table = connection.ops.quote_name(IdempotencyKey._meta.db_table)
    if connection.vendor == "postgresql":
        test = "position(%s::bytea in response_body) > 0"
    else:
        test = "instr(response_body, %s) > 0"
    where = " OR ".join([test] * len(patterns))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} WHERE {where}", patterns)  # noqa: S608
        ids = [row[0] for row in cursor.fetchall()]
    return IdempotencyKey.objects.filter(pk__in=ids).delete()[0]


def scrub_admin_log(customer: Customer, history: History, needles: list[str]) -> int:
    """The admin's log names what it changed (str(customer), an answer's
    "NPS 9 — name"): the entries about the person's rows stay, with a
    neutral name, and so do entries quoting their address."""
    about = models.Q(
        content_type=ContentType.objects.get_for_model(Customer),
        object_id=str(customer.pk),
    )
    for model, rows in (
        (SurveyResponse, history.responses),
        (Case, history.cases),
        (Interaction, history.interactions),
        (Invitation, history.invitations),
    ):
        if rows:
            about |= models.Q(
                content_type=ContentType.objects.get_for_model(model),
                object_id__in=[str(pk) for pk in rows],
            )
    quoting = mentioning(LogEntry.objects.all(), "object_repr", needles)
    quoting_message = mentioning(LogEntry.objects.all(), "change_message", needles)
    ids = (
        set(LogEntry.objects.filter(about).values_list("pk", flat=True))
        | set(quoting.values_list("pk", flat=True))
        | set(quoting_message.values_list("pk", flat=True))
    )
    return LogEntry.objects.filter(pk__in=ids).update(
        object_repr=ERASED_TEXT, change_message="[]"
    )
