"""Retention (issue 17, item 5): each category of personal data is kept for
its rule's age (privacy.models.RetentionRule), then deleted or anonymised.

Every rule selects what has expired by the state of the rows themselves (an
answer still linked to a person, a comment not yet blank, a case whose text
is still there), never by a cursor of its own: a run stopped half-way goes
on where it stopped, and a second run finds nothing left to do. Each batch is
at most BATCH_SIZE rows in a transaction of its own, so that no lock is held
over the whole set: an answer being recorded waits for one batch at most,
and only when it touches the same rows.

The rules run in RULE_ORDER, chosen so that none changes what an earlier one
selects: the dry run, which counts each rule's rows before anything runs,
then equals what the real run does. (One exception, documented in the
README: an answers' identity age shorter than the inactive customers' one
takes old answers off people, who may then look inactive sooner.)

How each category is served, and what it reuses:

- comments: blanked as an erasure blanks them; the comment's reading
  (text.CommentAnalysis: sentiment, themes) stays, re-stamped as the reading
  of the blank comment, so the comment rollup and theme figures stay.
- answers' identity: anonymise moves the answer, with its invitation, its
  interaction and the cases about it, to an anonymous "tombstone" customer
  (one per person and batch, a fresh row as an erasure makes); score, band,
  kind, frozen dimensions and day stay, so every figure stays. delete goes
  through surveys.services.answers.delete_response (rollups stay right).
- inactive customers: privacy.services.erasure.erase_customer, in the
  rule's mode, one customer per transaction; their address is suppressed
  only when they had opted out, so the opt-out outlives them.
- webhook events and delivery logs: webhooks.delivery.purge_old with the
  rule's age (see the README for how it relates to WEBHOOK_KEEP_DAYS).
- the access log: django-auditlog's LogEntry, when auditlog is installed.
"""

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import npgettext

from customers.models import Customer, Interaction, SuppressedAddress
from feedback.models import Case, CaseEvent
from privacy.models import ALLOWED_ACTIONS, RetentionRule
from privacy.services import erasure
from surveys import tokens as survey_tokens
from surveys.models import Invitation, SurveyResponse
from surveys.services import answers
from text.models import CommentAnalysis, CommentTheme, comment_digest
from webhooks import delivery as webhook_delivery
from webhooks.models import Event

logger = logging.getLogger(__name__)

Category = RetentionRule.Category
Action = RetentionRule.Action

# Rows per transaction: a short lock each, never one over the whole set.
BATCH_SIZE = 1000
# An inactive customer's erasure touches all their rows: fewer per batch.
CUSTOMER_BATCH_SIZE = 100
# Each rule runs after those whose selection it could change (see above).
RULE_ORDER = [
    Category.COMMENTS,
    Category.CLOSED_CASES,
    Category.INVITATIONS,
    Category.ANSWER_IDENTITY,
    Category.INACTIVE_CUSTOMERS,
    Category.WEBHOOK_LOGS,
    Category.ACCESS_LOG,
    Category.SUPPRESSIONS,
]
# An invitation is done with once it can no longer be sent or answered.
FINISHED_INVITATIONS = [
    Invitation.Status.SENT,
    Invitation.Status.EXPIRED,
    Invitation.Status.SUPPRESSED,
    Invitation.Status.CANCELLED,
    Invitation.Status.FAILED,
]
ACCESS_LOG_MODEL = "auditlog.LogEntry"


@dataclass(frozen=True)
class Outcome:
    """What one rule touched (or, in a dry run, would touch)."""

    category: str
    action: str
    count: int
    dry_run: bool

    @property
    def sentence(self) -> str:
        """For example "would anonymise 1,240 answers" (dry run), or
        "anonymised 1,240 answers"."""
        noun = NOUNS[self.category](self.count)
        verb = VERBS[(self.action, self.dry_run)]
        return f"{verb} {self.count:,} {noun}"


