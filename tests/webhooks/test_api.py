"""The webhooks API: one's own subscriptions (everyone's for managers), what
a subscription may be, the test event, a new secret and the delivery log."""

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from tests.api import authenticated
from tests.factories import ApiTokenFactory, SubscriptionFactory
from tokens.models import ApiToken
from webhooks import services
from webhooks.models import Delivery, DeliveryAttempt, Event, Subscription

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
WEBHOOKS = "/api/v1/webhooks/"
NOT_ALLOWED = {"detail": "You do not have permission to perform this action."}
NOT_FOUND = {"detail": "No Subscription matches the given query."}
VALID = {
    "url": "https://hooks.example.com/touchloop",
    "event_types": ["case.opened", "response.created"],
}

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def test_support_creates_a_subscription_of_their_own(support):
    reply = authenticated(support).post(WEBHOOKS, VALID, format="json")

    assert reply.status_code == 201
    subscription = Subscription.objects.get()
    assert reply.json() == {
        "id": subscription.pk,
        "owner": support.pk,
        "url": "https://hooks.example.com/touchloop",
        "event_types": ["case.opened", "response.created"],
        "secret": subscription.secret,
        "is_active": True,
        "consecutive_failures": 0,
        "last_succeeded_at": None,
        "disabled_at": None,
        "disabled_reason": "",
        "created_at": "2026-11-18T10:00:00Z",
        "updated_at": "2026-11-18T10:00:00Z",
    }
    assert subscription.secret.startswith("whsec_")
    assert len(subscription.secret) == 6 + 64


def test_a_secret_sent_by_the_client_is_ignored(support):
    reply = authenticated(support).post(
        WEBHOOKS, {**VALID, "secret": "whsec_mine"}, format="json"
    )

    assert reply.status_code == 201
    subscription = Subscription.objects.get()
    assert subscription.secret != "whsec_mine"
    assert reply.json()["secret"] == subscription.secret


def test_support_sees_and_changes_only_their_own(support, manager):
    own = SubscriptionFactory.create(owner=support)
    others = SubscriptionFactory.create(owner=manager, url="https://a.example/")
    client = authenticated(support)

    listed = client.get(WEBHOOKS).json()["results"]
    assert [row["id"] for row in listed] == [own.pk]
    assert client.get(f"{WEBHOOKS}{others.pk}/").status_code == 404
    reply = client.patch(
        f"{WEBHOOKS}{others.pk}/", {"url": "https://evil.example/"}, format="json"
    )
    assert reply.status_code == 404
    assert client.delete(f"{WEBHOOKS}{others.pk}/").status_code == 404
    assert client.post(f"{WEBHOOKS}{others.pk}/test/").status_code == 404
    assert client.get(f"{WEBHOOKS}{others.pk}/deliveries/").status_code == 404
    others.refresh_from_db()
    assert others.url == "https://a.example/"
    assert Event.objects.count() == 0


def test_a_manager_sees_and_changes_everyones(support, manager):
    theirs = SubscriptionFactory.create(owner=support)
    mine = SubscriptionFactory.create(owner=manager)
    client = authenticated(manager)

    listed = client.get(WEBHOOKS).json()["results"]
    assert [row["id"] for row in listed] == [theirs.pk, mine.pk]
    reply = client.patch(
        f"{WEBHOOKS}{theirs.pk}/", {"event_types": ["case.closed"]}, format="json"
    )
    assert reply.status_code == 200
    theirs.refresh_from_db()
    assert theirs.event_types == ["case.closed"]
    assert theirs.owner == support


