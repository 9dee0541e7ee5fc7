"""The owners' home in the admin: support's open cases, a manager's view of
everyone's, and its query count."""

from datetime import timedelta

import pytest
from django.urls import reverse

from feedback.models import Case, RootCause
from tests.factories import CaseFactory, UserFactory
from tests.feedback.admin_helpers import NOW, case_url, count_queries

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


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