# Each noun spelt out in its own npgettext call, so that makemessages finds
# it; in a context of its own, apart from the same words as field names.
NOUNS: dict[str, Callable[[int], str]] = {
    Category.INVITATIONS: lambda n: npgettext(
        "retention count", "invitation", "invitations", n
    ),
    Category.COMMENTS: lambda n: npgettext("retention count", "comment", "comments", n),
    Category.ANSWER_IDENTITY: lambda n: npgettext(
        "retention count", "answer", "answers", n
    ),
    Category.INACTIVE_CUSTOMERS: lambda n: npgettext(
        "retention count", "customer", "customers", n
    ),
    Category.CLOSED_CASES: lambda n: npgettext("retention count", "case", "cases", n),
    Category.WEBHOOK_LOGS: lambda n: npgettext(
        "retention count", "webhook event", "webhook events", n
    ),
    Category.ACCESS_LOG: lambda n: npgettext(
        "retention count", "access log entry", "access log entries", n
    ),
    Category.SUPPRESSIONS: lambda n: npgettext(
        "retention count", "suppressed address", "suppressed addresses", n
    ),
}
VERBS: dict[tuple[str, bool], Any] = {
    (Action.DELETE, True): _("would delete"),
    (Action.ANONYMISE, True): _("would anonymise"),
    (Action.DELETE, False): _("deleted"),
    (Action.ANONYMISE, False): _("anonymised"),
}


# What has expired, per category: the rows the rule touches.


def expired_invitations(cutoff: datetime) -> QuerySet[Invitation]:
    """Unanswered and finished (an answered one stays with its answer, under
    the answers' identity rule), not a case's recovery survey."""
    return Invitation.objects.filter(
        created_at__lt=cutoff,
        status__in=FINISHED_INVITATIONS,
        response__isnull=True,
        recovery_case__isnull=True,
    )


def expired_comments(cutoff: datetime) -> QuerySet[SurveyResponse]:
    return SurveyResponse.objects.filter(answered_at__lt=cutoff).exclude(comment="")


def expired_answers(cutoff: datetime) -> QuerySet[SurveyResponse]:
    """Still linked to a person (not an anonymous customer), and with no open
    case about them: a case being worked on is live, whatever its age."""
    open_case = Case.objects.filter(response=OuterRef("pk")).exclude(
        status=Case.Status.CLOSED
    )
    return SurveyResponse.objects.filter(
        answered_at__lt=cutoff, customer__erased_at__isnull=True
    ).exclude(Exists(open_case))


def expired_cases(cutoff: datetime, action: str) -> QuerySet[Case]:
    closed = Case.objects.filter(status=Case.Status.CLOSED, closed_at__lt=cutoff)
    if action == Action.DELETE:
        return closed
    # Anonymised already: the resolution is the erased mark, or it was closed
    # as erased (nothing typed left).
    return closed.exclude(resolution=erasure.ERASED_TEXT).exclude(
        closed_as=Case.ClosedAs.ERASED
    )


def inactive_customers(cutoff: datetime) -> QuerySet[Customer]:
    """People (not anonymous customers) with no sign of life since the
    cutoff: not created, edited, contacted, asked or answering, and no case
    opened or still open."""
    since = {"customer": OuterRef("pk")}
    return Customer.objects.filter(
        erased_at__isnull=True, created_at__lt=cutoff, updated_at__lt=cutoff
    ).exclude(
        Exists(Interaction.objects.filter(**since, occurred_at__gte=cutoff))
        | Exists(Invitation.objects.filter(**since, created_at__gte=cutoff))
        | Exists(SurveyResponse.objects.filter(**since, answered_at__gte=cutoff))
        | Exists(
            Case.objects.filter(**since).filter(
                Q(created_at__gte=cutoff) | ~Q(status=Case.Status.CLOSED)
            )
        )
    )


def expired_webhook_events(cutoff: datetime) -> QuerySet[Event]:
    return Event.objects.filter(created_at__lt=cutoff)


def access_log_model() -> Any | None:
    """django-auditlog's LogEntry, or None while auditlog is not installed."""
    if not apps.is_installed("auditlog"):
        return None
    return apps.get_model(ACCESS_LOG_MODEL)


def expired_access_log(cutoff: datetime) -> QuerySet[Any]:
    model = access_log_model()
    if model is None:
        return Customer.objects.none()
    entries: QuerySet[Any] = model.objects.filter(timestamp__lt=cutoff)
    return entries


def expired_suppressions(cutoff: datetime) -> QuerySet[SuppressedAddress]:
    return SuppressedAddress.objects.filter(created_at__lt=cutoff)