def test_outsiders_and_strangers_are_refused(outsider, support):
    subscription = SubscriptionFactory.create(owner=support)
    client = authenticated(outsider)

    assert client.get(WEBHOOKS).status_code == 403
    reply = client.post(WEBHOOKS, VALID, format="json")
    assert (reply.status_code, reply.json()) == (403, NOT_ALLOWED)
    assert client.post(f"{WEBHOOKS}{subscription.pk}/test/").status_code == 403
    assert client.delete(f"{WEBHOOKS}{subscription.pk}/").status_code == 403
    assert APIClient().get(WEBHOOKS).status_code == 401
    assert APIClient().post(WEBHOOKS, VALID, format="json").status_code == 401
    assert Subscription.objects.count() == 1
    assert Event.objects.count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/touchloop",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://hooks.example.com/touch loop",
        "https://hooks example.com/",
        "hooks.example.com/touchloop",
        "",
        "https://" + "a" * 500 + ".example/",
    ],
)
def test_only_http_and_https_urls_are_accepted(support, url):
    reply = authenticated(support).post(WEBHOOKS, {**VALID, "url": url}, format="json")

    assert reply.status_code == 400
    assert list(reply.json()) == ["url"]
    assert Subscription.objects.count() == 0


@pytest.mark.parametrize(
    ("event_types", "error"),
    [
        (["case.deleted"], ['"case.deleted" is not a valid choice.']),
        (["ping"], ['"ping" is not a valid choice.']),
        ([], ["Ensure this field has at least 1 elements."]),
        (["case.opened", "case.opened"], ["Name each event type once."]),
        ("case.opened", ['Expected a list of items but got type "str".']),
    ],
)
def test_event_types_must_be_known_and_listed_once(support, event_types, error):
    reply = authenticated(support).post(
        WEBHOOKS, {**VALID, "event_types": event_types}, format="json"
    )

    assert reply.status_code == 400
    errors = reply.json()["event_types"]
    flat = errors if isinstance(errors, list) else next(iter(errors.values()))
    assert flat == error
    assert Subscription.objects.count() == 0


def test_the_test_action_queues_a_ping_for_that_subscription(
    support, queued, django_capture_on_commit_callbacks
):
    subscription = SubscriptionFactory.create(owner=support)
    SubscriptionFactory.create(owner=support)

    with django_capture_on_commit_callbacks(execute=True):
        reply = authenticated(support).post(f"{WEBHOOKS}{subscription.pk}/test/")

    assert reply.status_code == 202
    delivery = Delivery.objects.get()
    assert reply.json() == {
        "id": delivery.pk,
        "event": str(delivery.event_id),
        "event_type": "ping",
        "event_created_at": "2026-11-18T10:00:00Z",
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": "2026-11-18T10:00:00Z",
        "last_status_code": None,
        "last_error": "",
        "delivered_at": None,
        "attempt_log": [],
    }
    assert delivery.subscription == subscription
    assert queued == [delivery.pk]


def test_rotating_the_secret(support):
    subscription = SubscriptionFactory.create(owner=support)
    old = subscription.secret

    reply = authenticated(support).post(f"{WEBHOOKS}{subscription.pk}/rotate-secret/")

    assert reply.status_code == 200
    subscription.refresh_from_db()
    assert subscription.secret != old
    assert reply.json()["secret"] == subscription.secret


def test_switching_a_disabled_subscription_on_again(support):
    subscription = SubscriptionFactory.create(
        owner=support,
        is_active=False,
        consecutive_failures=20,
        disabled_at=NOW - timedelta(hours=1),
        disabled_reason="Failing",
    )

    reply = authenticated(support).patch(
        f"{WEBHOOKS}{subscription.pk}/", {"is_active": True}, format="json"
    )

    assert reply.status_code == 200
    assert reply.json()["is_active"] is True
    assert reply.json()["consecutive_failures"] == 0
    assert reply.json()["disabled_at"] is None
    assert reply.json()["disabled_reason"] == ""


