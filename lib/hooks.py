"""Announcing an event to the apps above the announcer, or asking them, without
importing them.

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
    for path in _handlers(event):
        import_string(path)(**payload)


def gather(event: str, **payload: Any) -> list[Any]:
    """Ask the apps above for something: each handler's answer, in order,
    leaving out None (a handler with nothing to add). A page of a lower app
    shows a higher app's part this way (the dashboard's KPIs, the pilots a
    customer is in), and a lower app's rule takes a higher app's variant."""
    answers = (import_string(path)(**payload) for path in _handlers(event))
    return [answer for answer in answers if answer is not None]


def _handlers(event: str) -> list[str]:
    try:
        handlers: list[str] = settings.HOOKS[event]
    except KeyError:
        raise UndeclaredEventError(
            f"no event {event!r} in settings.HOOKS (declared: "
            f"{', '.join(sorted(settings.HOOKS))}); declare it, with [] for none"
        ) from None
    return handlers


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
