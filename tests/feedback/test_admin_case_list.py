"""The list of cases in the admin: its order, filters and query count, and
its bulk reassignment."""

from datetime import timedelta

import pytest
from django.urls import reverse

from feedback.admin.cases import CaseAdmin
from feedback.models import Case, CaseEvent, RootCause
from tests.factories import CaseFactory
from tests.feedback.admin_helpers import NOW, Event, count_queries, messages_of

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


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
