"""Deliveries reach a real HTTP server that checks their signatures; failures
are retried with a growing backoff for a day; a subscription that keeps
failing is disabled and its owner told."""

import email
import email.policy
import json
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine

from customers.models import Customer
from surveys.services import answers
from tests.factories import CustomerFactory, SubscriptionFactory, UserFactory
from tests.ports import free_port
from tests.webhooks.conftest import verified
from webhooks import delivery as webhook_delivery
from webhooks import http as webhook_http
from webhooks import services, tasks
from webhooks.models import Delivery, DeliveryAttempt, Event, Subscription

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


@pytest.fixture
def owner(db):
    return UserFactory.create(
        username="hana", email="hana@example.com", groups=["Support"]
    )


@pytest.fixture
def subscription(owner, receiver):
    subscription = SubscriptionFactory.create(
        owner=owner,
        url=f"{receiver.url}/touchloop",
        event_types=["customer.unsubscribed"],
        created_at=NOW - timedelta(days=30),
    )
    receiver.secret = subscription.secret
    return subscription


def now() -> datetime:
    return datetime.now(UTC)  # frozen, and moved, by the clock fixture


def unsubscribed_event() -> Delivery:
    """A customer.unsubscribed event, emitted by the real service."""
    answers.unsubscribe(CustomerFactory.create(name="Li Lei"), now=now())
    return Delivery.objects.latest("id")


def test_a_delivery_is_signed_and_verified_by_the_receiver(subscription, receiver):
    delivery = unsubscribed_event()

    assert tasks.deliver_webhook_task(delivery.pk) == "succeeded"

    [request] = receiver.received
    event = Event.objects.get()
    customer = Customer.objects.get()
    assert request.verified is True
    assert request.path == "/touchloop"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Touchloop-Event-Id"] == str(event.id)
    assert request.headers["Touchloop-Event-Type"] == "customer.unsubscribed"
    assert request.headers["Touchloop-Signature"].startswith(
        f"t={int(NOW.timestamp())},v1="
    )
    assert request.json == {
        "id": str(event.id),
        "type": "customer.unsubscribed",
        "created_at": "2026-11-18T10:00:00Z",
        "data": event.payload,
    }
    assert request.json["data"]["id"] == customer.pk
    assert request.json["data"]["name"] == "Li Lei"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200
    assert delivery.delivered_at == NOW
    assert delivery.next_attempt_at is None
    [attempt] = DeliveryAttempt.objects.all()
    assert (attempt.attempted_at, attempt.status_code, attempt.error) == (
        NOW,
        200,
        "",
    )
    assert 0 <= attempt.response_ms < 5000


def test_a_receiver_with_another_secret_rejects_the_signature(subscription, receiver):
    receiver.secret = "whsec_someone_else"
    delivery = unsubscribed_event()

    tasks.deliver_webhook_task(delivery.pk)

    assert [request.verified for request in receiver.received] == [False]


def test_a_replayed_request_is_too_old_for_the_receiver(subscription, receiver):
    delivery = unsubscribed_event()
    tasks.deliver_webhook_task(delivery.pk)
    [request] = receiver.received
    header = request.headers["Touchloop-Signature"]

    assert webhook_http.verify_signature(
        header, secret=subscription.secret, body=request.body, now=NOW
    )
    later = NOW + timedelta(minutes=6)
    assert not webhook_http.verify_signature(
        header, secret=subscription.secret, body=request.body, now=later
    )
    assert not webhook_http.verify_signature(
        header, secret=subscription.secret, body=request.body + b" ", now=NOW
    )


@pytest.mark.parametrize(
    "header",
    ["", "t=abc,v1=00", "v1=00", "t=1", "garbage", f"t={int(NOW.timestamp())},v1=é"],
)
def test_a_malformed_signature_is_refused_without_an_error(header):
    assert not verified(header, secret="whsec_x", body=b"{}")
    assert not webhook_http.verify_signature(
        header, secret="whsec_x", body=b"{}", now=NOW
    )


def test_running_the_task_twice_delivers_once(subscription, receiver):
    delivery = unsubscribed_event()

    assert tasks.deliver_webhook_task(delivery.pk) == "succeeded"
    assert tasks.deliver_webhook_task(delivery.pk) == "not due"

    assert len(receiver.received) == 1
    assert DeliveryAttempt.objects.count() == 1


