"""A customer's history built through the real doors (the API with an
Idempotency-Key, a CSV import, the survey answer service, the case
services, a webhook subscription), for the erasure tests."""

import io
from dataclasses import dataclass

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType

from customers.models import Channel, Customer
from customers.services import log_interaction
from feedback.models import Case
from feedback.services.cases import add_note
from imports import services as imports
from surveys.models import Invitation, Kind
from surveys.services.answers import record_response
from tests.api import bearer
from tests.factories import InvitationFactory, SurveyFactory
from webhooks.models import EVENT_TYPES
from webhooks.services import create_subscription

NAME = "Zebulon Quartermaine"
EMAIL = "zebulon.quartermaine@erase.example"
PHONE = "+86 138 0013 8000"
EXTERNAL_ID = "crm-zq-4711"
COMMENT = "the courier smashed my celadon teapot"
SECOND_COMMENT = "loved how the refund arrived before breakfast"
SUBJECT = "Zebulon asked about the teapot"
NOTES = "Zebulon prefers calls after his shift at Pier 9"
CASE_NOTE = "Rang Zebulon on +86 138 0013 8000, left a message"
PERSONAL = [NAME, EMAIL, PHONE, EXTERNAL_ID, COMMENT, SECOND_COMMENT, SUBJECT, NOTES]


@dataclass
class History:
    customer: Customer
    case: Case
    pending: Invitation


def build_history(support, manager) -> History:
    create_subscription(
        owner=manager, url="https://receiver.example/hooks", event_types=EVENT_TYPES
    )
    created = bearer(support).post(
        "/api/v1/customers/",
        {"name": NAME, "email": EMAIL, "external_id": EXTERNAL_ID},
        format="json",
        headers={"Idempotency-Key": "create-zebulon"},
    )
    assert created.status_code == 201, created.json()
    report = imports.import_customers(
        io.BytesIO(f"email,phone\n{EMAIL},{PHONE}\n".encode()),
        dry_run=False,
        user=None,
    )
    assert (report.updated, report.failed) == (1, 0)
    customer = Customer.objects.get(pk=created.json()["id"])
    interaction = log_interaction(
        customer=customer,
        channel=Channel.PHONE,
        logged_by=support,
        subject=SUBJECT,
        notes=NOTES,
    )
    nps = SurveyFactory.create(kind=Kind.NPS)
    csat = SurveyFactory.create(kind=Kind.CSAT)
    unhappy = InvitationFactory.create(
        survey=nps, interaction=interaction, customer=customer
    )
    record_response(unhappy, score=2, comment=COMMENT)
    happy = InvitationFactory.create(
        survey=csat, interaction=interaction, customer=customer
    )
    record_response(happy, score=5, comment=SECOND_COMMENT)
    case = Case.objects.get(response__invitation=unhappy)
    add_note(case, by=manager, note=CASE_NOTE)
    pending = InvitationFactory.create(
        survey=SurveyFactory.create(kind=Kind.CES),
        interaction=None,
        customer=customer,
        status=Invitation.Status.SCHEDULED,
        sent_at=None,
        last_error=f"550 mailbox {EMAIL} is full",
    )
    LogEntry.objects.log_actions(
        user_id=support.pk,
        queryset=[customer],
        action_flag=CHANGE,
        change_message="[]",
        single_object=True,
    )
    assert ContentType.objects.get_for_model(Customer)
    customer.refresh_from_db()
    return History(customer=customer, case=case, pending=pending)
