"""Retention rules: each category's rule touches exactly what is older than
its age (the row at the exact age stays), the dry run writes nothing and
counts what the real run then does, a second run does nothing, batches stay
bounded, and the command and the nightly task call the same service."""

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from customers.models import Customer, Interaction, SuppressedAddress
from feedback.models import Case, CaseEvent
from privacy.models import ErasureRecord, RetentionRule
from privacy.services import retention
from privacy.services.erasure import ERASED_TEXT
from privacy.tasks import apply_retention_task
from surveys.models import Invitation, ScoreRollup, SurveyResponse
from tests.factories import (
    CaseEventFactory,
    CaseFactory,
    CustomerFactory,
    InvitationFactory,
    RootCauseFactory,
    SurveyResponseFactory,
)
from text import services as text
from text.models import CommentAnalysis, CommentRollup, comment_digest
from webhooks.models import Event

pytestmark = pytest.mark.django_db

Category = RetentionRule.Category
SECOND = timedelta(seconds=1)


@pytest.fixture
def now() -> datetime:
    return timezone.now()


def rule(category: str, **changes: object) -> RetentionRule:
    """The migration's rule for the category, changed as asked."""
    found = RetentionRule.objects.get(category=category)
    for name, value in changes.items():
        setattr(found, name, value)
    found.save()
    return found


def only(category: str, **changes: object) -> RetentionRule:
    """That rule on, every other one off: a run touches that category only."""
    RetentionRule.objects.exclude(category=category).update(is_enabled=False)
    return rule(category, is_enabled=True, **changes)


def ages(found: RetentionRule, now: datetime) -> tuple[datetime, datetime]:
    """The cutoff itself (kept) and a second before it (expired)."""
    cutoff = found.cutoff(now)
    assert cutoff is not None
    return cutoff, cutoff - SECOND


def counted_answers() -> int:
    """The answers the score rollup counts, once each (its "all" rows)."""
    rows = ScoreRollup.objects.filter(dimension=ScoreRollup.Dimension.ALL)
    return sum(row.promoters + row.passives + row.detractors for row in rows)


def answer(at: datetime, **fields: object) -> SurveyResponse:
    return SurveyResponseFactory.create(answered_at=at, **fields)


def test_the_migration_writes_one_rule_per_category_with_the_documented_defaults():
    rules = {
        found.category: (found.age_days, found.anchor, found.action, found.is_enabled)
        for found in RetentionRule.objects.all()
    }
    assert rules == {
        "invitations": (400, "created", "delete", True),
        "comments": (730, "answered", "anonymise", True),
        "answer_identity": (1095, "answered", "anonymise", True),
        "inactive_customers": (1095, "last_activity", "anonymise", True),
        "closed_cases": (1095, "closed", "anonymise", True),
        "webhook_logs": (30, "created", "delete", True),
        "access_log": (1095, "logged", "delete", True),
        "suppressions": (None, "created", "delete", True),
    }


def test_retention_periods_lists_each_category_with_its_age_and_action():
    rule(Category.CLOSED_CASES, is_enabled=False)
    periods = retention.retention_periods()
    assert periods == [
        ("Comments on answers", 730, "Anonymise"),
        ("Closed cases", None, "Anonymise"),
        ("Unanswered invitations and their mail events", 400, "Delete"),
        ("Who gave each answer", 1095, "Anonymise"),
        ("Inactive customers", 1095, "Anonymise"),
        ("Webhook events and delivery logs", 30, "Delete"),
        ("Access log", 1095, "Delete"),
        ("Suppressed address hashes", None, "Delete"),
    ]