def expired(rule: RetentionRule, *, now: datetime) -> QuerySet[Any]:
    """The rows `rule` touches at `now` (none for a rule that is off)."""
    cutoff = rule.cutoff(now)
    if cutoff is None or not rule.is_enabled:
        return Customer.objects.none()
    selections: dict[str, Callable[[datetime], QuerySet[Any]]] = {
        Category.INVITATIONS: expired_invitations,
        Category.COMMENTS: expired_comments,
        Category.ANSWER_IDENTITY: expired_answers,
        Category.INACTIVE_CUSTOMERS: inactive_customers,
        Category.CLOSED_CASES: lambda at: expired_cases(at, rule.action),
        Category.WEBHOOK_LOGS: expired_webhook_events,
        Category.ACCESS_LOG: expired_access_log,
        Category.SUPPRESSIONS: expired_suppressions,
    }
    return selections[rule.category](cutoff)


# Applying a rule, one batch at a time.


def batches(queryset: QuerySet[Any], size: int) -> Iterable[list[int]]:
    """The first `size` ids still selected, again and again until none is
    left: each batch changes its rows so that they leave the selection."""
    while True:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return
        yield ids


def answer_batches(queryset: QuerySet[Any], size: int) -> Iterable[list[int]]:
    """As `batches`, a person's expired answers kept together: the last
    person of a batch brings the rest of theirs, so that all of them go to
    one anonymous customer ("each customer's latest answer" counts the
    same). A batch is then `size` answers and one person's others at most."""
    while True:
        rows = list(
            queryset.order_by("customer_id", "pk").values_list("pk", "customer_id")[
                :size
            ]
        )
        if not rows:
            return
        last = rows[-1][1]
        ids = [pk for pk, customer in rows if customer != last]
        ids += list(queryset.filter(customer_id=last).values_list("pk", flat=True))
        yield ids


def blank_comments(response_ids: list[int]) -> int:
    """As an erasure blanks them: the reading stays, re-stamped as the reading
    of the blank comment; its keywords and spans (the comment's words) go."""
    blanked = (
        SurveyResponse.objects.filter(pk__in=response_ids)
        .exclude(comment="")
        .update(comment="")
    )
    forget_comment_words(response_ids)
    # The timeline's copy of the comment, in the cases about these answers.
    case_ids = list(
        Case.objects.filter(response_id__in=among(response_ids)).values_list(
            "pk", flat=True
        )
    )
    scrub_case_copies(case_ids)
    return blanked


def forget_comment_words(response_ids: list[int]) -> None:
    """The readings of blanked comments stay, re-stamped as the reading of
    the blank comment; their keywords and spans (the comment's words) go."""
    CommentAnalysis.objects.filter(response_id__in=among(response_ids)).update(
        keywords=[], spans=[], comment_digest=comment_digest("")
    )
    CommentTheme.objects.filter(analysis__response_id__in=among(response_ids)).update(
        spans=[]
    )


def scrub_case_copies(case_ids: list[int]) -> None:
    changed = []
    for event in CaseEvent.objects.filter(case_id__in=case_ids).exclude(data={}):
        data = {
            key: ("" if key in erasure.TYPED_KEYS and isinstance(value, str) else value)
            for key, value in event.data.items()
        }
        if data != event.data:
            event.data = data
            changed.append(event)
    CaseEvent.objects.bulk_update(changed, ["data"])


def apply_comments(rule: RetentionRule, ids: list[int], *, now: datetime) -> int:
    with transaction.atomic():
        return blank_comments(ids)


def anonymise_cases(case_ids: list[int]) -> int:
    """What was typed about the person goes (resolution, notes, the comment's
    copies); the case, its root cause, owner and times stay for the
    loop-closure figures."""
    cases = Case.objects.filter(pk__in=case_ids)
    count = cases.update(resolution=erasure.ERASED_TEXT)
    erasure.scrub_case_events(case_ids)
    return count


def apply_closed_cases(rule: RetentionRule, ids: list[int], *, now: datetime) -> int:
    with transaction.atomic():
        if rule.action == Action.ANONYMISE:
            return anonymise_cases(ids)
        cases = Case.objects.filter(pk__in=ids)
        count = cases.count()
        cases.delete()
        return count


