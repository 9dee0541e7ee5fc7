"""Who may do what with cases (README, "Permissions"). Support staff see every
case and open cases by hand; they record contacts on their own cases.
Closing, reopening and reassigning are for the case's owner and managers.

The case services check them before every change; the admin, the API and
the pages ask them too, to offer each user only what they may do.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import (
    AnonymousUser,
    Permission,
    PermissionsMixin,
    User,
)
from django.db.models import Q, QuerySet

from feedback.models import Case

Actor = AbstractBaseUser | AnonymousUser


def has_perm(user: Actor, permission: str) -> bool:
    return (
        isinstance(user, PermissionsMixin)
        and user.is_active
        and user.has_perm(permission)
    )


def is_manager(user: Actor) -> bool:
    return has_perm(user, "feedback.change_case")


def may_view(user: Actor) -> bool:
    return has_perm(user, "feedback.view_case")


def may_open(user: Actor) -> bool:
    return has_perm(user, "feedback.add_case")


def may_work_on(user: Actor, case: Case) -> bool:
    """Record a contact, close, reopen, reassign, add a note."""
    owns = case.owner_id is not None and case.owner_id == user.pk
    return is_manager(user) or (owns and may_view(user))


def may_own_cases(user: User) -> bool:
    """Active staff who can see cases: anyone else could not work on one."""
    return user.is_active and user.is_staff and may_view(user)


def case_owners() -> QuerySet[User]:
    """The users `may_own_cases` allows, as a query: superusers, and staff
    given the view permission directly or through a group."""
    may_view_cases = Q(codename="view_case", content_type__app_label="feedback")
    permitted = Permission.objects.filter(may_view_cases)
    return (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=permitted)
            | Q(user_permissions__in=permitted)
        )
        .distinct()
    )