def test_comments_older_than_the_age_are_blanked_and_keep_their_reading(now):
    found = only(Category.COMMENTS)
    kept_at, expired_at = ages(found, now)
    old = answer(expired_at, comment="Slow and rude, a terrible wait")
    edge = answer(kept_at, comment="Fine at the edge")
    text.read_comments_from(old.pk)
    reading = CommentAnalysis.objects.get(response=old)
    rollup = list(CommentRollup.objects.order_by("pk").values())
    case = CaseFactory.create(response=old)
    CaseEventFactory.create(case=case, data={"comment": "Slow and rude", "score": 3})

    assert retention.apply_rule(found, now=now) == 1

    old.refresh_from_db()
    edge.refresh_from_db()
    assert (old.comment, edge.comment) == ("", "Fine at the edge")
    kept = CommentAnalysis.objects.get(response=old)
    assert (kept.pk, kept.score, kept.label) == (
        reading.pk,
        reading.score,
        reading.label,
    )
    assert (kept.keywords, kept.spans) == ([], [])
    assert kept.comment_digest == comment_digest("")
    text.read_missed_comments()  # the sweep takes nothing away
    assert CommentAnalysis.objects.filter(response=old).exists()
    assert list(CommentRollup.objects.order_by("pk").values()) == rollup
    assert CaseEvent.objects.get(case=case).data == {"comment": "", "score": 3}
    # The answers themselves and who gave them stay (another rule's job).
    assert old.customer.erased_at is None


def test_answers_identity_moves_expired_answers_to_one_anonymous_customer_each(now):
    found = only(Category.ANSWER_IDENTITY)
    kept_at, expired_at = ages(found, now)
    person, other = CustomerFactory.create_batch(2)
    first = answer(expired_at, invitation__interaction__customer=person, score=3)
    second = answer(
        expired_at - timedelta(days=5), invitation__interaction__customer=person
    )
    theirs = answer(expired_at, invitation__interaction__customer=other, comment="x")
    edge = answer(kept_at, invitation__interaction__customer=person)
    case = CaseFactory.create(
        response=first,
        status=Case.Status.CLOSED,
        closed_at=expired_at,
        root_cause=RootCauseFactory.create(),
        resolution="Called Ann back",
    )
    before = {
        row["pk"]: row
        for row in SurveyResponse.objects.values(
            "pk",
            "score",
            "band",
            "kind",
            "channel",
            "stage",
            "segment",
            "company",
            "staff",
            "touchpoint",
            "answered_at",
            "survey",
        )
    }
    token_hash = first.invitation.token_hash

    assert retention.apply_rule(found, now=now) == 3

    for row in [first, second, theirs, edge, case]:
        row.refresh_from_db()
    assert first.customer_id == second.customer_id
    assert first.customer_id not in (person.pk, other.pk)
    assert theirs.customer_id not in (person.pk, other.pk, first.customer_id)
    assert edge.customer_id == person.pk
    tombstone = Customer.objects.get(pk=first.customer_id)
    assert (tombstone.name, tombstone.email, tombstone.erased_at is not None) == (
        "",
        "",
        True,
    )
    assert theirs.comment == ""
    # Nothing of the answer leads back to the person.
    invitation = Invitation.objects.get(pk=first.invitation_id)
    assert invitation.customer_id == tombstone.pk
    assert invitation.token_hash != token_hash
    assert invitation.interaction_id is not None
    interaction = Interaction.objects.get(pk=invitation.interaction_id)
    assert (interaction.customer_id, interaction.subject) == (tombstone.pk, "")
    assert (case.customer_id, case.resolution) == (tombstone.pk, ERASED_TEXT)
    # What the figures read is the same.
    after = {
        row["pk"]: row
        for row in SurveyResponse.objects.values(*next(iter(before.values())))
    }
    assert after == before
    assert Customer.objects.filter(pk__in=[person.pk, other.pk]).count() == 2


def test_an_answer_with_an_open_case_keeps_its_identity(now):
    found = only(Category.ANSWER_IDENTITY)
    _kept_at, expired_at = ages(found, now)
    open_case = CaseFactory.create(response=answer(expired_at))

    assert retention.apply_rule(found, now=now) == 0
    assert SurveyResponse.objects.get().customer_id == open_case.customer_id


def test_answers_identity_delete_keeps_the_rollup_right(now):
    found = only(Category.ANSWER_IDENTITY, action="delete")
    kept_at, expired_at = ages(found, now)
    old = answer(expired_at, score=2)
    edge = answer(kept_at, score=10)
    CaseFactory.create(
        response=old,
        status=Case.Status.CLOSED,
        closed_at=expired_at,
        root_cause=RootCauseFactory.create(),
        resolution="Done",
    )
    counted_before = counted_answers()

    assert retention.apply_rule(found, now=now) == 1

    assert list(SurveyResponse.objects.values_list("pk", flat=True)) == [edge.pk]
    assert not Invitation.objects.filter(pk=old.invitation_id).exists()
    assert not Case.objects.exists()
    assert counted_answers() == counted_before - 1


