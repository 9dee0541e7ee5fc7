"""Login throttling (django-axes, lib/logins.py): LOGIN_FAILURE_LIMIT failures
for one username from one address lock that pair out, refused before any
password is hashed, for a cool-off that doubles with each lockout."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.backends import ModelBackend
from django.test import Client
from django.utils import timezone

from tests.factories import UserFactory

PASSWORD = "correct-horse-battery-staple"
LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def sam(db):
    return UserFactory.create(username="sam", password=PASSWORD, is_staff=True)


@pytest.fixture
def password_checks(monkeypatch) -> list[str]:
    """The usernames whose password Django's own backend checked (hashing)."""
    checked: list[str] = []
    original = ModelBackend.authenticate

    def counting(self, request, username=None, password=None, **kwargs):
        checked.append(username)
        return original(self, request, username, password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    return checked


def log_in(password: str, *, username: str = "sam", address: str = "203.0.113.7"):
    return Client(REMOTE_ADDR=address).post(
        LOGIN, {"username": username, "password": password}
    )


def fail(times: int, **kwargs) -> list[int]:
    return [log_in("wrong", **kwargs).status_code for _ in range(times)]


def test_the_fifth_failure_locks_out_and_later_tries_are_refused_unhashed(
    sam, password_checks
):
    assert fail(4) == [200, 200, 200, 200]  # the form's error
    locked = log_in("wrong")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.text
    assert int(locked["Retry-After"]) == 15 * 60
    assert len(password_checks) == 5

    refused = [log_in(PASSWORD) for _ in range(40)]

    assert {response.status_code for response in refused} == {429}
    # No password was checked, so none hashed: a flood costs no hashing.
    assert len(password_checks) == 5
    assert "_auth_user_id" not in refused[-1].wsgi_request.session


def test_a_lockout_ends_after_its_cool_off_and_the_next_one_lasts_twice_as_long(
    sam, clock
):
    fail(5)
    clock.shift(timedelta(minutes=14))
    assert log_in(PASSWORD).status_code == 429
    clock.shift(timedelta(minutes=1, seconds=1))
    fail(4)  # the old failures no longer count: four more do not lock
    assert log_in("wrong").status_code == 429  # the second lockout

    clock.shift(timedelta(minutes=29))
    second = log_in(PASSWORD)
    assert second.status_code == 429
    assert 0 < int(second["Retry-After"]) <= 60
    clock.shift(timedelta(minutes=1, seconds=1))
    assert log_in(PASSWORD).status_code == 302  # logged in


def test_a_successful_login_starts_the_count_again(sam):
    fail(4)
    assert log_in(PASSWORD).status_code == 302
    assert fail(4) == [200, 200, 200, 200]
    assert log_in(PASSWORD).status_code == 302


def test_a_success_also_forgets_earlier_lockouts(sam, clock):
    fail(5)
    clock.shift(timedelta(minutes=16))
    assert log_in(PASSWORD).status_code == 302
    fail(5)
    clock.shift(timedelta(minutes=16))
    # Not doubled: the lockout before the success no longer counts.
    assert log_in(PASSWORD).status_code == 302


def test_the_lockout_holds_one_username_from_one_address(sam, db):
    UserFactory.create(username="mia", password=PASSWORD, is_staff=True)
    fail(5)

    assert log_in(PASSWORD, address="198.51.100.9").status_code == 302
    assert log_in(PASSWORD, username="mia").status_code == 302
    assert log_in(PASSWORD).status_code == 429


def test_behind_the_proxy_the_clients_own_address_counts(sam, settings):
    settings.BEHIND_PROXY = True
    proxy = Client(REMOTE_ADDR="10.0.0.2")

    for _ in range(5):
        proxy.post(
            LOGIN,
            {"username": "sam", "password": "wrong"},
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )
    other_client = proxy.post(
        LOGIN,
        {"username": "sam", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.9",
    )

    assert other_client.status_code == 302
    [attempt] = AccessAttempt.objects.all()
    assert attempt.ip_address == "203.0.113.7"


def test_the_limit_and_the_cool_off_come_from_the_settings(sam, settings):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 2
    settings.LOGIN_LOCKOUT_MINUTES = 3

    assert fail(2) == [200, 429]
    assert int(log_in(PASSWORD)["Retry-After"]) == 3 * 60


def test_the_lockout_page_is_in_the_users_language(sam):
    fail(4)
    locked = Client(REMOTE_ADDR="203.0.113.7").post(
        LOGIN,
        {"username": "sam", "password": "wrong"},
        HTTP_ACCEPT_LANGUAGE="zh-Hans",
    )

    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.text


def test_a_manager_sees_the_lockout_and_lifts_it(sam, manager, support):
    fail(5)
    [attempt] = AccessAttempt.objects.all()
    desk = Client()
    desk.force_login(manager)

    listing = desk.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "sam" in listing.text
    lifted = desk.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert lifted.status_code == 302
    assert log_in(PASSWORD).status_code == 302

    support_desk = Client()
    support_desk.force_login(support)
    assert support_desk.get("/admin/axes/accessattempt/").status_code == 403


def test_failures_are_kept_in_the_database_for_every_web_process(sam):
    fail(3)

    [attempt] = AccessAttempt.objects.all()
    assert (attempt.username, attempt.failures_since_start) == ("sam", 3)
    assert attempt.attempt_time <= timezone.now()
    # The wrong password itself is never stored.
    assert "wrong" not in attempt.post_data


def test_someone_elses_login_does_not_cut_a_doubled_lockout_short(sam, clock):
    UserFactory.create(username="mia", password=PASSWORD, is_staff=True)
    fail(5)
    clock.shift(timedelta(minutes=16))
    fail(5)  # the second lockout: 30 minutes

    clock.shift(timedelta(minutes=16))
    # django-axes cleans attempts up on every login, anyone's.
    log_in("wrong", username="mia", address="198.51.100.9")
    log_in(PASSWORD, username="mia", address="198.51.100.9")

    assert log_in(PASSWORD).status_code == 429
    clock.shift(timedelta(minutes=15))
    assert log_in(PASSWORD).status_code == 302


@pytest.mark.parametrize("spelling", ["sam ", " sam", "ｓａｍ"])
def test_a_username_counts_as_the_form_cleans_it(sam, clock, spelling):
    fail(5, username=spelling)
    assert log_in(PASSWORD).status_code == 429
    clock.shift(timedelta(minutes=16))
    fail(5, username="sam")

    # The second lockout of the same username: twice as long.
    assert int(log_in(PASSWORD, username=spelling)["Retry-After"]) == 30 * 60


def test_the_lockouts_of_a_long_flood_stop_growing_at_a_day(settings):
    from lib.logins import lockout_length

    settings.LOGIN_LOCKOUT_MINUTES = 15

    assert lockout_length(1) == timedelta(minutes=15)
    assert lockout_length(3) == timedelta(hours=1)
    assert lockout_length(60) == timedelta(days=1)
