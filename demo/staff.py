"""The demo's staff logins.

The demo creates the logins that are missing and records that it did
(demo.models.DemoLogin). It never changes a user it did not create, even one
with a demo login's name, and gives such a user no demo work. Its own logins
it changes only to set the password given with --password: a re-run leaves
their passwords, sessions, groups and preferences alone, so that a login
printed once keeps working.
"""

from dataclasses import dataclass

from django.contrib.auth import hashers
from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from demo.models import DemoLogin
from feedback.models import StaffPreference

# DEBUG only: printed at every start, so it is no secret.
DEFAULT_PASSWORD = "touchloop-demo"  # noqa: S105


@dataclass(frozen=True)
class StaffMember:
    username: str
    first_name: str
    last_name: str
    group: str
    language: str

    @property
    def email(self) -> str:
        return f"{self.username}@touchloop.example"


STAFF = [
    StaffMember("support", "Sam", "Reed", "Support", "en"),
    StaffMember("manager", "Morgan", "Hughes", "Manager", "en"),
    StaffMember("tom.baker", "Tom", "Baker", "Support", "en"),
    StaffMember("li.na", "Na", "Li", "Support", "zh-hans"),
    StaffMember("chen.jie", "Jie", "Chen", "Support", "zh-hans"),
]
LANGUAGE_OF = {member.username: member.language for member in STAFF}


@dataclass(frozen=True)
class Roster:
    """The demo's names, sorted by who holds them."""

    own: dict[str, User]  # logins the demo created
    taken: dict[str, User]  # users somebody else created under a demo name
    missing: list[StaffMember]


@dataclass(frozen=True)
class Login:
    """A login to print: its password when the demo knows it, else None (the
    password was changed since the demo set it)."""

    member: StaffMember
    password: str | None


@dataclass(frozen=True)
class Team:
    staff: dict[str, User]  # the demo's own logins, by username
    logins: list[Login]


def read_roster() -> Roster:
    users = User.objects.filter(username__in=[m.username for m in STAFF])
    existing = {user.username: user for user in users.select_related("demo_login")}
    own, taken, missing = {}, {}, []
    for member in STAFF:
        user = existing.get(member.username)
        if user is None:
            missing.append(member)
        elif hasattr(user, "demo_login"):
            own[member.username] = user
        else:
            taken[member.username] = user
    return Roster(own=own, taken=taken, missing=missing)


def password_problems(password: str, roster: Roster) -> list[str]:
    """The password validators' objections to setting `password` on every
    login it would be set on (those the demo created, or will); each message
    once."""
    users = [*roster.own.values(), *(new_user(m) for m in roster.missing)]
    problems: list[str] = []
    for user in users:
        try:
            validate_password(password, user)
        except ValidationError as error:
            problems += [m for m in error.messages if m not in problems]
    return problems


def ensure_staff(
    roster: Roster, *, new_password: str | None, reset_password: str | None
) -> Team:
    """Create the missing logins with `new_password` (None when none is
    missing); set `reset_password`, when given, on those the demo created
    before. Returns the demo's logins and what to print for each."""
    staff, logins = {}, []
    for member in STAFF:
        if member.username in roster.taken:
            continue
        user = roster.own.get(member.username)
        if user is None:
            if new_password is None:
                raise ValueError(f"{member.username} is missing and has no password")
            user = create_login(member, password=new_password)
            password: str | None = new_password
        elif reset_password is not None:
            user.set_password(reset_password)
            user.save(update_fields=["password"])
            password = reset_password
        else:
            password = known_password(user)
        staff[member.username] = user
        if user.is_active:
            logins.append(Login(member=member, password=password))
    return Team(staff=staff, logins=logins)


def new_user(member: StaffMember) -> User:
    return User(
        username=member.username,
        first_name=member.first_name,
        last_name=member.last_name,
        email=member.email,
        is_staff=True,
    )


def create_login(member: StaffMember, *, password: str) -> User:
    user = new_user(member)
    user.set_password(password)
    user.save()
    DemoLogin.objects.create(user=user)
    user.groups.add(Group.objects.get(name=member.group))
    # Case alerts go out in the staff member's language.
    StaffPreference.objects.create(user=user, language=member.language)
    return user


def known_password(user: User) -> str | None:
    """The demo's default password if the login still has it.

    The hashers' function, not `user.check_password`: that one saves a new
    hash when the hasher's settings changed, and a new hash logs the user's
    sessions out."""
    if hashers.check_password(DEFAULT_PASSWORD, user.password):
        return DEFAULT_PASSWORD
    return None