def test_unanswered_finished_invitations_older_than_the_age_go(now):
    found = only(Category.INVITATIONS)
    kept_at, expired_at = ages(found, now)
    old = InvitationFactory.create(status=Invitation.Status.EXPIRED)
    edge = InvitationFactory.create(status=Invitation.Status.SENT)
    pending = InvitationFactory.create(status=Invitation.Status.SCHEDULED)
    answered = answer(expired_at)
    Invitation.objects.filter(pk__in=[old.pk, pending.pk]).update(created_at=expired_at)
    Invitation.objects.filter(pk=edge.pk).update(created_at=kept_at)
    Invitation.objects.filter(pk=answered.invitation_id).update(created_at=expired_at)

    assert retention.apply_rule(found, now=now) == 1

    assert set(Invitation.objects.values_list("pk", flat=True)) == {
        edge.pk,
        pending.pk,
        answered.invitation_id,
    }


def test_closed_cases_lose_their_text_after_the_age(now):
    found = only(Category.CLOSED_CASES)
    kept_at, expired_at = ages(found, now)
    cause = RootCauseFactory.create()
    old, edge = [
        CaseFactory.create(
            status=Case.Status.CLOSED,
            closed_at=at,
            root_cause=cause,
            resolution="Refunded Ann",
        )
        for at in (expired_at, kept_at)
    ]
    still_open = CaseFactory.create()
    CaseEventFactory.create(case=old, kind=CaseEvent.Kind.NOTE, note="Ann cried")
    CaseEventFactory.create(case=edge, kind=CaseEvent.Kind.NOTE, note="Kept")

    assert retention.apply_rule(found, now=now) == 1

    assert dict(Case.objects.values_list("pk", "resolution")) == {
        old.pk: ERASED_TEXT,
        edge.pk: "Refunded Ann",
        still_open.pk: "",
    }
    assert set(CaseEvent.objects.exclude(note="").values_list("note", flat=True)) == {
        "Kept"
    }
    old.refresh_from_db()
    assert (old.root_cause_id, old.closed_at) == (cause.pk, expired_at)


def test_closed_cases_delete(now):
    found = only(Category.CLOSED_CASES, action="delete")
    kept_at, expired_at = ages(found, now)
    cause = RootCauseFactory.create()
    old, edge = [
        CaseFactory.create(
            status=Case.Status.CLOSED, closed_at=at, root_cause=cause, resolution="x"
        )
        for at in (expired_at, kept_at)
    ]

    assert retention.apply_rule(found, now=now) == 1
    assert list(Case.objects.values_list("pk", flat=True)) == [edge.pk]
    assert old.response_id is not None
    assert SurveyResponse.objects.filter(pk=old.response_id).exists()


def inactive_since(at: datetime, **fields: object) -> Customer:
    customer = CustomerFactory.create(**fields)
    Customer.objects.filter(pk=customer.pk).update(created_at=at, updated_at=at)
    return customer


def test_inactive_customers_are_erased_and_active_ones_stay(now):
    found = only(Category.INACTIVE_CUSTOMERS)
    kept_at, expired_at = ages(found, now)
    gone = inactive_since(expired_at)
    gone_email = gone.email
    opted_out = inactive_since(expired_at, email_opted_out_at=expired_at)
    Customer.objects.filter(pk=opted_out.pk).update(updated_at=expired_at)
    edited = inactive_since(kept_at)
    answering = inactive_since(expired_at)
    answer(kept_at, invitation__interaction__customer=answering)
    Customer.objects.filter(pk=answering.pk).update(updated_at=expired_at)
    with_old_answer = inactive_since(expired_at)
    old = answer(expired_at, invitation__interaction__customer=with_old_answer)
    Customer.objects.filter(pk=with_old_answer.pk).update(updated_at=expired_at)
    Invitation.objects.filter(customer=with_old_answer).update(created_at=expired_at)
    Interaction.objects.filter(customer=with_old_answer).update(occurred_at=expired_at)

    assert retention.apply_rule(found, now=now) == 3

    left = set(Customer.objects.filter(erased_at=None).values_list("pk", flat=True))
    assert left == {edited.pk, answering.pk}
    # Anonymised: the old answer stays, under an anonymous customer.
    old.refresh_from_db()
    assert old.customer.erased_at is not None
    assert ErasureRecord.objects.count() == 3
    # Only the opted-out address is suppressed, so the opt-out outlives them.
    assert SuppressedAddress.objects.count() == 1
    assert SuppressedAddress.objects.is_suppressed(opted_out.email)
    assert not SuppressedAddress.objects.is_suppressed(gone_email)


