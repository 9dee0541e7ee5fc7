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
payloads, idempotency records, the admin's log) are scrubbed, the change
history and access log about the person (privacy.access_log) go to the
tombstone or with the deleted rows, and a
`customer.erased` webhook event (the old id and the time, nothing else)
lets subscribers erase downstream.
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat, LPad
from django.utils import timezone

from customers.models import ConsentEvent, Customer, Interaction, SuppressedAddress
from customers.models import suppression_digest as address_digest
from feedback.models import Alert, Case, CaseEvent
from feedback.services import alerts
from feedback.services.cases import log_each as log_case_events
from idempotency.models import IdempotencyKey
from pilots.models import Pilot, Unit
from privacy import access_log
from privacy.models import (
    ErasureRecord,
    ExportArchive,
    PrivacyRequest,
    customer_digest_of,
)
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
# What an event about the person holds once erased (its type and time stay).
ERASED_PAYLOAD = {"erased": True}
# An invitation's error (as unsubscribe's "The customer unsubscribed.").
CANCELLED_TEXT = "Cancelled: the customer was erased."
PENDING_INVITATIONS = [Invitation.Status.SCHEDULED, Invitation.Status.SENDING]
# An invitation's errors that quote no one; any other is blanked on erasure
# (a bounce quotes the address).
KEPT_ERRORS = ["", CANCELLED_TEXT]


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


@access_log.without_change_history
@transaction.atomic
def erase_customer(
    customer: Customer | int,
    *,
    mode: str = PrivacyRequest.Mode.ANONYMISE,
    request: PrivacyRequest | None = None,
    by: User | None = None,
    now: datetime | None = None,
    suppress_address: bool = True,
) -> Erasure:
    """Erase the customer (see the module's docstring), in one transaction,
    and record it (ErasureRecord; `request` is then done). A customer that
    is not there, or an anonymous one left by an earlier erasure, is
    nothing to erase: `found` False, and nothing is written.
    `suppress_address` False (retention of an inactive customer who never
    asked to be forgotten nor opted out): the address is not suppressed."""
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
    tombstone = None
    if mode == PrivacyRequest.Mode.ANONYMISE:
        # Dated to the day only: its exact time would match the erasure's.
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        tombstone = Customer.objects.create(name="", erased_at=day, created_at=day)
    counts["invitations_cancelled"] = cancel_pending_mail(person, now=now)
    counts["links_retired"] = retire_links(person, tombstone=tombstone)
    if tombstone is None:
        counts |= delete_history(person)
    else:
        counts["invitation_moved"] = counts["links_retired"]
        counts |= anonymise_history(person, tombstone=tombstone, now=now)
    counts |= scrub_copies(person, history, needles=needles, now=now)
    counts |= access_log.forget(
        pk,
        responses=history.responses,
        cases=history.cases,
        interactions=history.interactions,
        tombstone_id=tombstone.pk if tombstone else None,
    )
    counts["suppressed"] = suppress(person.email, now=now) if suppress_address else 0
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


def retired_token_hash() -> Any:
    """A retired link's hash: "~" is no hex digit, so no token hashes to it,
    and the invitation's id keeps it unique. The ids of one person's
    invitations make neighbouring values, which go to a few pages of the two
    token_hash indexes; fresh random hashes went each to its own page of
    270 MB of indexes (a thousand invitations: 40% of their UPDATE)."""
    text: models.CharField[str, str] = models.CharField()
    return Concat(
        models.Value("~", output_field=text),
        LPad(Cast("pk", text), 63, models.Value("0", output_field=text)),
        output_field=text,
    )


def retire_links(customer: Customer, *, tombstone: Customer | None = None) -> int:
    """Every survey link mailed to the person stops working: a new answer,
    or an edit within the edit window, through an old mail would bring
    their words back under the anonymous customer. The invitations keep
    their status (the funnel's counts stay); their token is none at all (no
    nonce, a hash no token has: retired_token_hash), and no mail goes to an
    erased customer to need one. One UPDATE; with a `tombstone`
    (anonymise) it also hands the invitations to it and blanks their errors
    quoting the address (a row's second and third writes cost as much as
    its first)."""
    handing_over: dict[str, Any] = {}
    if tombstone is not None:
        handing_over = {
            "customer": tombstone,
            "last_error": models.Case(
                models.When(last_error__in=KEPT_ERRORS, then=models.F("last_error")),
                default=models.Value(""),
                output_field=models.TextField(),
            ),
        }
    return Invitation.objects.filter(customer=customer).update(
        nonce="", token_hash=retired_token_hash(), **handing_over
    )