def test_a_failing_receiver_is_retried_with_growing_backoff_until_it_recovers(
    subscription, receiver, clock
):
    receiver.statuses = [500, 503]
    delivery = unsubscribed_event()

    assert tasks.deliver_webhook_task(delivery.pk) == "retry"
    delivery.refresh_from_db()
    first_retry = delivery.next_attempt_at
    assert first_retry == NOW + timedelta(minutes=1)
    assert tasks.deliver_webhook_task(delivery.pk) == "not due"

    clock.move_to(first_retry)
    assert tasks.deliver_webhook_task(delivery.pk) == "retry"
    delivery.refresh_from_db()
    second_retry = delivery.next_attempt_at
    assert second_retry == first_retry + timedelta(minutes=2)
    assert delivery.last_status_code == 503
    assert delivery.last_error == "HTTP 503"

    clock.move_to(second_retry)
    assert tasks.deliver_webhook_task(delivery.pk) == "succeeded"

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.attempts == 3
    assert delivery.delivered_at == second_retry
    log = list(
        DeliveryAttempt.objects.values_list("attempted_at", "status_code", "error")
    )
    assert log == [
        (NOW, 500, "HTTP 500"),
        (first_retry, 503, "HTTP 503"),
        (second_retry, 200, ""),
    ]
    assert all(
        0 <= ms < 5000
        for ms in DeliveryAttempt.objects.values_list("response_ms", flat=True)
    )
    assert [request.verified for request in receiver.received] == [True] * 3
    # The same event, byte for byte, each time.
    assert len({request.body for request in receiver.received}) == 1
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0
    assert subscription.last_succeeded_at == second_retry


def test_the_sweep_asks_again_for_due_deliveries(subscription, receiver, queued):
    receiver.statuses = [500]
    delivery = unsubscribed_event()
    queued.clear()
    tasks.deliver_webhook_task(delivery.pk)

    assert tasks.deliver_pending_webhooks_task() == 0
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        assert tasks.deliver_pending_webhooks_task() == 1
    assert queued == [delivery.pk]


def test_the_sweep_asks_again_only_for_a_task_lost_for_a_lease(
    subscription, queued, settings
):
    delivery = unsubscribed_event()  # its task asked for at the commit…
    lease = timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    queued.clear()  # …and lost

    assert webhook_delivery.queue_due(now=NOW) == 0
    assert webhook_delivery.queue_due(now=NOW + lease - timedelta(seconds=1)) == 0
    assert webhook_delivery.queue_due(now=NOW + lease) == 1
    assert webhook_delivery.queue_due(now=NOW + lease + timedelta(seconds=30)) == 0
    assert webhook_delivery.queue_due(now=NOW + 2 * lease) == 1
    assert queued == [delivery.pk, delivery.pk]
    delivery.refresh_from_db()
    assert delivery.queued_at == NOW + 2 * lease


def test_a_claimed_delivery_is_no_longer_queued(subscription, receiver):
    receiver.statuses = [500]
    delivery = unsubscribed_event()
    delivery.refresh_from_db()
    assert delivery.queued_at == NOW

    assert webhook_delivery.deliver(delivery.pk, now=NOW) == "retry"

    delivery.refresh_from_db()
    assert delivery.queued_at is None
    assert delivery.next_attempt_at == NOW + timedelta(minutes=1)


def test_a_claim_of_a_dead_worker_runs_out_after_the_lease(subscription, settings):
    delivery = unsubscribed_event()
    # A worker claimed it and died before posting.
    Delivery.objects.filter(id=delivery.pk).update(
        next_attempt_at=NOW + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS),
        claimed_at=NOW,
        attempts=1,
    )

    assert webhook_delivery.deliver(delivery.pk, now=NOW) == "not due"
    later = NOW + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
    assert webhook_delivery.deliver(delivery.pk, now=later) == "succeeded"