def test_webhook_events_older_than_the_age_go(now):
    found = only(Category.WEBHOOK_LOGS, age_days=10)
    kept_at, expired_at = ages(found, now)
    old = Event.objects.create(type="case.opened", created_at=expired_at)
    edge = Event.objects.create(type="case.opened", created_at=kept_at)

    assert [o.count for o in retention.dry_run(now=now)] == [1]
    assert retention.apply_rule(found, now=now) == 1
    assert list(Event.objects.values_list("pk", flat=True)) == [edge.pk]
    assert not Event.objects.filter(pk=old.pk).exists()


def test_suppressions_are_kept_for_ever_by_default_and_go_when_given_an_age(now):
    found = only(Category.SUPPRESSIONS)
    old = SuppressedAddress.objects.create(digest="a" * 64, created_at=now)
    SuppressedAddress.objects.filter(pk=old.pk).update(
        created_at=now - timedelta(days=36500)
    )
    assert retention.dry_run(now=now) == []
    assert retention.apply_rule(found, now=now) == 0

    found = only(Category.SUPPRESSIONS, age_days=365)
    kept_at, _expired_at = ages(found, now)
    edge = SuppressedAddress.objects.create(digest="b" * 64, created_at=kept_at)
    assert retention.apply_rule(found, now=now) == 1
    assert list(SuppressedAddress.objects.all()) == [edge]


def test_the_access_log_rule_deletes_old_entries_once_auditlog_is_there(now):
    model = retention.access_log_model()
    found = only(Category.ACCESS_LOG)
    if model is None:
        assert retention.apply_rule(found, now=now) == 0
        assert retention.dry_run(now=now)[0].count == 0
        return
    kept_at, expired_at = ages(found, now)
    customer = CustomerFactory.create()
    model.objects.filter(object_pk=str(customer.pk)).delete()
    entries = [
        model.objects.log_create(customer, action=model.Action.ACCESS, changes={})
        for _each in range(2)
    ]
    model.objects.filter(pk=entries[0].pk).update(timestamp=expired_at)
    model.objects.filter(pk=entries[1].pk).update(timestamp=kept_at)
    model.objects.exclude(pk__in=[e.pk for e in entries]).update(timestamp=now)

    assert retention.apply_rule(found, now=now) == 1
    assert list(model.objects.values_list("pk", flat=True)) == [entries[1].pk]


def history_for_every_category(now: datetime) -> None:
    """One expired row (and one just kept) in each category."""
    for category in Category.values:
        rule(category, age_days=rule(category).age_days or 100)
    cause = RootCauseFactory.create()
    for category, found in {r.category: r for r in RetentionRule.objects.all()}.items():
        kept_at, expired_at = ages(found, now)
        for at in (kept_at, expired_at):
            if category == Category.COMMENTS:
                answer(at, comment="Words")
            elif category == Category.ANSWER_IDENTITY:
                answer(at)
            elif category == Category.INVITATIONS:
                invitation = InvitationFactory.create()
                Invitation.objects.filter(pk=invitation.pk).update(created_at=at)
            elif category == Category.CLOSED_CASES:
                CaseFactory.create(
                    status=Case.Status.CLOSED,
                    closed_at=at,
                    root_cause=cause,
                    resolution="Text",
                    response__answered_at=now,
                )
            elif category == Category.INACTIVE_CUSTOMERS:
                inactive_since(at)
            elif category == Category.WEBHOOK_LOGS:
                Event.objects.create(type="case.opened", created_at=at)
            elif category == Category.SUPPRESSIONS:
                SuppressedAddress.objects.create(digest=f"{at:%s}".ljust(64, "0"))
                SuppressedAddress.objects.filter(
                    digest=f"{at:%s}".ljust(64, "0")
                ).update(created_at=at)


