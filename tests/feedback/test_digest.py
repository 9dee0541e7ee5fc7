"""The managers' weekly digest reaches a real SMTP server once per manager and
week, from the configured weekday and hour on, with the week's figures."""

import asyncio
import email
import email.policy
import threading
import time
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, Permission, User
from django.db import connection, connections
from django.utils import timezone

from customers.models import Stage
from feedback import permissions, tasks
from feedback.models import Case, StaffPreference, WeeklyDigest
from feedback.services import digest
from surveys.models import Kind
from surveys.services import rollup
from tests.factories import (
    CaseFactory,
    CustomerFactory,
    SurveyResponseFactory,
    TouchpointFactory,
    UserFactory,
)

# Monday 23 November 2026, 08:00 in TIME_ZONE (UTC): the digest of the week of
# Monday 16 to Sunday 22 November is due.
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
WEEK = date(2026, 11, 16)
SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


@pytest.fixture(autouse=True)
def monday_at_eight(settings):
    settings.TIME_ZONE = "UTC"
    settings.WEEKLY_DIGEST_WEEKDAY = 0
    settings.WEEKLY_DIGEST_HOUR = 8


def parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(
        raw, _class=EmailMessage, policy=email.policy.default
    )


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def html_of(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def recipients_of(sink) -> list[str]:
    return sorted(parsed(raw)["To"] for raw in sink.messages)


def boss(name: str, **kwargs):
    return UserFactory.create(username=name, groups=["Manager"], **kwargs)


def answer(kind: str, score: int, *, at: datetime, **dimensions):
    return SurveyResponseFactory.create(
        invitation__survey__kind=kind, score=score, answered_at=at, **dimensions
    )


def test_before_the_hour_no_digest_is_written_or_sent(manager, smtp_server, clock):
    clock.move_to(NOW - timedelta(minutes=1))

    assert tasks.send_weekly_digests_task() == {
        "created": 0,
        "sent": 0,
        "skipped": 0,
        "failed": 0,
    }

    assert WeeklyDigest.objects.count() == 0
    assert smtp_server.messages == []


def test_from_the_hour_each_manager_gets_one_digest_however_often_it_runs(
    manager, support, outsider, smtp_server
):
    admin = UserFactory.create(username="admin", is_staff=True, is_superuser=True)
    lead = UserFactory.create(username="lead", is_staff=True)
    lead.user_permissions.add(Permission.objects.get(codename="change_case"))
    boss("gone", is_active=False)
    boss("no-address", email="")
    User.objects.filter(pk=boss("not-staff").pk).update(is_staff=False)

    first = tasks.send_weekly_digests_task()
    second = tasks.send_weekly_digests_task()

    assert first == {"created": 3, "sent": 3, "skipped": 0, "failed": 0}
    assert second == {"created": 0, "sent": 0, "skipped": 0, "failed": 0}
    assert recipients_of(smtp_server) == [
        "admin@example.com",
        "lead@example.com",
        "mia-manager@example.com",
    ]
    rows = WeeklyDigest.objects.order_by("user__username")
    assert [(row.user, row.week_start) for row in rows] == [
        (admin, WEEK),
        (lead, WEEK),
        (manager, WEEK),
    ]
    assert [(row.sent_at, row.next_attempt_at, row.attempts) for row in rows] == [
        (NOW, None, 1),
        (NOW, None, 1),
        (NOW, None, 1),
    ]
    [digest_id] = WeeklyDigest.objects.filter(user=manager).values_list("id", flat=True)
    messages = {parsed(raw)["To"]: parsed(raw) for raw in smtp_server.messages}
    assert messages["mia-manager@example.com"]["Message-ID"].startswith(
        f"<weekly-digest-{digest_id}@"
    )
    assert messages["mia-manager@example.com"]["Subject"] == (
        "Touchloop weekly digest: 16 Nov 2026 to 22 Nov 2026"
    )


def test_the_digest_goes_to_whom_the_dashboard_is_for(
    manager, support, outsider, settings
):
    settings.CASE_ESCALATION_GROUP = "Escalations"
    on_call = UserFactory.create(username="on-call", is_staff=True)
    on_call.groups.add(Group.objects.create(name="Escalations"))
    admin = UserFactory.create(username="admin", is_staff=True, is_superuser=True)
    staff = [manager, support, outsider, on_call, admin]
    User.objects.filter(pk__in=[user.pk for user in staff]).update(is_staff=True)

    assert {user for user in staff if permissions.is_manager(user)} == {manager, admin}
    assert set(digest.recipients()) == {manager, admin}


def test_the_rest_of_the_week_sends_nothing_more_and_the_next_week_a_new_one(
    manager, smtp_server, clock
):
    tasks.send_weekly_digests_task()
    clock.move_to(NOW + timedelta(days=6, hours=15))  # Sunday 23:00
    tasks.send_weekly_digests_task()
    clock.move_to(NOW + timedelta(days=7, minutes=-1))  # Monday 07:59
    tasks.send_weekly_digests_task()
    assert len(smtp_server.messages) == 1

    clock.move_to(NOW + timedelta(days=7))  # Monday 08:00
    tasks.send_weekly_digests_task()

    assert len(smtp_server.messages) == 2
    assert list(
        WeeklyDigest.objects.order_by("week_start").values_list("week_start", flat=True)
    ) == [WEEK, WEEK + timedelta(days=7)]
    assert parsed(smtp_server.messages[1])["Subject"] == (
        "Touchloop weekly digest: 23 Nov 2026 to 29 Nov 2026"
    )


@pytest.mark.parametrize(
    ("local", "week"),
    [
        (datetime(2026, 11, 23, 7, 59, tzinfo=SHANGHAI), None),
        (datetime(2026, 11, 23, 8, 0, tzinfo=SHANGHAI), WEEK),
        (datetime(2026, 11, 29, 23, 59, tzinfo=SHANGHAI), WEEK),
        (datetime(2026, 11, 30, 7, 59, tzinfo=SHANGHAI), None),
    ],
)
def test_the_week_due_follows_the_local_weekday_and_hour(local, week, settings):
    settings.TIME_ZONE = "Asia/Shanghai"

    # Given as the UTC instant a worker's clock reads.
    assert digest.week_due(local.astimezone(UTC)) == week


def test_a_later_weekday_waits_for_it_and_still_reports_the_week_before(settings):
    settings.WEEKLY_DIGEST_WEEKDAY, settings.WEEKLY_DIGEST_HOUR = 2, 17
    wednesday = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)

    assert digest.week_due(wednesday - timedelta(seconds=1)) is None
    assert digest.week_due(wednesday) == WEEK


