"""The case desk in the admin: the case page and its quick actions, the list
of cases and its bulk reassignment, the manual case form, the owners' home and
the workflow's settings pages."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from feedback.admin import CaseAdmin
from feedback.models import (
    Alert,
    Case,
    CaseEvent,
    Holiday,
    RootCause,
    StaffPreference,
)
from surveys.models import Invitation
from tests.factories import (
    CaseEventFactory,
    CaseFactory,
    CustomerFactory,
    InteractionFactory,
    SurveyResponseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday
Event = CaseEvent.Kind


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def owner(db):
    return UserFactory.create(
        username="oona-owner",
        first_name="Oona",
        last_name="Owner",
        groups=["Support"],
    )


@pytest.fixture
def case(owner):
    interaction = InteractionFactory.create(subject="Broken invoice")
    response = SurveyResponseFactory.create(
        invitation__interaction=interaction,
        invitation__customer=interaction.customer,
        score=2,
        comment="Nobody called me back",
    )
    case = CaseFactory.create(
        response=response,
        interaction=interaction,
        owner=owner,
        due_at=NOW + timedelta(hours=5),
        created_at=NOW - timedelta(hours=1),
    )
    CaseEventFactory.create(case=case, kind=Event.OPENED, created_at=case.created_at)
    return case


def case_url(case: Case, action: str = "change") -> str:
    return reverse(f"admin:feedback_case_{action}", args=[case.pk])


def count_queries(client, url: str) -> tuple[Any, int]:
    client.get(url)  # warm the per-process caches (content types, permissions)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response, len(queries)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def snapshot(case: Case) -> dict[str, object]:
    case.refresh_from_db()
    fields = ["status", "owner_id", "first_contact_at", "closed_at", "root_cause_id"]
    state = {name: getattr(case, name) for name in fields}
    state["resolution"] = case.resolution
    state["events"] = list(case.events.values_list("id", flat=True))
    return state


# The case page


def test_the_case_page_shows_the_case_its_answer_and_its_timeline(client, owner, case):
    CaseEventFactory.create(
        case=case, kind=Event.NOTE, actor=owner, note="Left a voicemail"
    )
    client.force_login(owner)

    response = client.get(case_url(case))

    assert response.status_code == 200
    html = response.content.decode()
    customer_url = reverse("admin:customers_customer_change", args=[case.customer_id])
    assert f'href="{customer_url}"' in html
    assert "Oona Owner" in html
    assert "5\xa0hours left" in html
    assert "Nobody called me back" in html
    assert "Broken invoice" in html
    assert "Left a voicemail" in html
    assert ">system<" in html  # the opening event has no actor
    panels = [panel["action"].name for panel in response.context["quick_actions"]]
    assert panels == ["contact", "close", "reassign", "note"]
    # Read-only: the case itself has no editable field.
    assert response.context["adminform"].form.fields == {}


def test_an_overdue_case_says_by_how_much(client, owner, case):
    Case.objects.filter(pk=case.pk).update(due_at=NOW - timedelta(hours=3))
    client.force_login(owner)

    html = client.get(case_url(case)).content.decode()

    assert "3\xa0hours overdue" in html


def test_a_closed_case_offers_reopening(client, owner, case):
    Case.objects.filter(pk=case.pk).update(
        status=Case.Status.CLOSED,
        root_cause=RootCause.objects.get(name="Billing"),
        resolution="Refunded",
        closed_at=NOW,
    )
    client.force_login(owner)

    response = client.get(case_url(case))

    panels = [panel["action"].name for panel in response.context["quick_actions"]]
    assert panels == ["reopen", "reassign", "note"]
    assert "Refunded" in response.content.decode()


def test_support_sees_no_actions_on_someone_elses_case(client, support, case):
    client.force_login(support)

    response = client.get(case_url(case))

    assert response.context["quick_actions"] == []
    assert "Only the case's owner or a manager" in response.content.decode()


def test_a_manager_may_act_on_any_case(client, manager, case):
    client.force_login(manager)

    response = client.get(case_url(case))

    panels = [panel["action"].name for panel in response.context["quick_actions"]]
    assert panels == ["contact", "close", "reassign", "note"]


@pytest.mark.parametrize("role", ["support", "owner", "manager"])
def test_the_case_page_queries_do_not_grow_with_the_customers_history(
    client, request, case, role
):
    client.force_login(request.getfixturevalue(role))
    url = case_url(case)
    _, with_one = count_queries(client, url)

    for _ in range(20):
        interaction = InteractionFactory.create(customer=case.customer)
        SurveyResponseFactory.create(
            invitation__interaction=interaction,
            invitation__customer=case.customer,
            score=8,
        )
        CaseEventFactory.create(case=case, kind=Event.NOTE)
    response, with_twenty = count_queries(client, url)

    assert with_twenty == with_one
    assert len(response.context["recent_interactions"]) == 10
    assert len(response.context["recent_responses"]) == 10


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


# The list of cases


def test_the_list_puts_overdue_cases_first_then_by_due_time(client, manager, owner):
    later = CaseFactory.create(owner=owner, due_at=NOW + timedelta(hours=20))
    sooner = CaseFactory.create(owner=owner, due_at=NOW + timedelta(hours=2))
    overdue = CaseFactory.create(owner=owner, due_at=NOW - timedelta(hours=1))
    closed = CaseFactory.create(
        status=Case.Status.CLOSED,
        root_cause=RootCause.objects.get(name="Billing"),
        resolution="Done",
        due_at=NOW - timedelta(days=3),
    )
    client.force_login(manager)

    response = client.get(reverse("admin:feedback_case_changelist"))

    listed = [case.pk for case in response.context["cl"].result_list]
    assert listed == [overdue.pk, sooner.pk, later.pk, closed.pk]
    assert "1\xa0hour overdue" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"mine": "open"}, ["mine_overdue", "mine_open"]),
        ({"overdue": "1"}, ["mine_overdue", "theirs_overdue"]),
        ({"status": "unresolved"}, ["mine_overdue", "theirs_overdue", "mine_open"]),
        ({"status": "closed"}, ["mine_closed"]),
        ({"priority__exact": "urgent"}, ["theirs_overdue"]),
        ({"reason__exact": "manual"}, ["mine_open"]),
    ],
)
def test_the_list_filters(client, owner, manager, query, expected):
    cases = {
        "mine_open": CaseFactory.create(owner=owner, reason="manual"),
        "mine_overdue": CaseFactory.create(owner=owner, due_at=NOW - timedelta(1)),
        "theirs_overdue": CaseFactory.create(
            owner=manager, priority="urgent", due_at=NOW - timedelta(hours=1)
        ),
        "mine_closed": CaseFactory.create(
            owner=owner,
            status=Case.Status.CLOSED,
            root_cause=RootCause.objects.get(name="Billing"),
            resolution="Done",
        ),
    }
    client.force_login(owner)

    response = client.get(reverse("admin:feedback_case_changelist"), query)

    names = {case.pk: name for name, case in cases.items()}
    assert [names[case.pk] for case in response.context["cl"].result_list] == expected


def test_the_list_sorts_by_due_time_when_asked(client, manager):
    sooner = CaseFactory.create(due_at=NOW + timedelta(hours=1))
    later = CaseFactory.create(due_at=NOW + timedelta(hours=9))
    overdue = CaseFactory.create(due_at=NOW - timedelta(hours=1))
    client.force_login(manager)
    due_column = CaseAdmin.list_display.index("due") + 1  # after the checkbox

    response = client.get(
        reverse("admin:feedback_case_changelist"), {"o": f"-{due_column}"}
    )

    listed = [case.pk for case in response.context["cl"].result_list]
    assert listed == [later.pk, sooner.pk, overdue.pk]


def test_the_list_filters_by_owner(client, owner, manager):
    mine = CaseFactory.create(owner=owner)
    CaseFactory.create(owner=manager)
    client.force_login(manager)

    response = client.get(
        reverse("admin:feedback_case_changelist"), {"owner__id__exact": owner.pk}
    )

    assert [case.pk for case in response.context["cl"].result_list] == [mine.pk]


@pytest.mark.parametrize("role", ["support", "manager"])
@pytest.mark.parametrize(
    "query", ["", "?mine=open", "?overdue=1&status=unresolved", "?owner__isnull=True"]
)
def test_the_list_queries_do_not_grow_with_the_cases(client, request, role, query):
    user = request.getfixturevalue(role)
    client.force_login(user)
    url = reverse("admin:feedback_case_changelist") + query

    def add_cases(count):
        for index in range(count):
            CaseFactory.create(
                owner=user if index % 2 else None,
                due_at=NOW + timedelta(hours=index - 2),
            )

    add_cases(2)
    _, with_two = count_queries(client, url)
    add_cases(10)
    _, with_twelve = count_queries(client, url)

    assert with_twelve == with_two


def test_bulk_reassign_asks_for_the_owner_first(client, manager, owner):
    first, second = CaseFactory.create_batch(2, owner=owner)
    client.force_login(manager)

    response = client.post(
        reverse("admin:feedback_case_changelist"),
        {"action": "reassign", "_selected_action": [first.pk, second.pk]},
    )

    assert response.status_code == 200
    assert response.context["count"] == 2
    assert "Reassign cases" in response.content.decode()
    assert set(Case.objects.values_list("owner", flat=True)) == {owner.pk}


def test_bulk_reassign_gives_the_cases_to_the_new_owner(
    client, manager, owner, support
):
    first, second = CaseFactory.create_batch(2, owner=owner)
    client.force_login(manager)

    response = client.post(
        reverse("admin:feedback_case_changelist"),
        {
            "action": "reassign",
            "_selected_action": [first.pk, second.pk],
            "apply": "1",
            "owner": support.pk,
        },
    )

    assert response.status_code == 302
    assert messages_of(response) == ["2 cases were reassigned to sam-support."]
    assert set(Case.objects.values_list("owner", flat=True)) == {support.pk}
    assert CaseEvent.objects.filter(kind=Event.ASSIGNED, actor=manager).count() == 2


def test_bulk_reassign_is_all_or_nothing(client, owner, support):
    mine = CaseFactory.create(owner=owner)
    theirs = CaseFactory.create(owner=support)
    client.force_login(owner)

    response = client.post(
        reverse("admin:feedback_case_changelist"),
        {
            "action": "reassign",
            "_selected_action": [mine.pk, theirs.pk],
            "apply": "1",
            "owner": owner.pk,
        },
    )

    assert messages_of(response) == [
        f"Only the case's owner or a manager may reassign case #{theirs.pk}."
    ]
    theirs.refresh_from_db()
    assert theirs.owner == support
    assert not CaseEvent.objects.filter(kind=Event.ASSIGNED).exists()


# Cases opened by hand


def test_the_customer_page_links_to_a_new_case_for_the_customer(client, support):
    customer = CustomerFactory.create()
    client.force_login(support)

    response = client.get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    )

    add_url = reverse("admin:feedback_case_add")
    assert f'href="{add_url}?customer={customer.pk}"' in response.content.decode()


def test_the_add_form_starts_with_the_customer(client, support):
    customer = CustomerFactory.create(name="Wang Fang")
    client.force_login(support)

    response = client.get(reverse("admin:feedback_case_add"), {"customer": customer.pk})

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.fields) == [
        "customer",
        "interaction",
        "response",
        "priority",
        "owner",
        "note",
    ]
    assert str(form["customer"].value()) == str(customer.pk)
    assert "Wang Fang" in response.content.decode()


def test_support_opens_a_case_by_hand(client, support, owner):
    interaction = InteractionFactory.create()
    client.force_login(support)

    response = client.post(
        reverse("admin:feedback_case_add"),
        {
            "customer": interaction.customer_id,
            "interaction": interaction.pk,
            "priority": "urgent",
            "owner": owner.pk,
            "note": "Shouted on the phone",
        },
    )

    case = Case.objects.get()
    assert response["Location"] == case_url(case)
    assert messages_of(response) == [
        f"Case #{case.pk} was opened for {interaction.customer}."
    ]
    assert (case.customer, case.interaction) == (interaction.customer, interaction)
    assert (case.reason, case.priority, case.owner) == ("manual", "urgent", owner)
    assert case.due_at == NOW + timedelta(hours=4)
    opened = case.events.get(kind=Event.OPENED)
    assert (opened.actor, opened.note) == (support, "Shouted on the phone")


def test_a_manual_case_for_another_customers_interaction_is_refused(client, support):
    customer = CustomerFactory.create()
    elsewhere = InteractionFactory.create()
    client.force_login(support)

    response = client.post(
        reverse("admin:feedback_case_add"),
        {"customer": customer.pk, "interaction": elsewhere.pk, "priority": "normal"},
    )

    assert response.status_code == 200
    assert "This interaction is with another customer." in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.parametrize("customer", ["", "abc", "99999999999999999999999", "42"])
def test_a_manual_case_needs_a_customer(client, support, customer):
    client.force_login(support)

    response = client.post(
        reverse("admin:feedback_case_add"), {"customer": customer, "priority": "normal"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["customer"]
    assert not Case.objects.exists()


def test_a_bad_customer_in_the_link_shows_an_empty_form(client, support):
    client.force_login(support)

    response = client.get(reverse("admin:feedback_case_add"), {"customer": "1x"})

    assert response.status_code == 200


def test_staff_without_a_role_may_not_open_cases(client):
    client.force_login(UserFactory.create(username="stan-staff", is_staff=True))

    assert client.get(reverse("admin:feedback_case_add")).status_code == 403


# The owners' home


def test_support_lands_on_their_open_cases_overdue_first(client, owner, support):
    soon = CaseFactory.create(owner=owner, due_at=NOW + timedelta(hours=3))
    overdue = CaseFactory.create(owner=owner, due_at=NOW - timedelta(hours=2))
    contacted = CaseFactory.create(
        owner=owner, status=Case.Status.CONTACTED, due_at=NOW + timedelta(days=2)
    )
    CaseFactory.create(owner=support, due_at=NOW - timedelta(hours=5))
    CaseFactory.create(
        owner=owner,
        status=Case.Status.CLOSED,
        root_cause=RootCause.objects.get(name="Billing"),
        resolution="Done",
    )
    client.force_login(owner)

    response = client.get(reverse("admin:index"))

    home = response.context["case_home"]
    assert [row["case"].pk for row in home["rows"]] == [
        overdue.pk,
        soon.pk,
        contacted.pk,
    ]
    assert home["counts"] == {"open": 3, "overdue": 1, "due_soon": 1}
    assert home["owners"] == []
    html = response.content.decode()
    assert "My open cases" in html
    assert case_url(overdue) in html
    assert "2\xa0hours overdue" in html


def test_a_manager_sees_everyones_open_cases_and_counts_per_owner(
    client, manager, owner, support
):
    CaseFactory.create(owner=owner, due_at=NOW - timedelta(hours=2))
    CaseFactory.create(owner=owner, due_at=NOW + timedelta(hours=30))
    CaseFactory.create(owner=support, due_at=NOW + timedelta(hours=1))
    CaseFactory.create(owner=None, due_at=NOW + timedelta(hours=50))
    client.force_login(manager)

    response = client.get(reverse("admin:index"))

    home = response.context["case_home"]
    assert home["counts"] == {"open": 4, "overdue": 1, "due_soon": 1}
    assert len(home["rows"]) == 4
    assert [
        (row["name"], row["open"], row["overdue"], row["due_soon"])
        for row in home["owners"]
    ] == [
        ("Oona Owner", 2, 1, 0),
        ("sam-support", 1, 0, 1),
        ("Nobody", 1, 0, 0),
    ]
    html = response.content.decode()
    assert "Open cases" in html
    assert f"?owner__id__exact={owner.pk}&amp;status=unresolved" in html


@pytest.mark.parametrize("role", ["support", "manager"])
def test_the_home_queries_do_not_grow_with_the_cases(client, request, role):
    user = request.getfixturevalue(role)
    others = UserFactory.create_batch(3, groups=["Support"])
    client.force_login(user)
    url = reverse("admin:index")

    def add_cases(count):
        for index in range(count):
            owner = user if index % 2 else others[index % 3]
            CaseFactory.create(owner=owner, due_at=NOW + timedelta(hours=index - 3))

    add_cases(3)
    _, with_three = count_queries(client, url)
    add_cases(50)
    response, with_many = count_queries(client, url)

    assert with_many == with_three
    home = response.context["case_home"]
    assert len(home["rows"]) == 20
    assert home["more"]
    assert "See all" in response.content.decode()


def test_staff_who_may_not_see_cases_get_the_plain_home(client):
    client.force_login(UserFactory.create(username="stan-staff", is_staff=True))

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "case_home" not in response.context


def test_the_home_still_asks_for_a_login(client):
    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


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


@pytest.mark.parametrize("case_id", ["0", "99999999999999999999999"])
def test_a_case_that_does_not_exist_is_no_error(client, owner, case_id):
    client.force_login(owner)

    page = client.get(f"/admin/feedback/case/{case_id}/change/")
    action = client.post(f"/admin/feedback/case/{case_id}/note/", {"note-note": "x"})

    assert page.status_code == 302
    assert action.status_code == 404


def test_cases_are_opened_from_a_customer_an_interaction_or_an_answer(client, support):
    interaction = InteractionFactory.create()
    customer = interaction.customer
    answered = SurveyResponseFactory.create(invitation__customer=customer, score=9)
    with_case = CaseFactory.create()
    client.force_login(support)
    add = reverse("admin:feedback_case_add")

    pages = {
        reverse("admin:customers_customer_change", args=[customer.pk]): (
            f'href="{add}?customer={customer.pk}"'
        ),
        reverse("admin:customers_interaction_change", args=[interaction.pk]): (
            f'href="{add}?customer={customer.pk}&amp;interaction={interaction.pk}"'
        ),
        reverse("admin:surveys_surveyresponse_change", args=[answered.pk]): (
            f'href="{add}?customer={customer.pk}&amp;response={answered.pk}"'
        ),
        reverse("admin:surveys_surveyresponse_change", args=[with_case.response_id]): (
            f'href="{reverse("admin:feedback_case_change", args=[with_case.pk])}"'
        ),
    }

    for page, link in pages.items():
        assert link in client.get(page).content.decode(), page


def test_the_add_form_takes_what_the_links_prefill(client, support):
    interaction = InteractionFactory.create()
    client.force_login(support)

    page = client.get(
        reverse("admin:feedback_case_add"),
        {"customer": interaction.customer_id, "interaction": interaction.pk},
    )

    form = page.context["adminform"].form
    assert form.initial == {
        "customer": str(interaction.customer_id),
        "interaction": str(interaction.pk),
    }


@pytest.mark.parametrize("chosen", ["abc", "9" * 30, "1x"])
def test_a_bulk_action_on_rows_that_are_no_ids_says_so(client, manager, chosen):
    case = CaseFactory.create()
    client.force_login(manager)

    page = client.post(
        reverse("admin:feedback_case_changelist"),
        {"action": "reassign", "_selected_action": [str(case.pk), chosen]},
        follow=True,
    )

    assert page.status_code == 200
    assert "Choose rows from the list." in page.content.decode()
