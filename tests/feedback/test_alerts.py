"""Case alerts reach a real SMTP server and a real chat webhook, once per case
event, and come back after a failure."""

import email
import email.policy
import json
import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from feedback import tasks
from feedback.models import Alert, Case, StaffPreference
from feedback.services import alerts, cases
from surveys.services import answers
from tests.factories import (
    CaseFactory,
    CustomerFactory,
    InteractionFactory,
    InvitationFactory,
    SurveyFactory,
    TouchpointFactory,
    UserFactory,
)
from tests.ports import free_port

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


@pytest.fixture(autouse=True)
def no_delay(settings):
    """Alerts due at once, but in the test of the delay itself."""
    settings.CASE_ALERT_DELAY_SECONDS = 0


@pytest.fixture
def owner(db):
    return UserFactory.create(
        username="oona", first_name="Oona", email="oona@example.com", groups=["Support"]
    )


def mail_alert() -> int:
    return Alert.objects.get(channel="email").pk


def parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(
        raw, _class=EmailMessage, policy=email.policy.default
    )


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def detractor_answer(owner, comment: str | None = "Nobody called me back"):
    interaction = InteractionFactory.create(
        customer=CustomerFactory.create(
            name="Ada Lovelace", email="ada@example.com", owner=owner
        ),
        touchpoint=TouchpointFactory.create(name="Support ticket"),
        subject="Broken invoice",
    )
    invitation = InvitationFactory.create(
        survey=SurveyFactory.create(kind="nps"),
        customer=interaction.customer,
        interaction=interaction,
        status="sent",
        sent_at=NOW - timedelta(hours=1),
        expires_at=NOW + timedelta(days=29),
    )
    answers.record_response(invitation, score=2, comment=comment)
    return Case.objects.get()