def database_state() -> dict[str, object]:
    return {
        "customers": list(Customer.objects.order_by("pk").values()),
        "answers": list(SurveyResponse.objects.order_by("pk").values()),
        "invitations": list(Invitation.objects.order_by("pk").values()),
        "cases": list(Case.objects.order_by("pk").values()),
        "events": list(Event.objects.order_by("pk").values()),
        "suppressions": list(SuppressedAddress.objects.order_by("pk").values()),
    }


def test_the_dry_run_writes_nothing_and_counts_what_the_real_run_does(now):
    history_for_every_category(now)
    state = database_state()

    planned = retention.dry_run(now=now)

    assert database_state() == state
    assert all(outcome.dry_run for outcome in planned)
    done = retention.apply_retention(now=now)
    assert [(o.category, o.count) for o in done] == [
        (o.category, o.count) for o in planned
    ]
    counts = {o.category: o.count for o in planned}
    # One expired row per category, each touched once; the inactive
    # customers are those made as such and the people whose only (old)
    # activity the other rules left behind.
    assert counts[Category.COMMENTS] == 1
    assert counts[Category.CLOSED_CASES] == 1
    assert counts[Category.WEBHOOK_LOGS] == 1
    assert counts[Category.SUPPRESSIONS] == 1
    assert planned[0].sentence == "would anonymise 1 comment"
    assert done[0].sentence == "anonymised 1 comment"


def test_a_second_run_finds_nothing_to_do(now):
    history_for_every_category(now)
    first = retention.apply_retention(now=now)
    assert sum(o.count for o in first) > 0
    state = database_state()

    second = retention.apply_retention(now=now)

    assert [o.count for o in second] == [0] * len(second)
    assert database_state() == state
    assert [o.count for o in retention.dry_run(now=now)] == [0] * len(second)


def test_batches_stay_bounded_and_a_stopped_run_resumes(now):
    found = only(Category.ANSWER_IDENTITY)
    _kept_at, expired_at = ages(found, now)
    for _each in range(7):
        answer(expired_at)
    sizes: list[int] = []

    assert retention.apply_rule(found, now=now, batch_size=3, on_batch=sizes.append)
    assert sizes == [3, 3, 1]

    # A run stopped after one batch: the next one takes the rest.
    for _each in range(5):
        answer(expired_at)
    stopped: list[int] = []

    def stop_after_one(size: int) -> None:
        stopped.append(size)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        retention.apply_rule(found, now=now, batch_size=2, on_batch=stop_after_one)
    assert retention.expired(found, now=now).count() == 3
    assert retention.apply_rule(found, now=now, batch_size=2) == 3
    assert not SurveyResponse.objects.filter(customer__erased_at=None).exists()


def test_a_rule_switched_off_touches_nothing(now):
    found = only(Category.COMMENTS)
    _kept_at, expired_at = ages(found, now)
    old = answer(expired_at, comment="Keep me")
    rule(Category.COMMENTS, is_enabled=False)

    assert retention.apply_retention(now=now) == []
    assert retention.dry_run(now=now) == []
    old.refresh_from_db()
    assert old.comment == "Keep me"


def test_the_command_and_the_task_apply_the_rules(now):
    found = only(Category.COMMENTS)
    _kept_at, expired_at = ages(found, timezone.now())
    old = answer(expired_at - timedelta(days=1), comment="Old words")
    assert found.is_active

    out = StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert out.getvalue() == "comments: would anonymise 1 comment\n"
    old.refresh_from_db()
    assert old.comment == "Old words"

    assert apply_retention_task() == {"comments": 1}
    old.refresh_from_db()
    assert old.comment == ""
    out = StringIO()
    call_command("apply_retention", stdout=out)
    assert out.getvalue() == "comments: anonymised 0 comments\n"
