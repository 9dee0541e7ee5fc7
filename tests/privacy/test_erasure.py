"""erase_customer: what is left of the person (nothing), what is closed and
cancelled, what subscribers hear, and that a second run is harmless."""

import json
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer, SuppressedAddress, suppression_digest
from customers.services import create_customer
from feedback.models import Alert, Case, CaseEvent
from feedback.serializers import CaseSerializer
from feedback.services.cases import open_case
from imports import services as imports
from privacy.models import ErasureRecord, PrivacyRequest
from privacy.services.erasure import erase_customer
from surveys.models import Invitation, ScoreRollup, SurveyResponse
from tests.api import bearer
from tests.factories import CaseEventFactory, CustomerFactory
from tests.imports.conftest import csv_bytes
from tests.privacy.history import EMAIL, PERSONAL, build_history
from text import services as text
from text.models import CommentAnalysis
from webhooks import tasks as webhook_tasks
from webhooks.models import Delivery, Event

pytestmark = pytest.mark.django_db

ERASED_AT = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)

SUPPRESSED = (
    "This address was erased under a privacy request and is on the suppression "
    "list; it cannot be added again."
)


@pytest.fixture(autouse=True)
def private_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def test_anonymising_keeps_the_answers_under_an_anonymous_customer(support, manager):
    history = build_history(support, manager)
    person = history.customer
    answers = list(
        SurveyResponse.objects.filter(customer=person)
        .order_by("pk")
        .values("pk", "score", "band", "kind", "channel", "answered_at")
    )
    request = PrivacyRequest.objects.create(
        kind=PrivacyRequest.Kind.ERASURE, customer=person
    )

    erasure = erase_customer(person, request=request, by=manager)

    assert erasure.found
    assert erasure.tombstone_id is not None
    assert not Customer.objects.filter(pk=person.pk).exists()
    tombstone = Customer.objects.get(pk=erasure.tombstone_id)
    assert (tombstone.name, tombstone.email, tombstone.phone) == ("", "", "")
    assert (tombstone.external_id, tombstone.tags) == ("", [])
    # Dated to the day only, not to the erasure's moment.
    assert erasure.erased_at is not None
    assert tombstone.erased_at == erasure.erased_at.replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    kept = SurveyResponse.objects.filter(customer=tombstone).order_by("pk")
    assert (
        list(kept.values("pk", "score", "band", "kind", "channel", "answered_at"))
        == answers
    )
    assert set(kept.values_list("comment", flat=True)) == {""}
    assert set(tombstone.interactions.values_list("subject", "notes")) == {("", "")}
    request.refresh_from_db()
    assert request.status == PrivacyRequest.Status.DONE
    assert request.completed_at == erasure.erased_at
    record = ErasureRecord.objects.get()
    assert (record.request, record.mode, record.answers_removed) == (
        request,
        "anonymise",
        0,
    )
    assert record.counts["answers_anonymised"] == 2
    assert record.counts["comments_blanked"] == 2
    assert record.counts["cases_closed"] == 1
    assert record.counts["invitations_cancelled"] == 1
    assert record.counts["suppressed"] == 1
    assert not any(text in str(record.counts) for text in PERSONAL)


def test_the_open_case_is_closed_as_erased_with_a_timeline_entry(support, manager):
    history = build_history(support, manager)

    erasure = erase_customer(history.customer)

    case = Case.objects.get(pk=history.case.pk)
    assert (case.status, case.closed_as, case.closed_at) == (
        Case.Status.CLOSED,
        Case.ClosedAs.ERASED,
        erasure.erased_at,
    )
    assert case.root_cause is None
    assert case.recovery_invitation is None
    closed = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.CLOSED)
    assert (closed.actor, closed.note, closed.data) == (
        None,
        "",
        {"closed_as": "erased"},
    )
    assert set(case.events.values_list("note", flat=True)) == {""}


