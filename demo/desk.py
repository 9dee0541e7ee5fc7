"""Each demo login's desk: cases they opened by hand and are working on (one
just opened and urgent, one past its first-contact deadline, one contacted)
and two they closed, so that their "My open cases", the overdue filter and
the closed cases show something on first login. The history's cases come
from answers and fall to the customers' owners by chance (the manager owns no
customer); the desk does not leave it to chance.

Written through the case services, at moments before `now`, so that
deadlines, timelines and permissions are the product's own. A login gets its
desk once: when it has opened no case by hand on a demo customer yet.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User

from customers.models import Channel, Customer, Interaction
from demo import catalogue
from demo.seeding import SEED
from demo.staff import STAFF
from feedback import deadlines, permissions
from feedback.models import Case, CaseEvent, RootCause
from feedback.services import cases

Priority = Case.Priority


@dataclass(frozen=True)
class Slot:
    """When a desk case was opened, and how far it got since."""

    opened_ago: timedelta | None  # None: long enough ago to be overdue now
    priority: str
    contacted_after: timedelta | None = None
    closed_after: timedelta | None = None


# One slot for each entry of catalogue.DESK_CASES, in its order.
SLOTS = [
    Slot(timedelta(minutes=40), Priority.URGENT),
    Slot(None, Priority.NORMAL),
    Slot(timedelta(days=2), Priority.NORMAL, contacted_after=timedelta(hours=20)),
    Slot(
        timedelta(days=9),
        Priority.NORMAL,
        contacted_after=timedelta(hours=5),
        closed_after=timedelta(days=2),
    ),
    Slot(
        timedelta(days=23),
        Priority.URGENT,
        contacted_after=timedelta(hours=2),
        closed_after=timedelta(days=3),
    ),
]
OVERDUE_BY = timedelta(hours=3)
# How far back the overdue case may be opened: SLAs count hours or days.
OVERDUE_SEARCH_DAYS = 90


def write_desks(
    staff: dict[str, User], *, customers: list[Customer], now: datetime
) -> None:
    root_causes = {
        cause.name: cause for cause in RootCause.objects.filter(is_active=True)
    }
    for member in STAFF:
        user = staff.get(member.username)
        # A login whose roles were changed since the demo made it may not be
        # able to work on cases: it gets no desk.
        if user is None or not may_keep_a_desk(user) or has_desk(user, customers):
            continue
        chosen = desk_customers(user, member.language, customers)
        write_desk(user, member.language, chosen, now=now, root_causes=root_causes)


def may_keep_a_desk(user: User) -> bool:
    return permissions.may_open(user) and permissions.may_own_cases(user)


def has_desk(user: User, customers: list[Customer]) -> bool:
    return Case.objects.filter(
        reason=Case.Reason.MANUAL,
        customer__in=customers,
        events__kind=CaseEvent.Kind.OPENED,
        events__actor=user,
    ).exists()


def desk_customers(
    user: User, language: str, customers: list[Customer]
) -> list[Customer]:
    """Customers of the login's own, else (the manager) of its language."""
    rng = random.Random(f"{SEED}:desk:{user.username}")
    pool = [customer for customer in customers if customer.owner_id == user.pk]
    if len(pool) < len(SLOTS):
        pool = [customer for customer in customers if customer.language == language]
    return rng.sample(pool, min(len(SLOTS), len(pool)))


def write_desk(
    user: User,
    language: str,
    customers: list[Customer],
    *,
    now: datetime,
    root_causes: dict[str, RootCause],
) -> None:
    for customer, slot, (cause, notes) in zip(
        customers, SLOTS, catalogue.DESK_CASES, strict=False
    ):
        opened_at = (
            now - slot.opened_ago
            if slot.opened_ago is not None
            else overdue_opening(now, priority=slot.priority)
        )
        case = cases.open_case(
            customer=customer,
            by=user,
            owner=user,
            interaction=latest_interaction(customer, before=opened_at),
            priority=slot.priority,
            note=notes[language],
            now=opened_at,
        )
        if slot.contacted_after is None:
            continue
        contacted_at = opened_at + slot.contacted_after
        cases.record_contact(
            case,
            by=user,
            channel=Channel.PHONE,
            at=contacted_at,
            note=catalogue.CONTACT_NOTES[language],
            now=contacted_at,
        )
        # A root cause retired in the admin is not offered: any other will do.
        root_cause = root_causes.get(cause) or next(iter(root_causes.values()), None)
        if slot.closed_after is None or root_cause is None:
            continue
        cases.close_case(
            case,
            by=user,
            root_cause=root_cause,
            resolution=catalogue.RESOLUTIONS[cause][language],
            now=opened_at + slot.closed_after,
        )


def overdue_opening(now: datetime, *, priority: str) -> datetime:
    """A moment to have opened a case that is past its first-contact deadline
    by now. Days back, not the SLA's hours: the deadline may count business
    hours only (weekends, holidays)."""
    opened_at = now - timedelta(days=3)
    for _ in range(OVERDUE_SEARCH_DAYS):
        if deadlines.first_contact_due(opened_at, priority=priority) < now - OVERDUE_BY:
            break
        opened_at -= timedelta(days=1)
    return opened_at


def latest_interaction(customer: Customer, *, before: datetime) -> Interaction | None:
    """What the case is about: the customer's last contact before it."""
    return (
        customer.interactions.filter(occurred_at__lt=before)
        .order_by("-occurred_at")
        .first()
    )