def apply_invitations(rule: RetentionRule, ids: list[int], *, now: datetime) -> int:
    with transaction.atomic():
        return int(
            Invitation.objects.filter(pk__in=ids)
            .delete()[1]
            .get(Invitation._meta.label, 0)
        )


def among(ids: Iterable[int]) -> Any:
    """Ids for an `__in` lookup. On PostgreSQL one array parameter, IN
    (SELECT unnest(…)): psycopg takes long to parse a query with a
    placeholder per id (a third of a batch's time, with a thousand ids)."""
    ids = list(ids)
    if connection.vendor != "postgresql":
        return ids
    return RawSQL("SELECT unnest(%s::bigint[])", (int_array(ids),))


def int_array(values: Iterable[int | None]) -> str:
    """Integers in PostgreSQL's array text form ("{1,NULL,3}"): one string
    for psycopg to pass on, not a list it quotes item by item."""
    items = ("NULL" if value is None else str(int(value)) for value in values)
    return "{" + ",".join(items) + "}"


def set_rows(model: Any, values: dict[int, dict[str, Any]]) -> None:
    """Give each row (by pk) its own values, in one statement. On PostgreSQL
    an UPDATE … FROM unnest(arrays): Django's bulk_update writes one CASE per
    column with a branch per row, which PostgreSQL tries branch by branch
    for every row (a thousand rows cost a million comparisons a column)."""
    if not values:
        return
    columns = sorted(next(iter(values.values())))
    if connection.vendor != "postgresql":
        rows = list(model.objects.filter(pk__in=values).only("pk", *columns))
        for row in rows:
            for column, value in values[row.pk].items():
                setattr(row, column, value)
        model.objects.bulk_update(rows, columns)
        return
    quote = connection.ops.quote_name
    # One array per column, unnested side by side: a few parameters whatever
    # the number of rows (psycopg takes long to parse thousands of them). A
    # column with the same value in every row (a blanked text) is one value.
    sets, set_params = [], []
    names, arrays = [quote("pk")], [f"%s::{model._meta.pk.db_type(connection)}[]"]
    array_params: list[Any] = [int_array(values)]
    for column in columns:
        column_values = [changes[column] for changes in values.values()]
        if all(value == column_values[0] for value in column_values):
            sets.append(f"{quote(column)} = %s")
            set_params.append(column_values[0])
            continue
        kind = model._meta.get_field(column).db_type(connection)
        sets.append(f"{quote(column)} = v.{quote(column)}")
        names.append(quote(column))
        arrays.append(f"%s::{kind}[]")
        integers = all(value is None or type(value) is int for value in column_values)
        array_params.append(int_array(column_values) if integers else column_values)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} AS t SET {', '.join(sets)} "  # noqa: S608
        f"FROM unnest({', '.join(arrays)}) AS v({', '.join(names)}) "
        f"WHERE t.id = v.{quote('pk')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*set_params, *array_params])