# What the person typed, or staff typed about them, blanked by the same
# UPDATE that hands the rows to the tombstone: each row is written once, not
# twice (a thousand answers: half the time).
BLANKED_WHEN_MOVED: dict[type[models.Model], dict[str, str]] = {
    SurveyResponse: {"comment": ""},
    Interaction: {"subject": "", "notes": ""},
}


# Not moved by anonymise_history: the privacy requests keep their own link
# (which the customer's deletion sets to null), and the invitations went to
# the tombstone with their new tokens (retire_links).
MOVED_BEFORE = (PrivacyRequest, Invitation)


def anonymise_history(
    customer: Customer, *, tombstone: Customer, now: datetime
) -> dict[str, int]:
    counts = SurveyResponse.objects.filter(customer=customer).aggregate(
        answers_anonymised=models.Count("pk"),
        comments_blanked=models.Count("pk", filter=~models.Q(comment="")),
    )
    cases = Case.objects.filter(customer=customer).values_list("pk", "status")
    case_ids = [pk for pk, _status in cases]
    open_ids = [pk for pk, status in cases if status != Case.Status.CLOSED]
    # Every row that points at the person, whatever app it is in (a pilot's
    # assignment too), goes to the tombstone (but MOVED_BEFORE).
    for relation in Customer._meta.related_objects:
        if relation.related_model in MOVED_BEFORE or relation.many_to_many:
            continue
        model: Any = relation.related_model
        name = relation.field.name
        moved = model._base_manager.filter(**{name: customer}).update(
            **{name: tombstone}, **BLANKED_WHEN_MOVED.get(model, {})
        )
        counts[f"{model._meta.model_name}_moved"] = moved
    counts["pilots_relisted"] = relist_in_pilots(customer, tombstone)
    # The consent history stays (what was granted, when, under which policy);
    # its evidence of who gave it goes.
    ConsentEvent.objects.filter(customer=tombstone).update(ip_network="", user_agent="")
    # By the tombstone, whose answers are all the person's (no id list).
    blank = comment_digest("")
    CommentAnalysis.objects.filter(response__customer=tombstone).update(
        keywords=[], spans=[], comment_digest=blank
    )
    CommentTheme.objects.filter(analysis__response__customer=tombstone).update(spans=[])
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
    one left to contact), the timeline says why, and no recovery survey.
    A statement for all the cases, not four for each (a third of the cases
    open, of a hundred: a quarter of the erasure's statements): one UPDATE
    closes them, one drops their alerts not sent, one INSERT writes their
    timeline entries, each then announced as any case's (case.closed)."""
    cases = list(
        Case.objects.select_for_update().filter(pk__in=case_ids).order_by("pk")
    )
    if not cases:
        return 0
    closed = {
        "status": Case.Status.CLOSED,
        "closed_at": now,
        "closed_as": Case.ClosedAs.ERASED,
        "resolution": "",
        # What save() writes in an auto_now field: the clock's time.
        "updated_at": timezone.now(),
    }
    ids = [case.pk for case in cases]
    Case.objects.filter(pk__in=ids).update(**closed)
    alerts.drop(alerts.unsent_of(ids), reason=Alert.DropReason.CLOSED, now=now)
    for case in cases:
        for name, value in closed.items():
            setattr(case, name, value)
    log_case_events(
        cases, CaseEvent.Kind.CLOSED, now=now, data={"closed_as": Case.ClosedAs.ERASED}
    )
    return len(cases)


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
    # By the events' ids, read first: filtered through the join, PostgreSQL
    # reads every alert, since few have an error.
    event_ids = list(events.values_list("pk", flat=True))
    Alert.objects.filter(event_id__in=event_ids).exclude(last_error="").update(
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
        "exports_deleted": delete_exports(customer),
        "privacy_requests_scrubbed": scrub_requests(customer, needles),
    }


def delete_exports(customer: Customer) -> int:
    """An access export not downloaded yet holds everything about the
    person: it goes, and its link with it (the request keeps the digest)."""
    deleted, _ = ExportArchive.objects.filter(request__customer=customer).delete()
    PrivacyRequest.objects.filter(customer=customer).exclude(
        download_token_hash=""
    ).update(download_nonce="", download_token_hash="", download_expires_at=None)
    return deleted


REQUEST_TEXTS = ["verified_how", "extension_reason", "refusal_reason"]


def scrub_requests(customer: Customer, needles: list[str]) -> int:
    """What staff typed on the person's privacy requests (how they were
    verified: "reply from ada@…") loses the person's identifiers; the
    requests stay, as the record that the rights were served."""
    scrubbed = 0
    for request in PrivacyRequest.objects.filter(customer=customer):
        changed = False
        for name in REQUEST_TEXTS:
            text = getattr(request, name)
            kept = scrubbed_text(text, needles)
            if kept != text:
                setattr(request, name, kept)
                changed = True
        if changed:
            request.save(update_fields=[*REQUEST_TEXTS, "updated_at"])
            scrubbed += 1
    return scrubbed


def scrubbed_text(text: str, needles: list[str]) -> str:
    for needle in needles:
        text = re.sub(re.escape(needle), ERASED_TEXT, text, flags=re.IGNORECASE)
    return text


def spellings(needle: str) -> list[str]:
    """The string as stored raw, and inside a JSON string (escaped; ASCII
    only, as SQLite keeps a JSONField)."""
    return sorted(
        {needle, json.dumps(needle)[1:-1], json.dumps(needle, ensure_ascii=False)[1:-1]}
    )


def mentioning(queryset: Any, column: str, needles: list[str]) -> Any:
    """Rows whose `column` (cast to text) holds one of the needles."""
    condition = mentions(column, needles)
    return queryset.filter(condition) if condition else queryset.none()


def mentions(column: str, needles: list[str]) -> models.Q:
    """`column` (cast to text) holds one of the needles; an empty Q (which
    matches everything, alone) without needles."""
    condition = models.Q()
    for needle in needles:
        for spelt in spellings(needle):
            condition |= models.Q(**{f"{column}__icontains": spelt})
    return condition


def among(ids: list[Any], array_type: str) -> Any:
    """The right-hand side of `pk__in` over thousands of ids: on PostgreSQL
    one array parameter, not a parameter each (two thousand took Django and
    psycopg tens of milliseconds to build and parse, per statement)."""
    if connection.vendor != "postgresql":
        return ids
    return RawSQL(f"SELECT unnest(%s::{array_type}[])", [ids])  # noqa: S611 (our type)


def scrub_webhook_events(
    customer: Customer, needles: list[str], *, now: datetime
) -> int:
    """Events about the person (their answers, interactions, invitations and
    cases carry `customer`; customer.* events carry `id`) or quoting them:
    the payload is replaced, and a delivery not made yet is cancelled. One
    SELECT: PostgreSQL ORs the key indexes and the trigram index, which
    holds only the events not erased yet (webhooks migration 0004), hence
    the `exclude`: an erased event quotes no one."""
    about = models.Q(payload__customer=customer.pk) | models.Q(
        type__startswith="customer.", payload__id=customer.pk
    )
    ids = list(
        Event.objects.annotate(text=Cast("payload", models.TextField()))
        .filter(about | mentions("text", needles))
        .exclude(payload=ERASED_PAYLOAD)
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    Delivery.objects.filter(
        event_id__in=among(ids, "uuid"), status=Delivery.Status.PENDING
    ).update(
        status=Delivery.Status.FAILED,
        next_attempt_at=None,
        claimed_at=None,
        queued_at=None,
        last_error="Cancelled: the customer was erased.",
    )
    return Event.objects.filter(pk__in=among(ids, "uuid")).update(
        payload=ERASED_PAYLOAD
    )


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
