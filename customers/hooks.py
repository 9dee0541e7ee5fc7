"""Announcing an event to the apps above this one, without importing them.

Dependencies point one way (feedback → surveys → customers), yet an event in a
lower app must reach a higher one: a resolved interaction schedules a survey,
an answer opens a case. The lower app calls `announce`; `settings.HOOKS`, set
by the wiring in crm/, names the handlers. Not Django signals: the list of
what runs is in one place, in order, and each handler runs in the caller's
transaction, so an event and its consequences commit or roll back together.
"""

from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


def announce(event: str, **payload: Any) -> None:
    for path in settings.HOOKS.get(event, []):
        import_string(path)(**payload)