def test_the_hour_is_local_time(manager, smtp_server, settings, clock):
    settings.TIME_ZONE = "Asia/Shanghai"  # 08:00 there is 00:00 UTC
    clock.move_to(datetime(2026, 11, 22, 23, 59, tzinfo=UTC))
    tasks.send_weekly_digests_task()
    assert smtp_server.messages == []

    clock.move_to(datetime(2026, 11, 23, 0, 0, tzinfo=UTC))
    tasks.send_weekly_digests_task()

    assert recipients_of(smtp_server) == ["mia-manager@example.com"]
    assert WeeklyDigest.objects.get().week_start == WEEK


def test_a_manager_who_opted_out_gets_none(manager, smtp_server):
    digest.set_receives_weekly_digest(manager, receives=False)
    other = boss("max")

    tasks.send_weekly_digests_task()

    assert recipients_of(smtp_server) == ["max@example.com"]
    assert list(WeeklyDigest.objects.values_list("user_id", flat=True)) == [other.pk]


def test_opting_out_after_the_digest_was_written_skips_it(manager, smtp_server):
    digest.create_due(now=NOW)
    [digest_id] = WeeklyDigest.objects.values_list("id", flat=True)
    digest.set_receives_weekly_digest(manager, receives=False)

    assert digest.deliver(digest_id, now=NOW) == "skipped"

    assert smtp_server.messages == []
    row = WeeklyDigest.objects.get()
    assert (row.sent_at, row.next_attempt_at, row.attempts) == (None, None, 1)
    assert row.last_error == "The manager opted out, left or has no address."
    assert tasks.send_weekly_digests_task()["sent"] == 0


