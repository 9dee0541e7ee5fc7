"""A staff member's language: the one their pages (the admin, the dashboard)
and their mail (case alerts, the weekly digest) speak, kept in their
StaffPreference."""

from django.conf import settings
from django.contrib.auth.models import User

from feedback.models import StaffPreference


def staff_language(user: User) -> str | None:
    """The language the staff member keeps, or None when they have no
    preference yet (their browser's language holds)."""
    language = (
        StaffPreference.objects.filter(user_id=user.pk)
        .values_list("language", flat=True)
        .first()
    )
    return language if language in dict(settings.LANGUAGES) else None


def set_staff_language(user: User, *, language: str) -> StaffPreference:
    """The staff member's choice in the language menu: their pages and their
    mail from now on. The menu (Django's set_language) has checked it."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"{language!r} is none of settings.LANGUAGES")
    preference, _created = StaffPreference.objects.update_or_create(
        user=user, defaults={"language": language}
    )
    return preference
