"""The case page's quick actions: those that work, those that are refused,
and form errors (the page again, with the errors, and nothing changed)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from feedback.models import Case, RootCause
from surveys.models import Invitation
from tests.factories import CustomerFactory, UserFactory
from tests.feedback.admin_helpers import NOW, Event, case_url, messages_of, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


# Quick actions that work


@pytest.mark.parametrize("who", ["owner", "manager"])
def test_recording_a_contact(client, request, case, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    # Half an hour ago, as the form shows it: local time in the site's zone.
    reached = timezone.localtime(NOW - timedelta(minutes=30))

    response = client.post(
        case_url(case, "contact"),
        {
            "contact-channel": "email",
            "contact-at_0": f"{reached:%Y-%m-%d}",
            "contact-at_1": f"{reached:%H:%M:%S}",
            "contact-note": "Apologised",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == case_url(case)
    assert messages_of(response) == ["The contact was recorded."]
    case.refresh_from_db()
    assert case.status == Case.Status.CONTACTED
    assert case.first_contact_at == datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
    assert case.contact_channel == "email"
    event = case.events.get(kind=Event.CONTACTED)
    assert (event.actor, event.note) == (user, "Apologised")


def test_a_contact_without_a_time_is_now(client, owner, case):
    client.force_login(owner)

    client.post(case_url(case, "contact"), {"contact-channel": "phone"})

    case.refresh_from_db()
    assert case.first_contact_at == NOW
    assert case.contact_channel == "phone"


@pytest.mark.parametrize("who", ["owner", "manager"])
def test_closing_with_a_root_cause_schedules_the_recovery_survey(
    client, request, case, who
):
    user = request.getfixturevalue(who)
    billing = RootCause.objects.get(name="Billing")
    client.force_login(user)

    response = client.post(
        case_url(case, "close"),
        {
            "close-root_cause": billing.pk,
            "close-resolution": "Refunded the double charge",
            "close-recovery_days": "10",
        },
    )

    assert response.status_code == 302
    assert messages_of(response) == ["The case was closed."]
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert case.closed_at == NOW
    assert case.root_cause == billing
    assert case.resolution == "Refunded the double charge"
    assert case.recovery_invitation is not None
    assert case.recovery_invitation.scheduled_for == NOW + timedelta(days=10)
    event = case.events.get(kind=Event.CLOSED)
    assert (event.actor, event.note) == (user, "Refunded the double charge")


def test_closing_without_a_resurvey(client, owner, case):
    client.force_login(owner)

    client.post(
        case_url(case, "close"),
        {
            "close-root_cause": RootCause.objects.get(name="Delivery").pk,
            "close-resolution": "Sent it again",
            "close-recovery_days": "7",
            "close-skip_resurvey": "on",
        },
    )

    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert case.recovery_invitation is None
    assert not Invitation.objects.filter(occasion__startswith="recovery:").exists()


def test_the_resurvey_fields_are_offered_only_for_a_case_from_an_answer(
    client, support, owner
):
    customer = CustomerFactory.create()
    client.force_login(support)
    manual = client.post(
        reverse("admin:feedback_case_add"),
        {"customer": customer.pk, "priority": "normal", "owner": owner.pk},
    )
    case = Case.objects.get()
    assert manual["Location"] == case_url(case)
    client.force_login(owner)

    html = client.get(case_url(case)).content.decode()

    assert 'name="close-resolution"' in html
    assert 'name="close-recovery_days"' not in html


@pytest.mark.parametrize("who", ["owner", "manager"])
def test_reopening_a_closed_case(client, request, case, who):
    user = request.getfixturevalue(who)
    Case.objects.filter(pk=case.pk).update(
        status=Case.Status.CLOSED,
        root_cause=RootCause.objects.get(name="Billing"),
        resolution="Refunded",
        closed_at=NOW - timedelta(hours=1),
    )
    client.force_login(user)

    response = client.post(case_url(case, "reopen"), {"reopen-note": "Still angry"})

    assert messages_of(response) == ["The case was reopened."]
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    assert (case.closed_at, case.root_cause, case.resolution) == (None, None, "")
    event = case.events.get(kind=Event.REOPENED)
    assert (event.actor, event.note) == (user, "Still angry")


@pytest.mark.parametrize("who", ["owner", "manager"])
def test_reassigning_a_case(client, request, case, support, who):
    user = request.getfixturevalue(who)
    client.force_login(user)

    response = client.post(case_url(case, "reassign"), {"reassign-owner": support.pk})

    assert messages_of(response) == ["The case was reassigned."]
    case.refresh_from_db()
    assert case.owner == support
    assert case.assignment_rule == Case.AssignmentRule.BY_HAND
    event = case.events.get(kind=Event.ASSIGNED)
    assert event.actor == user
    assert event.data["to"] == support.pk


@pytest.mark.parametrize("who", ["owner", "manager"])
def test_adding_a_note(client, request, case, who):
    user = request.getfixturevalue(who)
    client.force_login(user)

    response = client.post(case_url(case, "note"), {"note-note": "  Called twice  "})

    assert messages_of(response) == ["The note was added."]
    event = case.events.get(kind=Event.NOTE)
    assert (event.actor, event.note) == (user, "Called twice")


# Quick actions that are refused

VALID_POSTS: dict[str, dict[str, str]] = {
    "contact": {"contact-channel": "phone"},
    "close": {"close-root_cause": "BILLING", "close-resolution": "Done"},
    "reassign": {"reassign-owner": "SUPPORT"},
    "note": {"note-note": "Hello"},
}


@pytest.mark.parametrize("action", list(VALID_POSTS))
def test_support_cannot_act_on_someone_elses_case(client, support, case, action):
    placeholders = {
        "SUPPORT": support.pk,
        "BILLING": RootCause.objects.get(name="Billing").pk,
    }
    data = {
        name: placeholders.get(value, value)
        for name, value in VALID_POSTS[action].items()
    }
    before = snapshot(case)
    client.force_login(support)

    response = client.post(case_url(case, action), data)

    assert response.status_code == 302
    assert response["Location"] == case_url(case)
    assert len(messages_of(response)) == 1
    assert "Only the case's owner or a manager" in messages_of(response)[0]
    assert snapshot(case) == before


def test_support_cannot_reopen_someone_elses_case(client, support, case):
    Case.objects.filter(pk=case.pk).update(
        status=Case.Status.CLOSED,
        root_cause=RootCause.objects.get(name="Billing"),
        resolution="Refunded",
        closed_at=NOW,
    )
    before = snapshot(case)
    client.force_login(support)

    response = client.post(case_url(case, "reopen"), {"reopen-note": "Hm"})

    assert "Only the case's owner or a manager" in messages_of(response)[0]
    assert snapshot(case) == before


def test_support_with_bad_input_on_someone_elses_case_is_refused_too(
    client, support, case
):
    before = snapshot(case)
    client.force_login(support)

    response = client.post(case_url(case, "close"), {"close-resolution": ""})

    assert response.status_code == 302
    assert messages_of(response) == [
        "Only the case's owner or a manager may work on this case."
    ]
    assert snapshot(case) == before


def test_reopening_an_open_case_is_refused_with_a_message(client, owner, case):
    before = snapshot(case)
    client.force_login(owner)

    response = client.post(case_url(case, "reopen"), {"reopen-note": "Again"})

    assert response.status_code == 302
    assert messages_of(response) == ["Only a closed case can be reopened."]
    assert snapshot(case) == before


def test_an_action_is_a_post(client, owner, case):
    client.force_login(owner)

    assert client.get(case_url(case, "close")).status_code == 405


def test_an_action_on_a_case_that_does_not_exist_is_a_404(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("admin:feedback_case_note", args=[999_999]), {"note-note": "x"}
    )

    assert response.status_code == 404


def test_someone_who_may_not_see_cases_gets_a_403(client, case):
    staff = UserFactory.create(username="stan-staff", is_staff=True)
    client.force_login(staff)

    response = client.post(case_url(case, "note"), {"note-note": "x"})

    assert response.status_code == 403
    assert not case.events.filter(kind=Event.NOTE).exists()


# Form errors: the page again, with the errors, and nothing changed

BAD_INPUT = [
    ("close", {"close-resolution": "Refunded"}, "Choose the root cause."),
    ("close", {"close-root_cause": "BILLING"}, "Say how the case was resolved."),
    (
        "close",
        {
            "close-root_cause": "BILLING",
            "close-resolution": "Refunded",
            "close-recovery_days": "400",
        },
        "less than or equal to 365",
    ),
    ("close", {"close-root_cause": "999999", "close-resolution": "x"}, "valid choice"),
    (
        "contact",
        {
            "contact-channel": "phone",
            "contact-at_0": "2026-11-19",
            "contact-at_1": "9:00",
        },
        "A contact cannot be in the future.",
    ),
    (
        "contact",
        {
            "contact-channel": "phone",
            "contact-at_0": "2026-11-01",
            "contact-at_1": "9:00",
        },
        "A contact cannot be before the case was opened.",
    ),
    (
        "contact",
        {"contact-channel": "phone", "contact-at_0": "yesterday", "contact-at_1": "9"},
        "Enter a valid date.",
    ),
    (
        "contact",
        {
            "contact-channel": "phone",
            "contact-at_0": "2026-02-30",
            "contact-at_1": "25:61",
        },
        "Enter a valid date.",
    ),
    ("contact", {"contact-channel": "pigeon"}, "valid choice"),
    ("contact", {"contact-channel": "phone", "contact-note": "a\x00b"}, "Null"),
    ("reassign", {"reassign-owner": "nobody"}, "valid choice"),
    ("note", {"note-note": "   "}, "Write the note."),
]


@pytest.mark.parametrize(("action", "data", "error"), BAD_INPUT)
def test_bad_input_shows_the_form_again_with_its_error(
    client, owner, case, action, data, error
):
    billing = RootCause.objects.get(name="Billing")
    data = {
        name: billing.pk if value == "BILLING" else value
        for name, value in data.items()
    }
    before = snapshot(case)
    client.force_login(owner)

    response = client.post(case_url(case, action), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert error in html
    (panel,) = [
        panel
        for panel in response.context["quick_actions"]
        if panel["action"].name == action
    ]
    assert panel["form"].errors
    assert panel["is_open"]
    assert snapshot(case) == before


def test_reassigning_to_someone_who_has_left_shows_the_services_error(
    client, owner, case
):
    former = UserFactory.create(username="fred-former", groups=["Support"])
    former.is_active = False
    former.save()
    client.force_login(owner)

    response = client.post(case_url(case, "reassign"), {"reassign-owner": former.pk})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    case.refresh_from_db()
    assert case.owner == owner
