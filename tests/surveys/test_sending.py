import email
import re
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
import time_machine
from django.core import mail

from surveys import tasks
from surveys.services import answers, sending
from tests.factories import CustomerFactory, InvitationFactory, SurveyFactory

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def due(**fields):
    fields.setdefault("status", "scheduled")
    fields.setdefault("sent_at", None)
    fields.setdefault("scheduled_for", NOW - timedelta(minutes=1))
    return InvitationFactory.create(**fields)


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


def test_dispatch_queues_what_is_due_once_within_the_lease(
    django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(tasks.send_batch_task, "delay", lambda ids: queued.append(ids))
    first, second = due(), due()
    due(scheduled_for=NOW + timedelta(minutes=1))  # not yet
    due(scheduled_for=None)  # held: its interaction is open
    reminder = InvitationFactory.create(
        status="sent", sent_at=NOW - timedelta(days=3), next_reminder_at=NOW
    )

    report = sending.dispatch(now=NOW)
    again = sending.dispatch(now=NOW + timedelta(seconds=30))

    assert (report.queued, again.queued) == (3, 0)
    assert queued == [[first.pk, second.pk, reminder.pk]]


def test_dispatch_fans_out_in_batches(settings, monkeypatch):
    settings.SURVEY_DISPATCH_BATCH_SIZE = 2
    queued = []
    monkeypatch.setattr(tasks.send_batch_task, "delay", lambda ids: queued.append(ids))
    rows = [due() for _ in range(5)]

    sending.dispatch(now=NOW)

    assert [len(batch) for batch in queued] == [2, 2, 1]
    assert sorted(pk for batch in queued for pk in batch) == [row.pk for row in rows]


def test_a_lost_queue_message_is_queued_again_after_the_lease(settings, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.send_batch_task, "delay", lambda ids: queued.append(ids))
    invitation = due()
    sending.dispatch(now=NOW)
    lease = timedelta(seconds=settings.SURVEY_SEND_LEASE_SECONDS)

    sending.dispatch(now=NOW + lease - timedelta(seconds=1))
    sending.dispatch(now=NOW + lease + timedelta(seconds=1))

    assert queued == [[invitation.pk], [invitation.pk]]


def test_sending_writes_the_mail_and_marks_it_sent(smtp_server, settings):
    settings.SITE_URL = "https://touchloop.example.com"
    settings.BRAND_NAME = "Acme"
    settings.SURVEY_REPLY_TO = "care@acme.example"
    invitation = due(customer=CustomerFactory.create(name="Ann", email="ann@x.example"))

    assert sending.send_batch([invitation.pk]) == {"sent": 1}

    (raw,) = smtp_server.messages
    message = parse(raw)
    token = sending.link_token(invitation)
    url = f"https://touchloop.example.com/s/{token}/"
    assert message["To"] == "ann@x.example"
    assert message["Reply-To"] == "care@acme.example"
    assert message["Subject"] == "A quick question from Acme"
    assert message["Message-ID"] == f"<invitation-{invitation.pk}.0@localhost>"
    assert message["List-Unsubscribe"].strip() == f"<{url}unsubscribe>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert url in text
    assert "How likely are you to recommend Acme" in text
    assert re.findall(r'href="([^"]+\?score=\d+)"', html) == [
        f"{url}?score={score}" for score in range(11)
    ]
    assert "Not at all likely" in html
    assert "Extremely likely" in html
    assert not re.search(r"<(script|img|link)\b", html)
    invitation.refresh_from_db()
    assert invitation.status == "sent"
    assert invitation.sent_at == NOW
    assert invitation.attempts == 1
    assert invitation.expires_at == NOW + timedelta(days=30)
    assert invitation.next_reminder_at == NOW + timedelta(days=3)
    assert invitation.claimed_at is None


def test_a_token_in_the_database_alone_is_no_link():
    invitation = due()

    token = sending.link_token(invitation)

    assert invitation.token_hash != token
    assert invitation.nonce not in token
    assert answers.find_by_token(token) == invitation


def test_the_link_survives_a_key_rotation(settings):
    invitation = due()
    old_token = sending.link_token(invitation)

    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-after-rotation-0123456789-0123456789"

    assert sending.link_token(invitation) == old_token
    assert answers.find_by_token(old_token) == invitation


def test_a_chinese_customer_gets_a_chinese_mail(mailoutbox):
    invitation = due(customer=CustomerFactory.create(language="zh-hans", name="李雷"))

    sending.send_invitation(invitation.pk)

    (message,) = mailoutbox
    assert "推荐" in message.body
    assert "完全不可能" in message.alternatives[0][0]
    assert 'lang="zh-Hans"' in message.alternatives[0][0]


def test_sending_twice_sends_one_mail(mailoutbox):
    invitation = due()

    assert sending.send_invitation(invitation.pk) == "sent"
    assert sending.send_invitation(invitation.pk) == "not_due"
    assert len(mailoutbox) == 1


def test_a_customer_who_unsubscribed_meanwhile_is_not_mailed(mailoutbox):
    invitation = due()
    invitation.customer.email_opted_out_at = NOW
    invitation.customer.save()

    assert sending.send_invitation(invitation.pk) == "opted_out"

    invitation.refresh_from_db()
    assert (invitation.status, invitation.suppressed_reason) == (
        "suppressed",
        "opted_out",
    )
    assert mailoutbox == []


def test_the_throttle_is_checked_again_when_sending(mailoutbox):
    customer = CustomerFactory.create()
    InvitationFactory.create(
        customer=customer, status="sent", sent_at=NOW - timedelta(days=2)
    )
    invitation = due(customer=customer, interaction=None)

    assert sending.send_invitation(invitation.pk) == "throttled"
    assert mailoutbox == []


def test_a_deactivated_survey_sends_nothing_more(mailoutbox):
    invitation = due(survey=SurveyFactory.create(is_active=False))

    assert sending.send_invitation(invitation.pk) == "cancelled"
    invitation.refresh_from_db()
    assert invitation.status == "cancelled"
    assert mailoutbox == []


def test_a_transient_smtp_error_puts_it_back_with_backoff(smtp_server, settings):
    settings.SURVEY_RETRY_BASE_SECONDS = 60
    smtp_server.reply = "451 4.3.0 Try again later"
    invitation = due()

    assert sending.send_invitation(invitation.pk) == "retry"
    invitation.refresh_from_db()
    assert (invitation.status, invitation.attempts) == ("scheduled", 1)
    assert invitation.scheduled_for == NOW + timedelta(seconds=60)
    assert "451" in invitation.last_error

    with time_machine.travel(NOW + timedelta(seconds=61), tick=False):
        assert sending.send_invitation(invitation.pk) == "retry"
    invitation.refresh_from_db()
    assert invitation.attempts == 2
    assert invitation.scheduled_for == NOW + timedelta(seconds=61 + 120)


def test_a_refused_connection_is_transient(closed_smtp_port):
    invitation = due()

    assert sending.send_batch([invitation.pk, due().pk]) == {"retry": 2}
    invitation.refresh_from_db()
    assert invitation.status == "scheduled"
    assert "Connection" in invitation.last_error or "refused" in invitation.last_error


def test_a_permanent_smtp_error_marks_it_failed(smtp_server):
    smtp_server.reply = "550 5.1.1 No such user"
    invitation = due()

    assert sending.send_invitation(invitation.pk) == "failed"
    invitation.refresh_from_db()
    assert invitation.status == "failed"
    assert "550" in invitation.last_error
    assert invitation.sent_at is None


def test_a_claim_left_by_a_dead_worker_is_taken_back_after_the_lease(settings):
    lease = timedelta(seconds=settings.SURVEY_SEND_LEASE_SECONDS)
    stale = due(status="sending", claimed_at=NOW - lease - timedelta(seconds=1))
    fresh = due(status="sending", claimed_at=NOW - lease + timedelta(seconds=1))
    stale_reminder = InvitationFactory.create(
        status="sending", sent_at=NOW - timedelta(days=3), claimed_at=NOW - lease * 2
    )

    assert sending.take_back_stale_claims(now=NOW) == 2

    for row in (stale, fresh, stale_reminder):
        row.refresh_from_db()
    assert (stale.status, stale.claimed_at) == ("scheduled", None)
    assert fresh.status == "sending"
    assert (stale_reminder.status, stale_reminder.next_reminder_at) == ("sent", NOW)


def test_a_mail_a_week_overdue_expires_instead_of_going_out_late(mailoutbox):
    late = due(scheduled_for=NOW - timedelta(days=7, seconds=1))
    in_time = due(scheduled_for=NOW - timedelta(days=7) + timedelta(seconds=1))
    unanswered = InvitationFactory.create(status="sent", expires_at=NOW)

    assert sending.expire_overdue(now=NOW) == 2

    for row in (late, in_time, unanswered):
        row.refresh_from_db()
    assert (late.status, in_time.status, unanswered.status) == (
        "expired",
        "scheduled",
        "expired",
    )
    assert "overdue" in late.last_error
    assert mailoutbox == []


def test_one_reminder_three_days_later_and_no_more(mailoutbox, clock):
    invitation = due()
    sending.send_invitation(invitation.pk)

    clock.move_to(NOW + timedelta(days=3))
    assert sending.send_invitation(invitation.pk) == "sent"
    clock.move_to(NOW + timedelta(days=6))
    assert sending.send_invitation(invitation.pk) == "not_due"

    first, reminder = mailoutbox
    assert reminder.subject == "Reminder: a quick question from Touchloop"
    assert reminder.extra_headers["Message-ID"].startswith(
        f"<invitation-{invitation.pk}.1@"
    )
    # The same link in both mails.
    assert sending.link_token(invitation) in first.body
    assert sending.link_token(invitation) in reminder.body
    invitation.refresh_from_db()
    assert (invitation.reminders_sent, invitation.next_reminder_at) == (1, None)
    assert invitation.sent_at == NOW


def test_an_answer_cancels_the_reminder(mailoutbox, clock):
    invitation = due()
    sending.send_invitation(invitation.pk)
    answers.record_response(invitation, score=9)

    clock.move_to(NOW + timedelta(days=3))

    assert sending.send_invitation(invitation.pk) == "not_due"
    assert len(mailoutbox) == 1


def test_unsubscribing_cancels_pending_mail_and_reminders(mailoutbox):
    customer = CustomerFactory.create()
    waiting = due(customer=customer)
    reminded = InvitationFactory.create(
        customer=customer, status="sent", next_reminder_at=NOW
    )

    assert answers.unsubscribe(customer, now=NOW) == 1

    for row in (waiting, reminded, customer):
        row.refresh_from_db()
    assert waiting.status == "cancelled"
    assert reminded.next_reminder_at is None
    assert customer.email_opted_out_at == NOW
    assert sending.send_invitation(waiting.pk) == "not_due"
    assert mailoutbox == []


def test_an_answer_during_the_send_keeps_its_status(mailoutbox, monkeypatch):
    invitation = InvitationFactory.create(
        status="sent", sent_at=NOW - timedelta(days=3), next_reminder_at=NOW
    )
    deliver = sending.deliver

    def answer_while_sending(claimed, *, connection):
        deliver(claimed, connection=connection)
        answers.record_response(claimed, score=3)

    monkeypatch.setattr(sending, "deliver", answer_while_sending)

    assert sending.send_invitation(invitation.pk) == "sent"

    invitation.refresh_from_db()
    assert invitation.status == "answered"
    assert invitation.reminders_sent == 1
    assert len(mail.outbox) == 1


def test_a_mail_that_cannot_be_made_fails_instead_of_waiting(settings, mailoutbox):
    invitation = due()
    # The key its link was made with is gone (rotated without a fallback).
    settings.SECRET_KEY = "another-key-entirely-0123456789-0123456789-0123"

    assert sending.send_invitation(invitation.pk) == "failed"

    invitation.refresh_from_db()
    assert invitation.status == "failed"
    assert "SECRET_KEY changed" in invitation.last_error
    assert mailoutbox == []


def test_a_batch_sends_over_one_smtp_connection(smtp_server):
    invitations = [due() for _ in range(3)]

    assert sending.send_batch([row.pk for row in invitations]) == {"sent": 3}

    assert len(smtp_server.messages) == 3
    assert smtp_server.sessions == 1


def test_a_batch_claims_its_rows_in_a_constant_number_of_queries(
    smtp_server, django_assert_max_num_queries
):
    few = [due().pk for _ in range(2)]
    many = [due().pk for _ in range(12)]

    with django_assert_max_num_queries(30) as small:
        sending.send_batch(few)
    with django_assert_max_num_queries(100) as large:
        sending.send_batch(many)

    # The claim is the same handful of queries; each mail adds its mark and
    # the webhooks' look for a subscriber to invitation.sent, in a savepoint,
    # and the pilots' look for a running variant of its text and of its
    # reminder delay (settings.HOOKS["variant"]).
    claim_queries = len(small.captured_queries) - 6 * len(few)
    assert len(large.captured_queries) - 6 * len(many) == claim_queries
    assert len(smtp_server.messages) == 14


def test_two_mails_to_one_customer_in_one_batch_send_one(smtp_server):
    customer = CustomerFactory.create()
    first = due(customer=customer, interaction=None)
    second = due(customer=customer, interaction=None)

    assert sending.send_batch([first.pk, second.pk]) == {"sent": 1, "throttled": 1}

    second.refresh_from_db()
    assert (second.status, second.suppressed_reason) == ("suppressed", "throttled")
    assert len(smtp_server.messages) == 1


def test_a_server_closing_the_channel_puts_the_rest_back_untried(smtp_server):
    smtp_server.reply = "421 4.3.2 Service shutting down"
    invitations = [due() for _ in range(3)]

    assert sending.send_batch([row.pk for row in invitations]) == {"retry": 3}

    assert smtp_server.data_commands == 1
    for invitation in invitations:
        invitation.refresh_from_db()
        assert (invitation.status, invitation.attempts) == ("scheduled", 1)
        assert "421" in invitation.last_error
        assert invitation.scheduled_for == NOW + timedelta(seconds=60)


def test_a_connection_dropped_mid_batch_costs_one_mail_a_retry(smtp_server):
    smtp_server.hang_up_at = 2
    invitations = [due() for _ in range(3)]

    outcomes = sending.send_each([row.pk for row in invitations])

    assert list(outcomes.values()) == ["sent", "retry", "sent"]
    assert smtp_server.sessions == 2  # the third mail reconnected
    assert len(smtp_server.messages) == 2


def test_an_unforeseen_error_gives_the_untried_claims_back(mailoutbox, monkeypatch):
    invitations = [due() for _ in range(3)]
    deliver = sending.deliver

    def fail_on_the_second(invitation, *, connection):
        if invitation.pk == invitations[1].pk:
            raise RuntimeError("a bug")
        deliver(invitation, connection=connection)

    monkeypatch.setattr(sending, "deliver", fail_on_the_second)

    with pytest.raises(RuntimeError):
        sending.send_batch([row.pk for row in invitations])

    sent, in_hand, untried = invitations
    for invitation in invitations:
        invitation.refresh_from_db()
    assert sent.status == "sent"
    assert in_hand.status == "sending"  # to the lease: it may have gone out
    assert (untried.status, untried.attempts, untried.claimed_at) == (
        "scheduled",
        0,
        None,
    )
    assert len(mailoutbox) == 1


def test_a_refusal_of_one_mail_does_not_stop_the_batch(smtp_server):
    smtp_server.reply = "451 4.7.1 Greylisted, try again later"

    assert sending.send_batch([due().pk for _ in range(3)]) == {"retry": 3}

    assert smtp_server.data_commands == 3


def test_a_batch_past_half_its_lease_gives_its_claims_back_untried(
    smtp_server, settings
):
    settings.SURVEY_SEND_LEASE_SECONDS = 0  # the batch is late at once
    invitation = due()
    reminder = InvitationFactory.create(
        status="sent", sent_at=NOW - timedelta(days=3), next_reminder_at=NOW
    )

    assert sending.send_batch([invitation.pk, reminder.pk]) == {"released": 2}

    assert smtp_server.data_commands == 0
    invitation.refresh_from_db()
    reminder.refresh_from_db()
    assert (invitation.status, invitation.attempts) == ("scheduled", 0)
    assert invitation.scheduled_for == NOW - timedelta(minutes=1)
    assert (reminder.status, reminder.next_reminder_at) == ("sent", NOW)
    assert (invitation.claimed_at, reminder.claimed_at) == (None, None)

    settings.SURVEY_SEND_LEASE_SECONDS = 600
    assert sending.send_batch([invitation.pk, reminder.pk]) == {"sent": 2}


def test_a_failing_sent_hook_loses_its_event_not_the_mark(
    smtp_server, settings, caplog
):
    settings.HOOKS = {
        **settings.HOOKS,
        "invitation_sent": ["tests.surveys.test_sending.failing_hook"],
    }
    invitation = due()

    sending.send_batch([invitation.pk])

    invitation.refresh_from_db()
    assert invitation.status == "sent"
    assert len(smtp_server.messages) == 1
    assert "The invitation_sent hook failed" in caplog.text


def failing_hook(**payload: object) -> None:
    raise RuntimeError("a bug in a handler")
