"""The workflow's settings pages in the admin: holidays, staff members' mail
language and the alert outbox."""

from datetime import timedelta

import pytest
from django.urls import reverse

from feedback.models import Alert, Holiday, StaffPreference
from tests.factories import CaseEventFactory, UserFactory
from tests.feedback.admin_helpers import NOW, Event, case_url, count_queries

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


# The workflow's settings


def test_managers_keep_the_holidays(client, manager):
    client.force_login(manager)

    response = client.post(
        reverse("admin:feedback_holiday_add"),
        {"date": "2026-12-25", "name": "Christmas"},
    )

    assert response.status_code == 302
    assert Holiday.objects.get().name == "Christmas"
    listed = client.get(reverse("admin:feedback_holiday_changelist"))
    assert "Christmas" in listed.content.decode()


def test_support_sees_the_holidays_and_changes_none(client, support):
    client.force_login(support)

    assert client.get(reverse("admin:feedback_holiday_changelist")).status_code == 200
    assert client.get(reverse("admin:feedback_holiday_add")).status_code == 403


def test_managers_set_a_staff_members_mail_language(client, manager, owner):
    client.force_login(manager)

    response = client.post(
        reverse("admin:feedback_staffpreference_add"),
        {"user": owner.pk, "language": "zh-hans"},
    )

    assert response.status_code == 302
    assert owner.preference.language == "zh-hans"


def test_the_alert_outbox_is_read_only_and_for_managers(client, manager, support):
    event = CaseEventFactory.create(kind=Event.ASSIGNED)
    alert = Alert.objects.create(
        event=event,
        channel=Alert.Channel.EMAIL,
        recipient=manager,
        attempts=2,
        last_error="421 try later",
    )
    client.force_login(manager)

    listed = client.get(reverse("admin:feedback_alert_changelist"))
    page = client.get(reverse("admin:feedback_alert_change", args=[alert.pk]))

    assert "421 try later" in listed.content.decode()
    assert case_url(event.case) in listed.content.decode()
    assert page.status_code == 200
    assert page.context["adminform"].form.fields == {}
    assert client.get(reverse("admin:feedback_alert_add")).status_code == 403
    client.force_login(support)
    assert client.get(reverse("admin:feedback_alert_changelist")).status_code == 403


@pytest.mark.parametrize("page", ["alert", "holiday", "staffpreference"])
def test_the_settings_lists_queries_do_not_grow(client, manager, page):
    client.force_login(manager)
    url = reverse(f"admin:feedback_{page}_changelist")

    def add_rows(start, count):
        for index in range(start, start + count):
            user = UserFactory.create(username=f"user-{index}", groups=["Support"])
            Holiday.objects.create(date=NOW.date() + timedelta(days=index))
            StaffPreference.objects.create(user=user)
            Alert.objects.create(
                event=CaseEventFactory.create(), channel="email", recipient=user
            )

    add_rows(0, 1)
    _, with_one = count_queries(client, url)
    add_rows(1, 5)
    _, with_six = count_queries(client, url)

    assert with_six == with_one