def test_the_owner_is_told_about_a_new_case_after_the_commit(
    owner, smtp_server, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = detractor_answer(owner)
        assert queued == []  # nothing before the commit

    assert len(queued) == 1
    assert alerts.deliver(queued[0], now=NOW) == "sent"
    [raw] = smtp_server.messages
    message = parsed(raw)
    assert message["To"] == "oona@example.com"
    assert message["Subject"] == f"New case #{case.pk} for you: Ada Lovelace"
    body = text_of(message)
    for expected in [
        "Ada Lovelace <ada@example.com>",
        "Score: 2",
        "Comment: Nobody called me back",
        "Support ticket — Broken invoice",
        f"http://testserver/admin/feedback/case/{case.pk}/change/",
    ]:
        assert expected in body, expected
    assert message["Message-ID"].startswith(f"<case-alert-{queued[0]}@")


def test_an_alert_is_delivered_once_however_often_its_task_runs(
    owner, smtp_server, queued
):
    detractor_answer(owner)
    alert_id = mail_alert()

    results = [tasks.deliver_alert_task(alert_id) for _ in range(3)]

    assert results == ["sent", "not due", "not due"]
    assert len(smtp_server.messages) == 1
    alert = Alert.objects.get()
    assert (alert.sent_at, alert.next_attempt_at, alert.attempts) == (NOW, None, 1)


def test_the_alert_is_in_the_owners_language(owner, smtp_server, queued):
    StaffPreference.objects.create(user=owner, language="zh-hans")
    detractor_answer(owner)

    alerts.deliver(mail_alert(), now=NOW)

    assert '<html lang="zh-Hans">' in html_of(parsed(smtp_server.messages[0]))


def test_an_unreachable_mail_server_is_retried_with_a_backoff(
    owner, closed_smtp_port, queued, settings
):
    detractor_answer(owner)
    alert_id = mail_alert()

    assert alerts.deliver(alert_id, now=NOW) == "failed"

    alert = Alert.objects.get()
    assert (alert.sent_at, alert.attempts) == (None, 1)
    assert alert.next_attempt_at == NOW + timedelta(seconds=60)
    assert "ConnectionRefusedError" in alert.last_error
    assert alerts.deliver(alert_id, now=NOW + timedelta(seconds=30)) == "not due"


def test_the_sweep_asks_again_for_alerts_whose_time_has_come(
    owner, smtp_server, queued
):
    detractor_answer(owner)
    # The message to the worker was lost (never sent: no commit in this test).

    assert alerts.queue_due(now=NOW) == 1
    assert alerts.deliver(queued[0], now=NOW) == "sent"
    assert alerts.queue_due(now=NOW + timedelta(hours=1)) == 0
    assert len(smtp_server.messages) == 1


def test_a_claim_of_a_dead_worker_runs_out_after_the_lease(
    owner, smtp_server, queued, settings
):
    detractor_answer(owner)
    alert_id = mail_alert()
    Alert.objects.filter(id=alert_id).update(
        next_attempt_at=NOW + timedelta(seconds=settings.CASE_ALERT_LEASE_SECONDS),
        attempts=1,
    )

    assert alerts.deliver(alert_id, now=NOW) == "not due"
    later = NOW + timedelta(seconds=settings.CASE_ALERT_LEASE_SECONDS)
    assert alerts.deliver(alert_id, now=later) == "sent"
    assert len(smtp_server.messages) == 1


def test_an_alert_gives_up_after_the_last_attempt(owner, closed_smtp_port, queued):
    detractor_answer(owner)
    alert_id = mail_alert()
    Alert.objects.filter(id=alert_id).update(attempts=alerts.MAX_ATTEMPTS - 1)

    assert alerts.deliver(alert_id, now=NOW) == "failed"

    alert = Alert.objects.get()
    assert (alert.attempts, alert.next_attempt_at) == (alerts.MAX_ATTEMPTS, None)


def test_escalation_alerts_are_idempotent(owner, smtp_server, queued):
    bosses = [
        UserFactory.create(
            username=f"b{n}", email=f"b{n}@example.com", groups=["Manager"]
        )
        for n in range(2)
    ]
    CaseFactory.create(owner=owner, due_at=NOW - timedelta(hours=1))

    for _ in range(2):
        cases.escalate_overdue(now=NOW)
        for alert_id in Alert.objects.values_list("id", flat=True):
            tasks.deliver_alert_task(alert_id)

    recipients = sorted(parsed(raw)["To"] for raw in smtp_server.messages)
    assert recipients == [boss.email for boss in bosses]
    assert "escalation 1" in parsed(smtp_server.messages[0])["Subject"]


class Receiver(BaseHTTPRequestHandler):
    bodies: list[dict[str, str]] = []
    status = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        Receiver.bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(Receiver.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def chat(settings):
    """A real HTTP server standing in for a Slack incoming webhook."""
    Receiver.bodies, Receiver.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.CASE_CHAT_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/hook"
    yield Receiver
    server.shutdown()


def test_a_new_case_posts_one_line_to_the_chat_webhook(
    owner, chat, queued, smtp_server
):
    case = detractor_answer(owner)
    chat_alert = Alert.objects.get(channel="chat")

    for alert_id in 2 * list(Alert.objects.values_list("id", flat=True)):
        tasks.deliver_alert_task(alert_id)

    assert chat.bodies == [
        {
            "text": f"Case #{case.pk} (Detractor, Urgent): Ada Lovelace — scored 2 "
            "— “Nobody called me back” — owner: oona "
            f"http://testserver/admin/feedback/case/{case.pk}/change/"
        }
    ]
    chat_alert.refresh_from_db()
    assert chat_alert.sent_at == NOW


def test_a_failing_chat_webhook_is_retried(owner, chat, queued, smtp_server):
    chat.status = 500
    detractor_answer(owner)
    chat_alert = Alert.objects.get(channel="chat")

    assert alerts.deliver(chat_alert.pk, now=NOW) == "failed"

    chat_alert.refresh_from_db()
    assert chat_alert.last_error == "ChatError: the webhook answered 500"
    assert chat_alert.next_attempt_at == NOW + timedelta(seconds=60)


def test_a_new_cases_alert_waits_for_the_comment_typed_after_the_score(
    owner, smtp_server, settings
):
    settings.CASE_ALERT_DELAY_SECONDS = 120
    case = detractor_answer(owner, comment=None)
    alert_id = mail_alert()
    assert alerts.deliver(alert_id, now=NOW) == "not due"

    answers.record_response(
        case.response.invitation, score=2, comment="Nobody called me back"
    )
    assert alerts.deliver(alert_id, now=NOW + timedelta(seconds=120)) == "sent"

    assert "Comment: Nobody called me back" in text_of(parsed(smtp_server.messages[0]))


def test_an_alert_to_someone_who_left_is_dropped(owner, smtp_server):
    detractor_answer(owner)
    owner.is_active = False
    owner.save()

    assert alerts.deliver(mail_alert(), now=NOW) == "dropped"

    alert = Alert.objects.get()
    assert (alert.sent_at, alert.next_attempt_at) == (None, None)
    assert smtp_server.messages == []


def test_customer_text_cannot_ping_the_chat_channel(owner, chat, queued):
    case = detractor_answer(
        owner, comment="<!channel> <https://evil.example|Reset> & co"
    )

    alerts.deliver(Alert.objects.get(channel="chat").pk, now=NOW)

    [body] = chat.bodies
    assert (
        "“&lt;!channel&gt; &lt;https://evil.example|Reset&gt; &amp; co”" in body["text"]
    )
    assert "<!channel>" not in body["text"]
    assert case.pk


def test_an_alert_whose_last_attempt_died_with_its_worker_is_given_up(owner, queued):
    detractor_answer(owner)
    Alert.objects.update(attempts=alerts.MAX_ATTEMPTS, next_attempt_at=NOW)

    assert alerts.queue_due(now=NOW) == 0

    alert = Alert.objects.get()
    assert (alert.next_attempt_at, alert.last_error) == (
        None,
        "Given up after the last attempt.",
    )


def test_an_answer_is_kept_when_the_broker_cannot_be_reached(
    owner, monkeypatch, django_capture_on_commit_callbacks
):
    def unreachable(alert_id: int) -> None:
        raise ConnectionError("the broker is down")

    monkeypatch.setattr(tasks.deliver_alert_task, "delay", unreachable)

    with django_capture_on_commit_callbacks(execute=True):
        case = detractor_answer(owner)

    assert case.response.score == 2
    assert Alert.objects.get(channel="email").next_attempt_at == NOW
