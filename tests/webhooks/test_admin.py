"""Webhook subscriptions in the admin: adding one, the page with its latest
deliveries, the actions, and who sees whose."""

from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.factories import SubscriptionFactory
from webhooks import services
from webhooks.models import Delivery, DeliveryAttempt, Subscription

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
CHANGELIST = reverse("admin:webhooks_subscription_changelist")
ADD = reverse("admin:webhooks_subscription_add")


def change_url(subscription: Subscription) -> str:
    return reverse("admin:webhooks_subscription_change", args=[subscription.pk])


def test_support_adds_a_subscription_of_their_own(client, support):
    client.force_login(support)

    reply = client.post(
        ADD,
        {
            "url": "https://hooks.example.com/in",
            "event_types": ["case.opened", "case.closed"],
            "is_active": "on",
        },
    )

    assert reply.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.owner == support
    assert subscription.event_types == ["case.opened", "case.closed"]
    assert subscription.secret.startswith("whsec_")


def test_an_ftp_url_is_refused_in_the_admin(client, support):
    client.force_login(support)

    reply = client.post(
        ADD, {"url": "ftp://hooks.example.com/in", "event_types": ["case.opened"]}
    )

    assert reply.status_code == 200
    assert "Enter a valid URL." in reply.content.decode()
    assert Subscription.objects.count() == 0


def test_the_page_shows_its_owner_the_secret_and_the_latest_deliveries(client, support):
    subscription = SubscriptionFactory.create(owner=support)
    delivery = services.send_test_event(subscription)
    Delivery.objects.filter(id=delivery.pk).update(
        attempts=1, last_status_code=500, last_error="HTTP 500"
    )
    DeliveryAttempt.objects.create(
        delivery=delivery, attempted_at=NOW, status_code=500, response_ms=12
    )
    client.force_login(support)

    page = client.get(change_url(subscription)).content.decode()

    assert subscription.secret in page
    assert "<td>HTTP 500</td>" in page
    log = client.get(
        reverse("admin:webhooks_delivery_change", args=[delivery.pk])
    ).content.decode()
    assert "A test event from Touchloop." in log
    assert ">12<" in log


def test_support_sees_only_their_own(client, support, manager):
    theirs = SubscriptionFactory.create(owner=manager)
    client.force_login(support)

    assert client.get(change_url(theirs)).status_code == 302  # "doesn't exist"
    assert theirs.url not in client.get(CHANGELIST).content.decode()


def test_the_test_action_queues_a_ping(client, manager, queued):
    subscription = SubscriptionFactory.create(owner=manager)
    client.force_login(manager)

    reply = client.post(
        CHANGELIST,
        {"action": "send_test_event", "_selected_action": [subscription.pk]},
        follow=True,
    )

    delivery = Delivery.objects.get()
    assert delivery.event.type == "ping"
    assert delivery.subscription == subscription
    assert [str(m) for m in get_messages(reply.wsgi_request)] == [
        "A test event is on its way to 1 subscription."
    ]


def test_the_enable_again_action(client, manager):
    subscription = SubscriptionFactory.create(
        owner=manager, is_active=False, consecutive_failures=30, disabled_at=NOW
    )
    client.force_login(manager)

    client.post(
        CHANGELIST, {"action": "reenable", "_selected_action": [subscription.pk]}
    )

    subscription.refresh_from_db()
    assert (subscription.is_active, subscription.consecutive_failures) == (True, 0)
    assert subscription.disabled_at is None


def test_the_new_secret_action(client, manager):
    subscription = SubscriptionFactory.create(owner=manager)
    old = subscription.secret
    client.force_login(manager)

    client.post(
        CHANGELIST, {"action": "rotate_secret", "_selected_action": [subscription.pk]}
    )

    subscription.refresh_from_db()
    assert subscription.secret != old


def test_a_manager_does_not_see_someone_elses_secret(client, support, manager):
    subscription = SubscriptionFactory.create(owner=support)
    client.force_login(manager)

    page = client.get(change_url(subscription)).content.decode()

    assert subscription.url in page
    assert subscription.secret not in page
    assert "Shown to the subscription&#x27;s owner only." in page


def test_a_private_url_is_refused_in_the_admin(client, support, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    client.force_login(support)

    reply = client.post(
        ADD, {"url": "http://169.254.169.254/latest", "event_types": ["case.opened"]}
    )

    assert reply.status_code == 200
    assert (
        "Webhooks cannot be sent to 169.254.169.254: it is a local or private address."
        in reply.content.decode()
    )
    assert Subscription.objects.count() == 0
