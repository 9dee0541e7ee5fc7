"""Announcing an event to the apps above the announcer, without importing them.

Dependencies point one way (feedback → surveys → customers), yet an event in a
lower app must reach a higher one: a resolved interaction schedules a survey,
an answer opens a case. The lower app calls `announce`; `settings.HOOKS`, set
by the wiring in crm/, names the handlers. Not Django signals: the list of
what runs is in one place, in order, and each handler runs in the caller's
transaction, so an event and its consequences commit or roll back together.

Mistakes fail loudly: announcing an event that HOOKS does not declare raises
(a misspelt name would otherwise reach nobody), and `check_handlers` (a
system check that crm registers) refuses to start when a handler's path does
not import.
"""

from typing import Any

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string


class UndeclaredEventError(LookupError):
    pass


def announce(event: str, **payload: Any) -> None:
    try:
        handlers = settings.HOOKS[event]
    except KeyError:
        raise UndeclaredEventError(
            f"no event {event!r} in settings.HOOKS (declared: "
            f"{', '.join(sorted(settings.HOOKS))}); declare it, with [] for none"
        ) from None
    for path in handlers:
        import_string(path)(**payload)


def check_handlers(**kwargs: Any) -> list[checks.CheckMessage]:
    """Every handler named in settings.HOOKS imports."""
    errors: list[checks.CheckMessage] = []
    for event, handlers in settings.HOOKS.items():
        for path in handlers:
            try:
                handler = import_string(path)
            except ImportError as error:
                errors.append(
                    checks.Error(
                        f"HOOKS[{event!r}] names {path!r}, which does not import: "
                        f"{error}",
                        id="touchloop.E001",
                    )
                )
                continue
            if not callable(handler):
                errors.append(
                    checks.Error(
                        f"HOOKS[{event!r}] names {path!r}, which is not callable.",
                        id="touchloop.E002",
                    )
                )
    return errors