def test_subscribers_hear_each_case_the_erasure_closed_through_one_task(
    support, manager, django_capture_on_commit_callbacks, monkeypatch
):
    history = build_history(support, manager)
    second = open_case(customer=history.customer, by=manager)
    sweeps: list[str] = []
    monkeypatch.setattr(
        webhook_tasks.deliver_pending_webhooks_task,
        "delay",
        lambda: sweeps.append("asked"),
    )
    one_by_one: list[int] = []
    monkeypatch.setattr(webhook_tasks.deliver_webhook_task, "delay", one_by_one.append)

    with django_capture_on_commit_callbacks(execute=True):
        erase_customer(history.customer)

    closed = Event.objects.filter(type="case.closed").order_by("payload__id")
    cases = Case.objects.filter(pk__in=[history.case.pk, second.pk]).order_by("pk")
    assert [event.payload for event in closed] == [
        json.loads(json.dumps(CaseSerializer(case).data)) for case in cases
    ]
    assert {event.payload["status"] for event in closed} == {"closed"}
    deliveries = Delivery.objects.filter(event__in=closed)
    assert deliveries.count() == 2  # one subscription, two cases
    assert {(each.status, each.queued_at) for each in deliveries} == {
        (Delivery.Status.PENDING, None)
    }
    # One message for the broker, not one per delivery: the sweep asks for
    # every delivery due. Only customer.erased's delivery is asked for itself.
    assert sweeps == ["asked"]
    erased = Delivery.objects.get(event__type="customer.erased")
    assert one_by_one == [erased.pk]


def test_the_alerts_of_the_cases_it_closes_are_dropped_and_no_one_elses(
    support, manager
):
    history = build_history(support, manager)
    second = open_case(customer=history.customer, by=manager)
    elsewhere = open_case(customer=CustomerFactory.create(), by=manager)

    def alert(case: Case, *, sent: bool = False) -> Alert:
        return Alert.objects.create(
            event=CaseEventFactory.create(case=case),
            channel=Alert.Channel.EMAIL,
            recipient=manager,
            next_attempt_at=None if sent else ERASED_AT,
            sent_at=ERASED_AT if sent else None,
        )

    unsent = [alert(history.case), alert(second)]
    sent, theirs = alert(second, sent=True), alert(elsewhere)

    erase_customer(history.customer, now=ERASED_AT)

    for each in unsent:
        each.refresh_from_db()
        assert (each.next_attempt_at, each.dropped_at, each.drop_reason) == (
            None,
            ERASED_AT,
            Alert.DropReason.CLOSED,
        )
    for each in (sent, theirs):
        before = (each.next_attempt_at, each.sent_at)
        each.refresh_from_db()
        assert (each.next_attempt_at, each.sent_at, each.dropped_at) == (*before, None)


def test_pending_mail_is_cancelled_and_errors_quoting_the_address_go(support, manager):
    history = build_history(support, manager)

    erase_customer(history.customer)

    pending = Invitation.objects.get(pk=history.pending.pk)
    assert (pending.status, pending.last_error) == (
        Invitation.Status.CANCELLED,
        "Cancelled: the customer was erased.",
    )


def test_subscribers_get_customer_erased_and_nothing_personal(support, manager):
    history = build_history(support, manager)
    pk = history.customer.pk
    earlier = set(Event.objects.values_list("pk", flat=True))
    assert earlier

    erasure = erase_customer(history.customer)

    erased = Event.objects.get(type="customer.erased")
    assert erasure.erased_at is not None
    assert erased.payload == {
        "id": pk,
        "erased_at": erasure.erased_at.isoformat().replace("+00:00", "Z"),
    }
    assert Delivery.objects.filter(
        event=erased, status=Delivery.Status.PENDING
    ).exists()
    # The events written before: none still quotes the person, and none of
    # them goes out any more.
    for event in Event.objects.filter(pk__in=earlier):
        assert not any(text in str(event.payload) for text in PERSONAL)
    assert not Delivery.objects.filter(
        event_id__in=earlier, status=Delivery.Status.PENDING
    ).exists()


def test_the_address_goes_on_the_suppression_list_as_a_keyed_hash(
    support, manager, settings
):
    history = build_history(support, manager)

    erase_customer(history.customer)

    row = SuppressedAddress.objects.get()
    assert row.digest == suppression_digest(EMAIL)
    assert EMAIL not in row.digest
    assert SuppressedAddress.objects.is_suppressed(
        "  Zebulon.Quartermaine@ERASE.example "
    )
    # A rotated secret keeps the list: the old key is a fallback.
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-" + "x" * 50
    assert SuppressedAddress.objects.is_suppressed(EMAIL)


def test_an_api_create_with_the_erased_address_is_refused_as_suppressed(
    support, manager
):
    history = build_history(support, manager)
    erase_customer(history.customer)
    before = Customer.objects.count()

    response = bearer(support).post(
        "/api/v1/customers/",
        {"name": "Someone", "email": EMAIL.upper()},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"email": [SUPPRESSED]}
    assert Customer.objects.count() == before