def test_a_row_claimed_by_another_worker_is_not_sent_until_its_lease_runs_out(
    manager, smtp_server, clock
):
    digest.create_due(now=NOW)
    [digest_id] = WeeklyDigest.objects.values_list("id", flat=True)
    # Another worker has claimed the row and is sending it.
    WeeklyDigest.objects.filter(id=digest_id).update(
        claimed_at=NOW, next_attempt_at=NOW + digest.LEASE, attempts=1
    )

    clock.move_to(NOW + timedelta(minutes=5))
    assert digest.deliver(digest_id, now=NOW + timedelta(minutes=5)) == "not due"
    assert tasks.send_weekly_digests_task()["sent"] == 0
    assert smtp_server.messages == []

    # That worker died: after the lease the row is someone else's to send.
    clock.move_to(NOW + digest.LEASE)
    assert digest.deliver(digest_id, now=NOW + digest.LEASE) == "sent"
    assert len(smtp_server.messages) == 1
    row = WeeklyDigest.objects.get()
    assert (row.claimed_at, row.attempts) == (NOW + digest.LEASE, 2)


def test_a_transient_mail_error_is_retried_later_and_sends_one_mail(
    manager, smtp_server, clock
):
    smtp_server.reply = "451 Try again later"

    assert tasks.send_weekly_digests_task()["failed"] == 1

    row = WeeklyDigest.objects.get()
    assert (row.sent_at, row.attempts) == (None, 1)
    assert row.next_attempt_at == NOW + timedelta(seconds=60)
    assert "451" in row.last_error
    clock.move_to(NOW + timedelta(seconds=30))
    assert tasks.send_weekly_digests_task()["failed"] == 0  # not due yet

    smtp_server.reply = ""
    clock.move_to(NOW + timedelta(hours=1))
    assert tasks.send_weekly_digests_task()["sent"] == 1
    tasks.send_weekly_digests_task()

    assert len(smtp_server.messages) == 1
    row = WeeklyDigest.objects.get()
    assert (row.sent_at, row.next_attempt_at, row.attempts, row.last_error) == (
        NOW + timedelta(hours=1),
        None,
        2,
        "",
    )


def test_a_digest_gives_up_after_the_last_attempt(manager, closed_smtp_port):
    digest.create_due(now=NOW)
    WeeklyDigest.objects.update(attempts=digest.MAX_ATTEMPTS - 1)

    assert tasks.send_weekly_digests_task()["failed"] == 1

    row = WeeklyDigest.objects.get()
    assert (row.attempts, row.next_attempt_at, row.sent_at) == (
        digest.MAX_ATTEMPTS,
        None,
        None,
    )


def test_one_managers_failure_does_not_stop_the_others(manager, smtp_server, caplog):
    # An address with a line break: Django refuses it before any SMTP.
    broken = boss("broken")
    User.objects.filter(pk=broken.pk).update(email="broken@example.com\nBcc: x@y.z")

    assert tasks.send_weekly_digests_task() == {
        "created": 2,
        "sent": 1,
        "skipped": 0,
        "failed": 1,
    }

    assert recipients_of(smtp_server) == ["mia-manager@example.com"]
    row = WeeklyDigest.objects.get(user=broken)
    assert (row.sent_at, row.next_attempt_at, row.attempts) == (None, None, 1)
    assert row.last_error.startswith("ValueError: ")
    assert f"The weekly digest {row.pk} could not be sent" in caplog.text
    # Given up, not retried: a fault of ours would only fail again.
    assert tasks.send_weekly_digests_task()["failed"] == 0


# serialized_rollback: the flush after the test must not take the roles and
# root causes that migrations made from the tests that run later.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_at_once_against_a_slow_mail_server_send_one_mail_per_manager(
    smtp_server, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent writers need PostgreSQL")
    # Each mail takes 0.2 s; the second run starts after a lease counted
    # from the first run's start would have run out, while the first one is
    # still sending: its claims must hold from when they were made.
    mail_seconds = 0.2
    monkeypatch.setattr(digest, "LEASE", timedelta(seconds=1))
    fast = smtp_server.handle_DATA

    async def slow(server, session, envelope) -> str:
        await asyncio.sleep(mail_seconds)
        return await fast(server, session, envelope)

    monkeypatch.setattr(smtp_server, "handle_DATA", slow)
    managers = [boss(f"boss-{n}") for n in range(10)]
    errors: list[BaseException] = []

    def run() -> None:
        try:
            digest.send_due(now=timezone.now())
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    with time_machine.travel(NOW, tick=True):
        first, second = threading.Thread(target=run), threading.Thread(target=run)
        first.start()
        time.sleep(1.1)
        second.start()
        first.join()
        second.join()

    assert errors == []
    assert recipients_of(smtp_server) == sorted(user.email for user in managers)
    assert list(WeeklyDigest.objects.values_list("attempts", flat=True)) == [1] * 10
    assert not WeeklyDigest.objects.filter(sent_at__isnull=True).exists()


