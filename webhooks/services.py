"""Signed webhooks: subscriptions and the events they want.

Emission. The lower apps announce what happened through `lib.hooks`
(settings.HOOKS names the handlers below). A handler runs in the transaction
of the change: it writes one Event (the object as the API serializes it) and
one Delivery per active subscription that wants the type, and asks a task to
deliver each after the commit. So no event is lost, and none goes out for a
change that was rolled back. Without a subscription for the type, nothing is
written. A customer's changes of one answer within a few minutes make one
response.updated event while none of its deliveries has started.

The delivery itself (claim, retry, give up, disable) is `webhooks.delivery`;
the signed request to a checked address is `webhooks.http`.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework import serializers as drf_serializers

from customers.models import Customer, Interaction
from customers.serializers import CustomerSerializer, InteractionSerializer
from feedback.models import CaseEvent
from feedback.serializers import CaseSerializer
from lib.validation import save_validated
from surveys.models import Invitation, SurveyResponse
from surveys.serializers import InvitationSerializer, SurveyResponseSerializer
from surveys.services import answers
from text.api import with_analysis
from text.serializers import SurveyResponseSerializer as AnalysedResponseSerializer
from webhooks import tasks
from webhooks.models import PING, Delivery, Event, Subscription

RESPONSE_UPDATED = "response.updated"
RESPONSE_ANALYSED = "response.analysed"
CASE_EVENT_TYPES = {
    CaseEvent.Kind.OPENED: "case.opened",
    CaseEvent.Kind.CONTACTED: "case.contacted",
    CaseEvent.Kind.CLOSED: "case.closed",
    CaseEvent.Kind.ESCALATED: "case.escalated",
}


# Subscriptions


def create_subscription(
    *, owner: User, url: str, event_types: list[str], is_active: bool = True
) -> Subscription:
    return save_validated(
        Subscription(owner=owner, url=url, event_types=event_types, is_active=is_active)
    )


def update_subscription(subscription: Subscription, **changes: Any) -> Subscription:
    """Change the URL, the event types or `is_active`; switching a disabled
    subscription on again starts its failure count afresh."""
    was_active = subscription.is_active
    for name, value in changes.items():
        setattr(subscription, name, value)
    if subscription.is_active and not was_active:
        subscription.consecutive_failures = 0
        subscription.disabled_at, subscription.disabled_reason = None, ""
    return save_validated(subscription)


def delete_subscription(subscription: Subscription) -> None:
    """With its deliveries and their log; events stay for other subscribers."""
    subscription.delete()


def reenable(subscription: Subscription) -> Subscription:
    return update_subscription(subscription, is_active=True)


def rotate_secret(subscription: Subscription) -> Subscription:
    """A new secret at once: requests signed from now on use it (a delivery
    retried later too)."""
    subscription.secret = Subscription._meta.get_field("secret").get_default()
    subscription.save(update_fields=["secret", "updated_at"])
    return subscription


def visible_to(user: Any) -> Q:
    """Everyone's subscriptions for managers and superusers; one's own else."""
    if user.has_perm("webhooks.manage_any_subscription"):
        return Q()
    return Q(owner_id=user.pk)


# Emission


def representation(
    serializer_class: type[drf_serializers.Serializer[Any]], obj: Any
) -> Any:
    """The object exactly as the API returns it, as JSON values."""
    return json.loads(json.dumps(serializer_class(obj).data))


def representations(
    serializer_class: type[drf_serializers.Serializer[Any]], objects: Sequence[Any]
) -> list[Any]:
    """`representation` of each object, the serializer's fields built once
    (per object, DRF takes 3 ms to build a case's)."""
    return list(json.loads(json.dumps(serializer_class(objects, many=True).data)))


def emit(
    event_type: str,
    data: Callable[[], Any],
    *,
    subscriptions: Iterable[Subscription] | None = None,
) -> Event | None:
    """Write the event and its deliveries in the caller's transaction, and
    ask for each delivery after the commit. `data` is called only when some
    subscription wants the event: most changes have no subscriber, and
    serializing costs queries."""
    if subscriptions is None:
        subscriptions = subscribers(event_type)
    subscriptions = list(subscriptions)
    if not subscriptions:
        return None
    now = timezone.now()
    event = Event.objects.create(type=event_type, created_at=now, payload=data())
    deliver_to(subscriptions, event=event, now=now)
    return event


def emit_each(
    event_type: str,
    data: Callable[[], Sequence[Any]],
    *,
    subscriptions: Iterable[Subscription] | None = None,
) -> list[Event]:
    """`emit` of several events of one type at once (an erasure closing a
    customer's cases), `data` giving their payloads: one INSERT for the
    events, one for their deliveries, and after the commit one task, the
    sweep's (delivery.queue_due), that asks for every delivery due; a task
    message each took 5 ms."""
    if subscriptions is None:
        subscriptions = subscribers(event_type)
    subscriptions = list(subscriptions)
    if not subscriptions:
        return []
    now = timezone.now()
    events = Event.objects.bulk_create(
        Event(type=event_type, created_at=now, payload=payload) for payload in data()
    )
    # Not queued_at: none of them has been asked for yet, the sweep asks.
    Delivery.objects.bulk_create(
        Delivery(subscription=subscription, event=event, next_attempt_at=now)
        for event in events
        for subscription in subscriptions
    )
    transaction.on_commit(queue_deliveries, robust=True)
    return events


def queue_deliveries() -> None:
    tasks.deliver_pending_webhooks_task.delay()


def subscribers(event_type: str) -> list[Subscription]:
    """The active subscriptions that want the event type."""
    return [
        subscription
        for subscription in Subscription.objects.filter(
            is_active=True, owner__is_active=True
        ).only("id", "event_types")
        # In Python, not with `event_types__contains`: SQLite has no JSON
        # containment, and the subscriptions are a handful.
        if event_type in subscription.event_types
    ]


def deliver_to(
    subscriptions: Iterable[Subscription], *, event: Event, now: datetime
) -> None:
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            subscription=subscription, event=event, next_attempt_at=now, queued_at=now
        )
        for subscription in subscriptions
    )
    for delivery in deliveries:
        # Robust: a broker that cannot be reached must not turn the change,
        # committed already, into an error; the delivery is due, and the
        # sweep sends it.
        transaction.on_commit(enqueue(delivery.pk), robust=True)