def test_deleting_a_subscription(support):
    subscription = SubscriptionFactory.create(owner=support)
    services.send_test_event(subscription)

    assert (
        authenticated(support).delete(f"{WEBHOOKS}{subscription.pk}/").status_code
        == 204
    )

    assert Subscription.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_the_delivery_log_newest_first_with_its_attempts(
    support, django_assert_num_queries
):
    subscription = SubscriptionFactory.create(owner=support)
    first = services.send_test_event(subscription)
    second = services.send_test_event(subscription)
    for status_code, ms in [(500, 120), (200, 80)]:
        DeliveryAttempt.objects.create(
            delivery=first, attempted_at=NOW, status_code=status_code, response_ms=ms
        )
    client = authenticated(support)

    # The user's permissions (2), the subscription, the page, the attempts.
    with django_assert_num_queries(5):
        reply = client.get(f"{WEBHOOKS}{subscription.pk}/deliveries/")

    assert reply.status_code == 200
    rows = reply.json()["results"]
    assert [row["id"] for row in rows] == [second.pk, first.pk]
    assert rows[1]["attempt_log"] == [
        {
            "attempted_at": "2026-11-18T10:00:00Z",
            "status_code": 500,
            "response_ms": 120,
            "error": "",
        },
        {
            "attempted_at": "2026-11-18T10:00:00Z",
            "status_code": 200,
            "response_ms": 80,
            "error": "",
        },
    ]


def test_the_secret_is_in_no_get(support):
    subscription = SubscriptionFactory.create(owner=support)
    client = authenticated(support)

    listed = client.get(WEBHOOKS).json()["results"]
    detail = client.get(f"{WEBHOOKS}{subscription.pk}/").json()
    changed = client.patch(
        f"{WEBHOOKS}{subscription.pk}/", {"is_active": False}, format="json"
    ).json()

    assert [item["id"] for item in listed] == [subscription.pk]
    assert "secret" not in listed[0]
    assert "secret" not in detail
    assert "secret" not in changed
    assert subscription.secret not in str([listed, detail, changed])


def test_a_read_token_never_sees_the_secret(support):
    subscription = SubscriptionFactory.create(owner=support)
    token = ApiTokenFactory.create(user=support, scope=ApiToken.Scope.READ)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    old = subscription.secret

    detail = client.get(f"{WEBHOOKS}{subscription.pk}/")
    rotated = client.post(f"{WEBHOOKS}{subscription.pk}/rotate-secret/")

    assert detail.status_code == 200
    assert "secret" not in detail.json()
    assert rotated.status_code == 403
    assert rotated.json() == {"detail": "This token may only read."}
    subscription.refresh_from_db()
    assert subscription.secret == old


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:6379/",
        "http://api.localhost/",
        "http://127.0.0.1:8000/in",
        "http://10.1.2.3/in",
        "http://192.168.0.10/in",
        "http://[::1]/in",
        "http://[::ffff:127.0.0.1]/in",
        # IPv6 forms that embed a private or loopback IPv4 address: 6to4
        # (127.0.0.1, 169.254.169.254), Teredo, IPv4-compatible, NAT64.
        "http://[2002:7f00:1::1]/in",
        "http://[2002:a9fe:a9fe::1]/in",
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/in",
        "http://[::7f00:1]/in",
        "http://[64:ff9b::a00:1]/in",
        "http://0.0.0.0/in",
        "http://224.0.0.1/in",
    ],
)
def test_a_private_url_is_refused_at_save(support, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False

    reply = authenticated(support).post(WEBHOOKS, {**VALID, "url": url}, format="json")

    assert reply.status_code == 400
    [message] = reply.json()["url"]
    assert "it is a local or private address." in message
    assert Subscription.objects.count() == 0


def test_a_private_url_is_refused_when_changing_too(support, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    subscription = SubscriptionFactory.create(owner=support, url=VALID["url"])

    reply = authenticated(support).patch(
        f"{WEBHOOKS}{subscription.pk}/",
        {"url": "http://169.254.169.254/"},
        format="json",
    )

    assert reply.status_code == 400
    subscription.refresh_from_db()
    assert subscription.url == VALID["url"]


def test_a_public_url_or_a_name_is_accepted_with_private_urls_refused(
    support, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    client = authenticated(support)

    public = [
        "https://hooks.example.com/in",
        "http://93.184.216.34/in",
        "http://[::ffff:93.184.216.34]/in",
        "http://[2002:5db8:d822::1]/in",  # 6to4 of 93.184.216.34
    ]
    for url in public:
        reply = client.post(WEBHOOKS, {**VALID, "url": url}, format="json")
        assert reply.status_code == 201, reply.json()

    assert Subscription.objects.count() == len(public)