def test_changing_an_address_to_the_erased_one_is_refused(support, manager):
    history = build_history(support, manager)
    erase_customer(history.customer)
    other = create_customer(name="Other", email="other@example.com")

    response = bearer(support).patch(
        f"/api/v1/customers/{other.pk}/", {"email": EMAIL}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"email": [SUPPRESSED]}
    other.refresh_from_db()
    assert other.email == "other@example.com"
    with pytest.raises(ValidationError):
        create_customer(name="Again", email=EMAIL)


def test_a_csv_row_with_the_erased_address_is_refused_as_suppressed(support, manager):
    history = build_history(support, manager)
    erase_customer(history.customer)
    before = Customer.objects.count()

    report = imports.import_customers(
        csv_bytes(f"name,email\nAgain,{EMAIL}\nFresh,fresh@example.com\n"),
        dry_run=False,
        user=None,
    )

    assert (report.created, report.failed) == (1, 1)
    assert [error.as_dict() for error in report.errors] == [
        {"line": 2, "column": "email", "message": SUPPRESSED}
    ]
    assert Customer.objects.count() == before + 1
    assert not Customer.objects.with_email(EMAIL).exists()


def test_erasing_twice_is_safe(support, manager):
    history = build_history(support, manager)
    first = erase_customer(history.customer)
    state = (
        Customer.objects.count(),
        SurveyResponse.objects.count(),
        Event.objects.count(),
        SuppressedAddress.objects.count(),
    )

    assert first.tombstone_id is not None
    again = erase_customer(history.customer.pk)
    tombstone = erase_customer(first.tombstone_id)

    assert (again.found, again.counts) == (False, {})
    assert (tombstone.found, tombstone.counts) == (False, {})
    assert state == (
        Customer.objects.count(),
        SurveyResponse.objects.count(),
        Event.objects.count(),
        SuppressedAddress.objects.count(),
    )
    assert ErasureRecord.objects.count() == 1


def test_delete_mode_removes_the_answers_and_the_rollups_follow(support, manager):
    history = build_history(support, manager)
    person = history.customer
    ids = list(
        SurveyResponse.objects.filter(customer=person).values_list("pk", flat=True)
    )
    counted_before = counted_answers()

    erasure = erase_customer(person, mode="delete")

    assert erasure.tombstone_id is None
    assert not SurveyResponse.objects.filter(pk__in=ids).exists()
    assert not Case.objects.filter(pk=history.case.pk).exists()
    assert not Invitation.objects.filter(customer_id=person.pk).exists()
    assert not Customer.objects.filter(pk=person.pk).exists()
    assert counted_answers() == counted_before - 2
    record = ErasureRecord.objects.get()
    assert (record.mode, record.answers_removed) == ("delete", 2)
    assert record.counts["cases_deleted"] == 1
    assert SuppressedAddress.objects.is_suppressed(EMAIL)


def counted_answers() -> int:
    """The answers the score rollup counts, once each (its "all" rows)."""
    rows = ScoreRollup.objects.filter(dimension=ScoreRollup.Dimension.ALL)
    return sum(row.promoters + row.passives + row.detractors for row in rows)


def test_comment_readings_stay_without_the_comments_words(support, manager):
    history = build_history(support, manager)
    ids = list(
        SurveyResponse.objects.filter(customer=history.customer).values_list(
            "pk", flat=True
        )
    )
    for response_id in ids:
        text.read_comments_from(response_id)
    readings = {
        row.pk: (row.score, row.label)
        for row in CommentAnalysis.objects.filter(response_id__in=ids)
    }
    assert len(readings) == 2

    erase_customer(history.customer)
    text.read_missed_comments()  # the sweep takes nothing away

    kept = CommentAnalysis.objects.filter(response_id__in=ids)
    assert {row.pk: (row.score, row.label) for row in kept} == readings
    assert [(row.keywords, row.spans) for row in kept] == [([], []), ([], [])]
    answer = bearer(manager).get(f"/api/v1/responses/{ids[0]}/").json()
    assert answer["comment"] == ""
    assert answer["analysis"]["keywords"] == []
    assert answer["analysis"]["sentiment"] == readings[ids[0]][1]