def test_a_delivery_failing_for_24_hours_is_marked_failed(
    subscription, receiver, clock, settings
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 1000  # not the rule tested here
    receiver.statuses = [500] * 100
    delivery = unsubscribed_event()
    outcomes = []
    while True:
        outcome = tasks.deliver_webhook_task(delivery.pk)
        outcomes.append(outcome)
        delivery.refresh_from_db()
        if delivery.next_attempt_at is None:
            break
        clock.move_to(delivery.next_attempt_at)

    assert outcomes[-1] == "failed"
    assert set(outcomes[:-1]) == {"retry"}
    assert delivery.status == Delivery.Status.FAILED
    # 1, 2, 4, … 32 minutes, then hourly: 29 attempts fit in the day.
    assert delivery.attempts == 29
    last = DeliveryAttempt.objects.latest("id").attempted_at
    assert NOW + timedelta(hours=23) <= last <= NOW + timedelta(hours=24)
    assert len(receiver.received) == 29


def test_the_sweep_gives_up_deliveries_past_the_deadline(subscription):
    delivery = unsubscribed_event()
    Delivery.objects.filter(id=delivery.pk).update(next_attempt_at=NOW)

    with time_machine.travel(NOW + timedelta(hours=24), tick=False):
        assert webhook_delivery.queue_due(now=NOW + timedelta(hours=24)) == 0

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.last_error == "Given up 24 hours after the event."


def test_a_redirect_is_not_followed(subscription, receiver):
    receiver.statuses = [302]
    delivery = unsubscribed_event()

    assert tasks.deliver_webhook_task(delivery.pk) == "retry"

    assert [request.path for request in receiver.received] == ["/touchloop"]
    delivery.refresh_from_db()
    assert delivery.last_status_code == 302


def test_an_unreachable_receiver_is_logged_without_a_status_code(owner):
    subscription = SubscriptionFactory.create(
        owner=owner, url=f"http://127.0.0.1:{free_port()}/nobody"
    )
    delivery = services.send_test_event(subscription)

    assert tasks.deliver_webhook_task(delivery.pk) == "retry"

    [attempt] = DeliveryAttempt.objects.all()
    assert attempt.status_code is None
    assert attempt.error == "connection refused"


def test_the_receivers_body_is_not_kept(subscription, receiver):
    receiver.statuses = [500]
    delivery = unsubscribed_event()
    tasks.deliver_webhook_task(delivery.pk)

    delivery.refresh_from_db()
    assert delivery.last_error == "HTTP 500"
    assert list(DeliveryAttempt.objects.values_list("status_code", "error")) == [
        (500, "HTTP 500")
    ]


def test_the_test_event_goes_to_that_subscription_alone(subscription, receiver, owner):
    SubscriptionFactory.create(owner=owner, event_types=["customer.unsubscribed"])

    delivery = services.send_test_event(subscription)
    assert tasks.deliver_webhook_task(delivery.pk) == "succeeded"

    [request] = receiver.received
    assert request.verified is True
    assert request.json["type"] == "ping"
    assert request.json["data"] == {
        "subscription": subscription.pk,
        "message": "A test event from Touchloop.",
    }
    assert Delivery.objects.count() == 1


def test_a_rotated_secret_signs_the_next_attempt(subscription, receiver):
    old_secret = subscription.secret
    services.rotate_secret(subscription)
    assert subscription.secret != old_secret
    assert subscription.secret.startswith("whsec_")
    receiver.secret = subscription.secret

    delivery = unsubscribed_event()
    tasks.deliver_webhook_task(delivery.pk)

    assert [request.verified for request in receiver.received] == [True]


def fail_once_per_event(subscription, *, count: int) -> list[str]:
    """`count` events failing once each (the receiver says 500)."""
    outcomes = []
    for _ in range(count):
        outcomes.append(
            webhook_delivery.deliver(
                services.send_test_event(subscription).pk, now=now()
            )
        )
    return outcomes


def test_a_subscription_that_keeps_failing_is_disabled_and_its_owner_told(
    subscription, receiver, settings, smtp_server
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.statuses = [500] * 10

    fail_once_per_event(subscription, count=2)
    subscription.refresh_from_db()
    assert (subscription.is_active, subscription.consecutive_failures) == (True, 2)
    assert smtp_server.messages == []

    fail_once_per_event(subscription, count=1)

    subscription.refresh_from_db()
    assert subscription.is_active is False
    assert subscription.disabled_at == NOW
    assert subscription.disabled_reason == (
        "3 deliveries in a row failed and none succeeded for 24 hours."
    )
    [raw] = smtp_server.messages
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["To"] == "hana@example.com"
    assert message["Subject"] == (f"Your webhook to {subscription.url} was disabled")
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None
    body = plain.get_content()
    assert f"/admin/webhooks/subscription/{subscription.pk}/change/" in body
    assert "3 deliveries in a row failed" in body

    # Disabled: new events are not written for it, pending ones not sent.
    answers.unsubscribe(CustomerFactory.create(), now=NOW)
    assert Delivery.objects.filter(event__type="customer.unsubscribed").count() == 0
    fail_once_per_event(subscription, count=1)  # a ping still goes out
    assert len(smtp_server.messages) == 1  # told once


def test_failures_within_a_day_of_a_success_do_not_disable(
    subscription, receiver, settings, smtp_server, clock
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.statuses = [200] + [500] * 10
    fail_once_per_event(subscription, count=1)  # succeeds
    clock.move_to(NOW + timedelta(hours=23))

    fail_once_per_event(subscription, count=5)

    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 5
    assert subscription.is_active is True
    clock.move_to(NOW + timedelta(hours=24))
    fail_once_per_event(subscription, count=1)
    subscription.refresh_from_db()
    assert subscription.is_active is False
    assert len(smtp_server.messages) == 1


def test_a_pending_delivery_of_a_disabled_subscription_is_not_sent(
    subscription, receiver
):
    delivery = unsubscribed_event()
    Subscription.objects.filter(id=subscription.pk).update(is_active=False)

    assert tasks.deliver_webhook_task(delivery.pk) == "inactive"

    assert receiver.received == []
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.last_error == "The subscription is inactive."


def test_enabling_again_starts_the_count_afresh(subscription):
    Subscription.objects.filter(id=subscription.pk).update(
        is_active=False,
        consecutive_failures=25,
        disabled_at=NOW,
        disabled_reason="Failing",
    )
    subscription.refresh_from_db()

    services.reenable(subscription)

    subscription.refresh_from_db()
    assert subscription.is_active is True
    assert subscription.consecutive_failures == 0
    assert subscription.disabled_at is None
    assert subscription.disabled_reason == ""


def test_the_body_is_compact_json():
    event = Event(type="ping", created_at=NOW, payload={"message": "你好"})
    assert json.loads(webhook_http.body_of(event)) == {
        "id": str(event.id),
        "type": "ping",
        "created_at": "2026-11-18T10:00:00Z",
        "data": {"message": "你好"},
    }


def test_events_older_than_the_keep_days_are_purged_with_their_log(
    subscription, settings
):
    settings.WEBHOOK_KEEP_DAYS = 30
    old = unsubscribed_event()
    DeliveryAttempt.objects.create(
        delivery=old, attempted_at=NOW, status_code=200, response_ms=5
    )
    with time_machine.travel(NOW + timedelta(days=10), tick=False):
        recent = unsubscribed_event()

    purged = webhook_delivery.purge_old(
        now=NOW + timedelta(days=30, seconds=1), batch=1
    )

    assert purged == 1
    assert list(Delivery.objects.values_list("id", flat=True)) == [recent.pk]
    assert DeliveryAttempt.objects.count() == 0
    assert Event.objects.count() == 1


def test_an_inactive_owners_subscription_gets_no_events(subscription, owner, queued):
    owner.is_active = False
    owner.save()

    answers.unsubscribe(CustomerFactory.create(), now=NOW)

    assert Delivery.objects.count() == 0
    assert Event.objects.count() == 0
    assert queued == []


def test_a_pending_delivery_of_an_inactive_owner_is_not_sent(
    subscription, owner, receiver
):
    delivery = unsubscribed_event()
    owner.is_active = False
    owner.save()

    assert tasks.deliver_webhook_task(delivery.pk) == "inactive"

    assert receiver.received == []
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 0
    assert delivery.last_error == "The subscription's owner is inactive."


def test_a_private_address_is_refused_at_send_without_connecting(
    subscription, receiver, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    delivery = unsubscribed_event()

    assert tasks.deliver_webhook_task(delivery.pk) == "retry"

    assert receiver.received == []
    [attempt] = DeliveryAttempt.objects.all()
    assert (attempt.status_code, attempt.error) == (
        None,
        "refused: 127.0.0.1 is a local or private address",
    )


def test_a_name_resolving_to_a_private_address_is_refused_at_send(
    owner, receiver, settings, monkeypatch
):
    """A name that passed the check at save (it is no address) but resolves
    to one, as a rebinding DNS server would answer."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    port = int(receiver.url.rsplit(":", 1)[1])
    subscription = SubscriptionFactory.create(
        owner=owner, url=f"http://hooks.example.com:{port}/in"
    )
    lookups = []

    def getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    delivery = services.send_test_event(subscription)

    assert tasks.deliver_webhook_task(delivery.pk) == "retry"

    assert lookups == ["hooks.example.com"]
    assert receiver.received == []
    delivery.refresh_from_db()
    assert delivery.last_error == (
        "refused: hooks.example.com is a local or private address"
    )


@pytest.mark.parametrize(
    "address", ["2002:7f00:1::1", "2002:a9fe:a9fe::1", "::7f00:1", "64:ff9b::a00:1"]
)
def test_a_name_resolving_to_ipv6_that_embeds_a_private_ipv4_is_refused_at_send(
    owner, receiver, settings, monkeypatch, address
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    subscription = SubscriptionFactory.create(
        owner=owner, url="http://hooks.example.com/in"
    )

    def getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    delivery = services.send_test_event(subscription)

    assert tasks.deliver_webhook_task(delivery.pk) == "retry"

    assert receiver.received == []
    delivery.refresh_from_db()
    assert delivery.last_error == (
        "refused: hooks.example.com is a local or private address"
    )


def test_the_connection_goes_to_the_checked_address_with_the_urls_host(
    owner, receiver, monkeypatch
):
    port = int(receiver.url.rsplit(":", 1)[1])
    subscription = SubscriptionFactory.create(
        owner=owner, url=f"http://hooks.example.com:{port}/in?x=1"
    )
    receiver.secret = subscription.secret
    answers_given = iter(["127.0.0.1", "203.0.113.9"])  # a rebinding DNS

    def getaddrinfo(host, port, *args, **kwargs):
        address = next(answers_given)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    delivery = services.send_test_event(subscription)

    assert tasks.deliver_webhook_task(delivery.pk) == "succeeded"

    [request] = receiver.received
    assert request.path == "/in?x=1"
    assert request.headers["Host"] == f"hooks.example.com:{port}"
    assert request.verified is True


@pytest.fixture
def dripping_receiver():
    """A receiver that answers its headers a byte every 0.2 seconds, never
    ending them: each read is quick, the whole is endless."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(65536)
                connection.sendall(b"HTTP/1.1 200 OK\r\n")
                while not stop.is_set():
                    try:
                        connection.sendall(b"X")
                    except OSError:
                        break
                    time.sleep(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/slow"
    stop.set()
    thread.join(5)
    server.close()


def test_a_receiver_dripping_its_answer_is_cut_at_the_overall_timeout(
    owner, dripping_receiver, settings
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    subscription = SubscriptionFactory.create(owner=owner, url=dripping_receiver)
    delivery = services.send_test_event(subscription)
    started = time.monotonic()

    assert tasks.deliver_webhook_task(delivery.pk) == "retry"

    assert time.monotonic() - started < 2
    [attempt] = DeliveryAttempt.objects.all()
    assert (attempt.status_code, attempt.error) == (None, "timed out")
    assert 1000 <= attempt.response_ms < 2000


@pytest.mark.parametrize("lease", ["5", "3"])
def test_the_settings_refuse_a_lease_no_longer_than_the_timeout(lease):
    environment = {
        "SECRET_KEY": "a-long-random-production-secret-key-4f9c1d7e2b8a6c3e5d0f",
        "WEBHOOK_TIMEOUT_SECONDS": "5",
        "WEBHOOK_LEASE_SECONDS": lease,
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import crm.settings"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert (
        "WEBHOOK_LEASE_SECONDS must be greater than WEBHOOK_TIMEOUT_SECONDS."
        in result.stderr
    )


@pytest.fixture
def tls_receiver(tmp_path):
    """An https receiver for hooks.example.com with a self-signed
    certificate; yields its port, the certificate's path and what it saw."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            str(shutil.which("openssl")), "req", "-x509", "-nodes",
            "-newkey", "rsa:2048",
            "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", "/CN=hooks.example.com",
            "-addext", "subjectAltName=DNS:hooks.example.com",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    seen: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen["host"] = self.headers["Host"]
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, _: seen.update(sni=name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port, cert, seen
    server.shutdown()
    server.server_close()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
def test_https_to_the_checked_address_verifies_the_urls_name(
    owner, tls_receiver, monkeypatch
):
    port, cert, seen = tls_receiver
    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *args, **kwargs: real_getaddrinfo(
            "127.0.0.1", port, *args, **kwargs
        ),
    )
    subscription = SubscriptionFactory.create(
        owner=owner, url=f"https://hooks.example.com:{port}/in"
    )

    untrusted = services.send_test_event(subscription)
    assert webhook_delivery.deliver(untrusted.pk, now=NOW) == "retry"
    untrusted.refresh_from_db()
    assert untrusted.last_error == "TLS certificate not valid"

    default_context = ssl.create_default_context
    monkeypatch.setattr(
        ssl, "create_default_context", lambda: default_context(cafile=str(cert))
    )
    trusted = services.send_test_event(subscription)
    assert webhook_delivery.deliver(trusted.pk, now=NOW) == "succeeded"
    assert seen == {"sni": "hooks.example.com", "host": f"hooks.example.com:{port}"}