def new_tombstones(count: int, *, day: datetime) -> list[int]:
    """`count` anonymous customers, each as an erasure makes one; their ids,
    in order. On PostgreSQL one INSERT … SELECT FROM generate_series, with a
    parameter per column whatever the count (bulk_create builds a model per
    row and sends an array per column)."""
    template = Customer(name="", erased_at=day, created_at=day)
    fields = [
        field
        for field in Customer._meta.local_concrete_fields
        if not field.primary_key and not field.generated
    ]
    values = [field.pre_save(template, add=True) for field in fields]
    if connection.vendor != "postgresql" or any(
        hasattr(value, "resolve_expression") for value in values
    ):
        made = Customer.objects.bulk_create(
            [Customer(name="", erased_at=day, created_at=day) for _each in range(count)]
        )
        return [customer.pk for customer in made]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    selected = ", ".join(f"%s::{field.db_type(connection)}" for field in fields)
    params = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, values, strict=True)
    ]
    sql = (
        f"INSERT INTO {quote(Customer._meta.db_table)} ({columns}) "  # noqa: S608
        f"SELECT {selected} FROM generate_series(1, %s) "
        f"RETURNING {quote(Customer._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, count])
        return sorted(row[0] for row in cursor.fetchall())


def anonymise_answers(response_ids: list[int], *, now: datetime) -> int:
    """Each person's answers in the batch, with their invitations, their
    interactions and the cases about them, go to a new anonymous customer of
    their own (so "each customer's latest answer" counts the same). A few
    statements a batch, each row written once: the batch's locks are short."""
    # The invitations first, in the order the answer service takes them: an
    # edit of one of these answers waits for this short transaction.
    rows = list(
        Invitation.objects.select_for_update(no_key=True)
        .filter(response__pk__in=among(response_ids), customer__erased_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "customer_id", "interaction_id", "response__pk")
    )
    if not rows:
        return 0
    people = sorted({row[1] for row in rows})
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    tombstones = new_tombstones(len(people), day=day)
    mapping = dict(zip(people, tombstones, strict=True))
    answer_ids = [row[3] for row in rows]
    # The comment is blanked in the same write that moves the answer.
    set_rows(
        SurveyResponse,
        {
            answer: {"customer_id": mapping[person], "comment": ""}
            for _i, person, _x, answer in rows
        },
    )
    forget_comment_words(answer_ids)
    retire_links(rows, mapping)
    move_interactions(rows, mapping)
    move_cases(answer_ids, mapping)
    return len(answer_ids)


def move_interactions(
    rows: Sequence[tuple[int, int, int | None, int]], mapping: dict[int, int]
) -> None:
    """The answered interactions follow their answers, their text blanked;
    an interaction of someone else (a case's, by hand) stays theirs."""
    person_of = {
        interaction: person
        for _i, person, interaction, _a in rows
        if interaction is not None
    }
    theirs = Interaction.objects.filter(
        pk__in=among(person_of), customer_id__in=among(mapping)
    ).values_list("pk", flat=True)
    set_rows(
        Interaction,
        {
            pk: {"customer_id": mapping[person_of[pk]], "subject": "", "notes": ""}
            for pk in theirs
        },
    )


def move_cases(answer_ids: list[int], mapping: dict[int, int]) -> None:
    """The cases about the answers follow them, what was typed about the
    person gone (as anonymise_cases: a resolution becomes the erased mark,
    the notes and the comment's copies in the timeline go)."""
    cases = list(
        Case.objects.filter(response_id__in=among(answer_ids)).values_list(
            "pk", "customer_id", "resolution"
        )
    )
    if not cases:
        return
    set_rows(
        Case,
        {
            pk: {
                "customer_id": mapping.get(customer, customer),
                "resolution": erasure.ERASED_TEXT if resolution else "",
            }
            for pk, customer, resolution in cases
        },
    )
    erasure.scrub_case_events([pk for pk, _customer, _resolution in cases])


def retire_links(
    rows: Sequence[tuple[int, int, int | None, int]], mapping: dict[int, int]
) -> None:
    """The invitations follow their answers; their mailed links stop working
    (a new token, never mailed), as an erasure retires them."""
    values = {}
    for invitation, person, _interaction, _answer in rows:
        nonce = survey_tokens.new_nonce()
        values[invitation] = {
            "customer_id": mapping[person],
            "nonce": nonce,
            "token_hash": survey_tokens.hash_token(survey_tokens.token_for(nonce)),
            "last_error": "",
        }
    set_rows(Invitation, values)


def delete_answers(response_ids: list[int]) -> int:
    """Through the service that keeps the score and comment rollups right,
    each in its own short transaction; its closed cases first (a case
    protects its answer), then its invitation."""
    deleted = 0
    for response in SurveyResponse.objects.filter(pk__in=response_ids):
        with transaction.atomic():
            Case.objects.filter(response=response, status=Case.Status.CLOSED).delete()
            answers.delete_response(response)
            Invitation.objects.filter(
                pk=response.invitation_id, recovery_case__isnull=True
            ).delete()
        deleted += 1
    return deleted


def apply_answer_identity(rule: RetentionRule, ids: list[int], *, now: datetime) -> int:
    if rule.action == Action.DELETE:
        return delete_answers(ids)
    with transaction.atomic():
        return anonymise_answers(ids, now=now)


def apply_inactive_customers(
    rule: RetentionRule, ids: list[int], *, now: datetime
) -> int:
    """One erasure per customer, each its own transaction (erase_customer's)."""
    erased = 0
    opted_out = set(
        Customer.objects.filter(pk__in=ids)
        .exclude(email_opted_out_at=None)
        .values_list("pk", flat=True)
    )
    for pk in ids:
        done = erasure.erase_customer(
            pk, mode=rule.action, now=now, suppress_address=pk in opted_out
        )
        erased += int(done.found)
    return erased


def apply_deletion(model: Any) -> Callable[..., int]:
    def apply(rule: RetentionRule, ids: list[int], *, now: datetime) -> int:
        with transaction.atomic():
            deleted = model.objects.filter(pk__in=ids).delete()[1]
            return int(deleted.get(model._meta.label, 0))

    return apply


def apply_webhook_logs(rule: RetentionRule, *, now: datetime) -> int:
    if rule.age_days is None:
        return 0
    return webhook_delivery.purge_old(
        now=now, keep_days=rule.age_days, batch=BATCH_SIZE
    )


Applier = Callable[..., int]


def applier(rule: RetentionRule) -> Applier | None:
    model = access_log_model()
    appliers: dict[str, Applier | None] = {
        Category.INVITATIONS: apply_invitations,
        Category.COMMENTS: apply_comments,
        Category.ANSWER_IDENTITY: apply_answer_identity,
        Category.INACTIVE_CUSTOMERS: apply_inactive_customers,
        Category.CLOSED_CASES: apply_closed_cases,
        Category.ACCESS_LOG: apply_deletion(model) if model is not None else None,
        Category.SUPPRESSIONS: apply_deletion(SuppressedAddress),
    }
    return appliers.get(rule.category)


def batch_size_of(rule: RetentionRule) -> int:
    if rule.category == Category.INACTIVE_CUSTOMERS:
        return CUSTOMER_BATCH_SIZE
    return BATCH_SIZE


def apply_rule(
    rule: RetentionRule,
    *,
    now: datetime,
    batch_size: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Apply one rule to everything expired, in batches; returns the rows
    touched. `on_batch` hears each batch's count (the tests and the bench)."""
    if not rule.is_active or rule.action not in ALLOWED_ACTIONS[rule.category]:
        return 0
    if rule.category == Category.WEBHOOK_LOGS:
        count = apply_webhook_logs(rule, now=now)
        if on_batch is not None and count:
            on_batch(count)
        return count
    apply = applier(rule)
    if apply is None:
        return 0
    size = batch_size or batch_size_of(rule)
    total = 0
    selection = expired(rule, now=now)
    split = answer_batches if rule.category == Category.ANSWER_IDENTITY else batches
    for ids in split(selection, size):
        count = apply(rule, ids, now=now)
        if on_batch is not None:
            on_batch(len(ids))
        total += count
        if count == 0:
            # Selected yet untouched (a row changed under us): stop rather
            # than select the same rows for ever; the next run takes them.
            logger.warning("retention %s: a batch touched nothing", rule.category)
            break
    return total


def ordered_rules() -> list[RetentionRule]:
    rules = {rule.category: rule for rule in RetentionRule.objects.all()}
    return [rules[category] for category in RULE_ORDER if category in rules]


def dry_run(*, now: datetime | None = None) -> list[Outcome]:
    """What each rule would touch now, counted; writes nothing."""
    now = now or timezone.now()
    return [
        Outcome(rule.category, rule.action, expired(rule, now=now).count(), True)
        for rule in ordered_rules()
        if rule.is_active
    ]


def apply_retention(
    *, now: datetime | None = None, batch_size: int | None = None
) -> list[Outcome]:
    """Apply every enabled rule, in RULE_ORDER (the nightly task, the
    command). Safe to run twice: the second run finds nothing."""
    now = now or timezone.now()
    outcomes = []
    for rule in ordered_rules():
        if not rule.is_active:
            continue
        count = apply_rule(rule, now=now, batch_size=batch_size)
        outcomes.append(Outcome(rule.category, rule.action, count, False))
        logger.info("retention %s: %s", rule.category, count)
    return outcomes


def retention_periods() -> list[tuple[str, int | None, str]]:
    """(category label, age in days or None for "kept for ever", action
    label) per category, for the access export's README. A rule switched
    off keeps its data for ever."""
    return [
        (
            str(rule.get_category_display()),
            rule.age_days if rule.is_enabled else None,
            str(rule.get_action_display()),
        )
        for rule in ordered_rules()
    ]