def enqueue(delivery_id: int) -> Callable[[], None]:
    # A named function, not a partial: Django names it when logging a failure.
    def deliver_webhook() -> None:
        tasks.deliver_webhook_task.delay(delivery_id)

    return deliver_webhook


def on_interaction_created(*, interaction: Interaction) -> None:
    emit(
        "interaction.created",
        lambda: representation(InteractionSerializer, interaction),
    )


def on_invitation_sent(*, invitation_id: int) -> None:
    def data() -> Any:
        invitation = Invitation.objects.get(id=invitation_id)
        return representation(InvitationSerializer, invitation)

    emit("invitation.sent", data)


def on_response_recorded(
    *,
    response: SurveyResponse,
    created: bool,
    previous: answers.Answer | None,
) -> None:
    def data() -> Any:
        return representation(SurveyResponseSerializer, response)

    if created:
        emit("response.created", data)
    else:
        emit_response_update(response.pk, data)


def emit_response_update(response_id: int, data: Callable[[], Any]) -> None:
    """response.updated, or, when the answer changed a moment ago and that
    event has not started going out, that event with the new payload: a link
    holder changing an answer again and again makes one event per
    answers.EDIT_COALESCING_WINDOW, not one per change."""
    subscriptions = subscribers(RESPONSE_UPDATED)
    if not subscriptions:
        return
    now = timezone.now()
    event = unsent_update(response_id, since=now - answers.EDIT_COALESCING_WINDOW)
    if event is None:
        emit(RESPONSE_UPDATED, data, subscriptions=subscriptions)
        return
    event.payload = data()
    event.save(update_fields=["payload"])
    # A subscription made since the event was written gets it too.
    served = set(event.deliveries.values_list("subscription_id", flat=True))
    new = [each for each in subscriptions if each.pk not in served]
    deliver_to(new, event=event, now=now)


def unsent_update(response_id: int, *, since: datetime) -> Event | None:
    """The latest response.updated event of the answer since `since`, if
    none of its deliveries has been tried or claimed yet. Its deliveries stay
    locked to the end of the transaction: a worker's claim waits, then posts
    the new payload; one claimed first is seen here, and the change gets an
    event of its own (the receiver may have the old payload already)."""
    latest = Event.objects.filter(
        type=RESPONSE_UPDATED, created_at__gt=since, payload__id=response_id
    ).order_by("-created_at")
    event = latest.first()
    if event is None:
        return None
    deliveries = Delivery.objects.select_for_update().filter(event=event)
    started = [
        delivery
        for delivery in deliveries
        if delivery.status != Delivery.Status.PENDING
        or delivery.attempts
        or delivery.claimed_at is not None
    ]
    return None if started else event


def on_comments_analysed(*, response_ids: Sequence[int]) -> None:
    """The `comments_analysed` hook (text): the readings of these answers'
    comments were stored, changed (a new reading, a staff correction, a
    contradiction found or gone) or removed with the comment. One
    response.analysed per answer carries it as the API shows it, `analysis`
    included (null once removed). The subscribers are looked up once: a
    batch reads hundreds of comments.

    An event of its own, not a response.updated: the reading comes a moment
    after the answer's own event, from a task, and is no change of the answer
    by its customer (whose edits response.updated coalesces)."""
    subscriptions = subscribers(RESPONSE_ANALYSED)
    for response_id in response_ids:
        emit(
            RESPONSE_ANALYSED,
            partial(_analysed_response, response_id),
            subscriptions=subscriptions,
        )


def _analysed_response(response_id: int) -> Any:
    response = with_analysis(SurveyResponse.objects.filter(pk=response_id)).get()
    return representation(AnalysedResponseSerializer, response)


def on_customer_unsubscribed(*, customer_id: int) -> None:
    emit(
        "customer.unsubscribed",
        lambda: representation(
            CustomerSerializer, Customer.objects.get(id=customer_id)
        ),
    )


def on_case_event(*, case_event: CaseEvent) -> None:
    event_type = CASE_EVENT_TYPES.get(case_event.kind)  # type: ignore[call-overload]
    if event_type is not None:
        emit(event_type, lambda: representation(CaseSerializer, case_event.case))


def on_case_events(*, case_events: Sequence[CaseEvent]) -> None:
    """The `case_events` hook: `on_case_event` of many cases' entries at
    once, an event each, written together (emit_each)."""
    by_type: dict[str, list[Any]] = {}
    for case_event in case_events:
        event_type = CASE_EVENT_TYPES.get(case_event.kind)  # type: ignore[call-overload]
        if event_type is not None:
            by_type.setdefault(event_type, []).append(case_event.case)
    for event_type, cases in by_type.items():
        emit_each(event_type, partial(representations, CaseSerializer, cases))


@transaction.atomic
def send_test_event(subscription: Subscription) -> Delivery:
    """A ping to this subscription alone, active or not: a way to check the
    receiver before switching a disabled subscription on again."""
    event = emit(
        PING,
        lambda: {
            "subscription": subscription.pk,
            "message": "A test event from Touchloop.",
        },
        subscriptions=[subscription],
    )
    assert event is not None  # noqa: S101 (one subscription was given)
    return Delivery.objects.get(event=event)
