"""What an erasure must not reach, and what it must close: another
customer's records that happen to share the person's words stay whole; the
survey links mailed to the person stop working; a pilot that listed them
lists their anonymous stand-in; their comment's reading outlives the words;
an address staff put on the list leaves its customer editable."""

from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import Customer, SuppressedAddress, suppression_digest
from lib.validation import save_validated
from pilots.models import Kpi, Pilot
from privacy.models import ErasureRecord, customer_digest_of
from privacy.services.erasure import erase_customer
from surveys import tokens
from surveys.models import Invitation, SurveyResponse
from surveys.services.answers import record_response
from tests.api import bearer
from tests.factories import CustomerFactory, InvitationFactory, SurveyFactory
from tests.privacy.history import COMMENT, build_history
from text import services as text
from text import tasks as text_tasks
from text.models import CommentAnalysis
from webhooks.models import Delivery, Event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def test_another_customers_records_with_the_same_words_stay_whole(support, manager):
    history = build_history(support, manager)
    created = bearer(support).post(
        "/api/v1/customers/",
        {"name": "Ada Other", "email": "ada@other.example"},
        format="json",
        headers={"Idempotency-Key": "create-ada"},
    )
    other = Customer.objects.get(pk=created.json()["id"])
    # The same words as the person's comment, in someone else's answer.
    record_response(
        InvitationFactory.create(customer=other, survey=SurveyFactory.create()),
        score=3,
        comment=COMMENT,
    )
    theirs = Event.objects.filter(payload__customer=other.pk)
    assert theirs.exists()
    payloads = {event.pk: event.payload for event in theirs}
    pending = set(
        Delivery.objects.filter(
            event__in=theirs, status=Delivery.Status.PENDING
        ).values_list("pk", flat=True)
    )

    erase_customer(history.customer)

    assert {event.pk: event.payload for event in theirs} == payloads
    assert (
        set(
            Delivery.objects.filter(
                event__in=theirs, status=Delivery.Status.PENDING
            ).values_list("pk", flat=True)
        )
        == pending
    )
    replayed = bearer(support).post(
        "/api/v1/customers/",
        {"name": "Ada Other", "email": "ada@other.example"},
        format="json",
        headers={"Idempotency-Key": "create-ada"},
    )
    assert replayed.json()["id"] == other.pk  # replayed, not run again
    assert Customer.objects.filter(email="ada@other.example").count() == 1


def test_the_links_mailed_to_the_person_stop_working(client, support, manager):
    history = build_history(support, manager)
    invitations = Invitation.objects.filter(customer=history.customer)
    links = [f"/s/{tokens.token_for(row.nonce)}/" for row in invitations]
    statuses = sorted(invitations.values_list("status", flat=True))
    answered = SurveyResponse.objects.filter(customer=history.customer).count()

    erasure = erase_customer(history.customer)

    for link in links:
        assert client.get(link).status_code == 404
        assert client.post(link, {"score": "9", "comment": "me again"}).status_code == (
            404
        )
    assert erasure.tombstone_id is not None
    kept = Invitation.objects.filter(customer_id=erasure.tombstone_id)
    # The funnel's counts stay: only the cancelled reminder's status moved.
    assert len(statuses) == kept.count()
    assert SurveyResponse.objects.filter(customer_id=erasure.tombstone_id).count() == (
        answered
    )
    assert not SurveyResponse.objects.filter(comment="me again").exists()


def test_a_pilot_that_listed_the_person_lists_their_stand_in(support, manager):
    history = build_history(support, manager)
    someone = CustomerFactory.create()
    pilot = Pilot.objects.create(
        name="Callback",
        hypothesis="Calling back helps.",
        primary_kpi=Kpi.objects.create(name="NPS", formula="nps"),
        unit="customer",
        treatment=[history.customer.pk, someone.pk],
        control=[CustomerFactory.create().pk],
        go_live=timezone.localdate(),
        planned_end=timezone.localdate() + timedelta(days=30),
        min_effect=5,
    )

    erasure = erase_customer(history.customer)

    pilot.refresh_from_db()
    assert pilot.treatment == [erasure.tombstone_id, someone.pk]


def test_the_reading_of_an_erased_comment_outlives_a_later_reading(
    support, manager, monkeypatch
):
    history = build_history(support, manager)
    answer = SurveyResponse.objects.get(customer=history.customer, comment=COMMENT)
    text.enrich_comment(answer.pk)
    label = CommentAnalysis.objects.get(pk=answer.pk).label

    erase_customer(history.customer)
    # A reading queued before the erasure, or retried after it, runs.
    monkeypatch.setattr(text_tasks.enrich_comment_task, "delay", lambda *args: None)
    text.read_comments_from(answer.pk)
    text.enrich_comment(answer.pk)

    assert CommentAnalysis.objects.get(pk=answer.pk).label == label


def test_the_record_keeps_no_id_of_the_person(support, manager):
    history = build_history(support, manager)
    pk = history.customer.pk

    erase_customer(history.customer)

    record = ErasureRecord.objects.get()
    stored = [
        getattr(record, field.attname)
        for field in record._meta.concrete_fields
        if field.attname != "id"
    ]
    assert pk not in stored
    assert str(pk) not in stored
    # A keyed hash: the command can still say "erased already".
    assert record.customer_digest == customer_digest_of(pk)


def test_a_customer_whose_address_staff_suppressed_stays_editable():
    customer = CustomerFactory.create(email="kept@example.com")
    SuppressedAddress.objects.create(
        digest=suppression_digest("kept@example.com"),
        source=SuppressedAddress.Source.STAFF,
    )

    customer.name = "Renamed"
    save_validated(customer)

    assert Customer.objects.get(pk=customer.pk).name == "Renamed"