def hand_made_week() -> tuple[list[Case], int]:
    """NPS in the week: 6 promoters, 2 passives and 2 detractors, the
    detractors at the Support ticket (NPS 40.0); the week before, 5
    passives (NPS 0.0). CSAT: 5, 4 and 2 (66.7 %). No CES. Seven cases past
    their deadline, the most overdue first."""
    ticket = TouchpointFactory.create(name="Support ticket", stage=Stage.USAGE)
    monday = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    for score in [10, 10, 9, 9, 9, 9, 8, 7]:
        answer(Kind.NPS, score, at=monday)
    for score in [3, 6]:
        answer(Kind.NPS, score, at=monday, touchpoint=ticket, stage=Stage.USAGE)
    for _ in range(5):
        answer(Kind.NPS, 8, at=monday - timedelta(days=3))
    for score in [5, 4, 2]:
        answer(Kind.CSAT, score, at=monday + timedelta(days=6, hours=14))  # Sunday
    answer(Kind.NPS, 0, at=NOW - timedelta(minutes=1))  # this week: not counted
    rollup.rebuild_rollup()
    overdue = [
        CaseFactory.create(
            response=None,
            customer=CustomerFactory.create(name=f"Late {hours}"),
            reason=Case.Reason.MANUAL,
            due_at=NOW - timedelta(hours=hours),
        )
        for hours in [7, 6, 5, 4, 3, 2, 1]
    ]
    CaseFactory.create(
        response=None,
        customer=CustomerFactory.create(name="On time"),
        reason=Case.Reason.MANUAL,
        due_at=NOW + timedelta(hours=1),
    )
    return overdue, ticket.pk


def test_the_digest_has_the_weeks_scores_pain_point_and_overdue_cases(
    manager, smtp_server
):
    overdue, ticket = hand_made_week()

    tasks.send_weekly_digests_task()

    [raw] = smtp_server.messages
    body = text_of(parsed(raw))
    week = "from=2026-11-16&to=2026-11-22"
    latest = overdue[:5]  # the most overdue first
    for expected in [
        "Your weekly digest of 16 Nov 2026 to 22 Nov 2026, with the change from "
        "the week before.",
        # 10 and 5 answers: too few for the z-test to say anything.
        "NPS: 40.0 ±49.6 from 10 answers; change +40.0 (too few answers to tell)",
        "Fewer than 30 answers: read with care.",
        f"http://testserver/dashboard/?{week}&kind=nps",
        "CSAT: 66.7 ±53.3 from 3 answers",
        f"http://testserver/dashboard/?{week}&kind=csat",
        "CES: no answers this week",
        "NPS, Usage / Support ticket: 2 of 2 answers negative",
        f"http://testserver/dashboard/?{week}&kind=nps&stage=usage&touchpoint={ticket}",
        "7 cases are past their first-contact deadline.",
        f"#{latest[0].pk} Late 7: 7\xa0hours overdue, owner: nobody",
        f"http://testserver/admin/feedback/case/{latest[0].pk}/change/",
        f"#{latest[4].pk} Late 3: 3\xa0hours overdue, owner: nobody",
        "All overdue cases: http://testserver/admin/feedback/case/?overdue=1",
        f"Open the dashboard: http://testserver/dashboard/?{week}&kind=nps",
        "To stop it: http://testserver/dashboard/digest/",
    ]:
        assert expected in body, expected
    # CSAT had no answers the week before: no change to speak of.
    assert "CSAT: 66.7 ±53.3 from 3 answers\n" in body
    assert "Late 2" not in body
    assert "On time" not in body
    html = html_of(parsed(raw))
    assert '<html lang="en">' in html
    link = f"http://testserver/admin/feedback/case/{latest[0].pk}/change/"
    assert f'<a href="{link}">#{latest[0].pk}</a>' in html


def test_a_significant_change_says_so(manager, smtp_server):
    monday = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    for _ in range(30):
        answer(Kind.CES, 7, at=monday)
        answer(Kind.CES, 1, at=monday - timedelta(days=7))
    rollup.rebuild_rollup()

    tasks.send_weekly_digests_task()

    body = text_of(parsed(smtp_server.messages[0]))
    assert (
        "CES: 100.0 ±0.0 from 30 answers; change +100.0 (significant at 95%)\n"
    ) in body
    assert "read with care" not in body
    assert "None this week." in body  # no negative answer in the week


