"""Who may see the manager dashboard at /dashboard/ and the answers behind
it: managers and superusers, in the admin's look; nobody else."""

import pytest
from django.contrib.auth.models import User

from tests.feedback.dashboard_helpers import ANSWERS, CSV_URL, INDEX, NOW

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def test_anonymous_is_sent_to_the_admin_login(client):
    response = client.get(INDEX + "?kind=csat")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/dashboard/%3Fkind%3Dcsat"


@pytest.mark.parametrize("path", [ANSWERS, CSV_URL])
def test_anonymous_gets_no_answers_either(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/dashboard/answers")


@pytest.mark.parametrize("who", ["support", "outsider"])
@pytest.mark.parametrize("path", [INDEX, ANSWERS, CSV_URL])
def test_a_logged_in_user_who_is_no_manager_is_told_why(client, request, who, path):
    user = request.getfixturevalue(who)
    client.force_login(user)

    response = client.get(path)

    assert response.status_code == 403
    page = response.content.decode()
    assert "The dashboard is for managers." in page
    assert f"You are logged in as {user.username}, who is not in the Manager" in page
    assert "Relationship NPS" not in page


def test_a_manager_sees_the_dashboard_in_the_admins_look(client, manager, five):
    client.force_login(manager)

    response = client.get(INDEX)

    assert response.status_code == 200
    page = response.content.decode()
    assert '<div id="site-name"><a href="/admin/">Touchloop</a></div>' in page
    assert '<a href="/admin/">Home</a>\n&rsaquo; Dashboard' in page
    assert page.count('<svg class="chart') == 3


def test_a_superuser_sees_the_dashboard(client, five):
    boss = User.objects.create_superuser("boss", "boss@example.com", "x")
    client.force_login(boss)

    assert client.get(INDEX).status_code == 200


def test_the_admin_home_links_managers_to_the_dashboard(client, manager, support):
    client.force_login(manager)
    assert 'href="/dashboard/"' in client.get("/admin/").content.decode()

    client.force_login(support)
    assert 'href="/dashboard/"' not in client.get("/admin/").content.decode()
