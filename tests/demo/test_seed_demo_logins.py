"""seed_demo's staff logins: created when missing, then left alone; a user the
demo did not create is never changed; --password is validated."""

import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from crm.management.commands import run_embedded
from customers.models import Customer, Interaction
from feedback.models import Case, StaffPreference
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "demo-test-password"
DEMO_NAMES = ["support", "manager", "tom.baker", "li.na", "chen.jie"]


def seed(password=None, *, stderr=None):
    out = StringIO()
    call_command(
        "seed_demo", password=password, stdout=out, stderr=stderr or StringIO()
    )
    return out.getvalue()


def logs_in(username, password):
    response = Client().post(
        reverse("admin:login"), {"username": username, "password": password}
    )
    return response.status_code == 302


def state_of(user):
    user = User.objects.get(pk=user.pk)
    return {
        "password": user.password,
        "email": user.email,
        "names": (user.first_name, user.last_name),
        "flags": (user.is_staff, user.is_active, user.is_superuser),
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "preference": StaffPreference.objects.filter(user=user).exists(),
    }


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def test_a_rerun_leaves_a_demo_logins_password_sessions_and_language_alone(debug):
    seed()
    user = User.objects.get(username="li.na")
    user.set_password("li-na-chose-this-one")
    user.save()
    StaffPreference.objects.filter(user=user).update(language="en")
    browser = Client()
    browser.force_login(user)

    out = seed()

    assert logs_in("li.na", "li-na-chose-this-one")
    assert browser.get(reverse("admin:index")).status_code == 200
    assert StaffPreference.objects.get(user=user).language == "en"
    assert "Staff login: li.na (Support), password unchanged since you set it" in out
    assert "Staff login: support / touchloop-demo (Support)" in out
    assert logs_in("support", "touchloop-demo")


def test_a_user_the_demo_did_not_create_is_never_changed(debug):
    someone = UserFactory.create(
        username="support", email="sam@corp.example", groups=["Manager"]
    )
    before = state_of(someone)
    errors = StringIO()

    out = seed(stderr=errors)
    seed(password="a-fresh-demo-password")

    assert state_of(someone) == before
    assert "support is a user the demo did not create: left alone" in (
        errors.getvalue()
    )
    assert "support" not in [line.split()[2] for line in out.splitlines()[1:]]
    assert "Manager login: manager / touchloop-demo (Manager)" in out
    assert not hasattr(User.objects.get(pk=someone.pk), "demo_login")
    assert not Customer.objects.filter(owner=someone).exists()
    assert not Interaction.objects.filter(logged_by=someone).exists()
    assert not Case.objects.filter(owner=someone).exists()
    assert Case.objects.filter(owner__username="tom.baker").exists()


def test_with_every_demo_name_taken_the_company_is_built_for_nobody(debug):
    others = [UserFactory.create(username=name) for name in DEMO_NAMES]
    before = [state_of(user) for user in others]

    out = seed()

    assert [state_of(user) for user in others] == before
    assert "login:" not in out
    assert Customer.objects.count() == 200
    assert not Customer.objects.exclude(owner=None).exists()
    assert not Case.objects.exclude(owner=None).exists()
    assert not Case.objects.exclude(status="open").exists()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Sh0rt!", "This password is too short."),
        ("password123", "This password is too common."),
        ("12345678901234", "This password is entirely numeric."),
        ("chen.jie.demo", "The password is too similar to the username."),
    ],
)
def test_a_refused_password_changes_nothing(password, message):
    with pytest.raises(CommandError, match=f"--password was refused: .*{message}"):
        seed(password)

    assert not User.objects.filter(username__in=DEMO_NAMES).exists()
    assert Customer.objects.count() == 0

    seed(PASSWORD)
    before = [state_of(user) for user in User.objects.order_by("pk")]

    with pytest.raises(CommandError, match=message):
        seed(password)

    assert [state_of(user) for user in User.objects.order_by("pk")] == before


def test_a_good_password_is_set_on_the_demo_logins_only():
    someone = UserFactory.create(username="manager", email="boss@corp.example")
    before = state_of(someone)
    seed(PASSWORD)
    browser = Client()
    browser.force_login(User.objects.get(username="support"))

    out = seed("a-fresh-demo-password")

    for username in ["support", "tom.baker", "li.na", "chen.jie"]:
        assert logs_in(username, "a-fresh-demo-password")
        assert f"login: {username} / a-fresh-demo-password" in out
    # A new password ends the sessions opened with the old one.
    assert browser.get(reverse("admin:index")).status_code == 302
    assert state_of(someone) == before
    assert "manager" not in out.split("\n", 1)[1]


def test_with_debug_off_a_rerun_needs_no_password(settings):
    seed(PASSWORD)
    settings.DEBUG = False

    out = seed()

    assert logs_in("support", PASSWORD)
    assert "Staff login: support (Support), password unchanged since you set it" in (
        out
    )


def test_a_deactivated_demo_login_is_not_printed(debug):
    seed()
    User.objects.filter(username="tom.baker").update(is_active=False)

    out = seed()

    assert "tom.baker" not in out
    assert not User.objects.get(username="tom.baker").is_active


def test_make_run_prints_the_logins_once(debug):
    out = StringIO()
    command = run_embedded.Command(stdout=out)

    logins = command.seed_demo()
    command.print_banner("http://127.0.0.1:8000/", logins)

    assert out.getvalue().count("Staff login: support /") == 1
    assert out.getvalue().count("Manager login: manager /") == 1
    assert "Demo data ready" in out.getvalue()


def test_the_logins_an_earlier_demo_made_are_recognised_as_the_demos():
    earlier = UserFactory.create(
        username="li.na",
        first_name="Na",
        last_name="Li",
        email="li.na@touchloop.example",
        groups=["Support"],
    )
    namesake = UserFactory.create(username="support", first_name="Sam")
    migration = importlib.import_module(
        "demo.migrations.0002_adopt_earlier_demo_logins"
    )

    migration.adopt(apps, None)

    assert hasattr(User.objects.get(pk=earlier.pk), "demo_login")
    assert not hasattr(User.objects.get(pk=namesake.pk), "demo_login")
    assert Group.objects.filter(user=earlier).count() == 1