def test_a_change_within_the_margin_says_so(manager, smtp_server):
    monday = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    for score in [5] * 15 + [1] * 15:
        answer(Kind.CSAT, score, at=monday)
    for score in [5] * 14 + [1] * 16:
        answer(Kind.CSAT, score, at=monday - timedelta(days=7))
    rollup.rebuild_rollup()

    tasks.send_weekly_digests_task()

    body = text_of(parsed(smtp_server.messages[0]))
    assert (
        "CSAT: 50.0 ±17.9 from 30 answers; change +3.3 (within the margin of error)\n"
        in body
    )


def test_a_pain_point_at_a_stage_no_longer_offered_shows_it_as_stored(
    manager, smtp_server
):
    monday = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    answer(Kind.NPS, 2, at=monday, stage="retired")

    tasks.send_weekly_digests_task()

    body = text_of(parsed(smtp_server.messages[0]))
    assert "NPS, retired / " in body
    assert "&kind=nps&stage=retired" in body


def test_a_quiet_week_says_so(manager, smtp_server):
    tasks.send_weekly_digests_task()

    body = text_of(parsed(smtp_server.messages[0]))
    for expected in [
        "NPS: no answers this week",
        "CSAT: no answers this week",
        "CES: no answers this week",
        "None this week.",
        "0 cases are past their first-contact deadline.",
    ]:
        assert expected in body, expected
    assert "All overdue cases" not in body


def test_the_digest_is_in_the_managers_language(manager, smtp_server):
    hand_made_week()
    StaffPreference.objects.create(user=manager, language="zh-hans")

    tasks.send_weekly_digests_task()

    message = parsed(smtp_server.messages[0])
    assert '<html lang="zh-Hans">' in html_of(message)
    assert "2026年11月16日" in message["Subject"]
    assert "40.0" in text_of(message)
    assert "±49.6" in text_of(message)


def test_the_beat_runs_the_digest_hourly():
    entry = django_settings.CELERY_BEAT_SCHEDULE["send-weekly-digests"]

    assert entry["task"] == tasks.send_weekly_digests_task.name
    assert entry["task"] == "feedback.tasks.send_weekly_digests_task"
    assert str(entry["schedule"]) == "<crontab: 5 * * * * (m/h/dM/MY/d)>"


# The page


def test_the_page_needs_a_login(client):
    response = client.get("/dashboard/digest/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/dashboard/digest/"


def test_the_page_shows_the_digest_on_by_default(client, manager):
    client.force_login(manager)

    response = client.get("/dashboard/digest/")

    assert response.status_code == 200
    assert response.context["form"]["receives_weekly_digest"].value() is True
    assert "Send me the weekly digest" in response.content.decode()
    assert not StaffPreference.objects.exists()  # a GET writes nothing


def test_unticking_the_box_opts_the_user_out_and_ticking_it_in_again(client, manager):
    client.force_login(manager)

    response = client.post("/dashboard/digest/", {})

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/digest/"
    assert StaffPreference.objects.get(user=manager).receives_weekly_digest is False
    assert digest.recipients().count() == 0
    page = client.get("/dashboard/digest/")
    assert page.context["form"]["receives_weekly_digest"].value() is False
    assert "You will not receive the weekly digest." in page.content.decode()

    client.post("/dashboard/digest/", {"receives_weekly_digest": "on"})

    assert StaffPreference.objects.get(user=manager).receives_weekly_digest is True
    assert list(digest.recipients()) == [manager]


def test_the_page_changes_only_the_users_own_preference(client, manager):
    other = boss("max")
    StaffPreference.objects.create(user=other, language="zh-hans")
    client.force_login(manager)

    client.post("/dashboard/digest/", {"user": other.pk})

    assert StaffPreference.objects.get(user=other).receives_weekly_digest is True
    assert StaffPreference.objects.get(user=manager).receives_weekly_digest is False


def test_the_admin_shows_the_opt_out_and_the_digest_outbox(client, manager):
    digest.set_receives_weekly_digest(manager, receives=False)
    WeeklyDigest.objects.create(user=manager, week_start=WEEK)
    client.force_login(manager)

    preferences = client.get("/admin/feedback/staffpreference/")
    outbox = client.get("/admin/feedback/weeklydigest/")

    assert preferences.status_code == 200
    assert "receives the weekly digest" in preferences.content.decode().lower()
    assert outbox.status_code == 200
    assert "16 Nov 2026" in outbox.content.decode()
