"""The admin's home, topped by the case owner's work: their open cases, or
everyone's with a count per owner for a manager."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib import admin
from django.db.models import Count, F, Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from feedback import permissions
from feedback.admin.cases import URGENCY_ORDER, describe_time_left
from feedback.forms import staff_name
from feedback.models import Case

# The home lists this many cases and owners; the filtered changelist has the
# rest.
HOME_ROWS = 20
HOME_OWNERS = 50
DUE_SOON = timedelta(hours=24)


def admin_index(request: HttpRequest) -> HttpResponse:
    return admin.site.index(
        request, extra_context=open_cases_home(request.user, now=timezone.now())
    )


def open_cases_home(user: Any, *, now: datetime) -> dict[str, Any]:
    """The top of the admin's home: the user's open cases (open or contacted),
    overdue first, with their counts; a manager's shows everyone's, and how
    many each owner has. Three queries, however many cases there are."""
    if not permissions.may_view(user):
        return {}
    manager = permissions.is_manager(user)
    unresolved = Case.objects.unresolved()
    if not manager:
        unresolved = unresolved.filter(owner_id=user.pk)
    overdue = Q(status=Case.Status.OPEN, due_at__lt=now)
    due_soon = Q(status=Case.Status.OPEN, due_at__gte=now, due_at__lt=now + DUE_SOON)
    counts = unresolved.aggregate(
        open=Count("id"),
        overdue=Count("id", filter=overdue),
        due_soon=Count("id", filter=due_soon),
    )
    rows = list(
        unresolved.select_related("customer", "owner").order_by(*URGENCY_ORDER)[
            :HOME_ROWS
        ]
    )
    changelist = reverse("admin:feedback_case_changelist")
    owners = []
    if manager:
        for row in (
            unresolved.values(
                "owner_id", "owner__username", "owner__first_name", "owner__last_name"
            )
            .annotate(
                open=Count("id"),
                overdue=Count("id", filter=overdue),
                due_soon=Count("id", filter=due_soon),
            )
            .order_by("-overdue", "-open", F("owner__username").asc(nulls_last=True))[
                :HOME_OWNERS
            ]
        ):
            if row["owner_id"] is None:
                name, query = str(_("Nobody")), "owner__isnull=True"
            else:
                full = f"{row['owner__first_name']} {row['owner__last_name']}".strip()
                name = full or row["owner__username"]
                query = f"owner__id__exact={row['owner_id']}"
            owners.append(
                {**row, "name": name, "url": f"{changelist}?{query}&status=unresolved"}
            )
    return {
        "case_home": {
            "is_manager": manager,
            "counts": counts,
            "rows": [
                {
                    "case": case,
                    "owner_name": staff_name(case.owner),
                    "time_left": describe_time_left(case, now=now),
                    "is_overdue": case.is_overdue(now),
                }
                for case in rows
            ],
            "more": counts["open"] > len(rows),
            "owners": owners,
            "all_url": changelist + ("?status=unresolved" if manager else "?mine=open"),
            "overdue_url": changelist
            + ("?overdue=1" if manager else "?mine=open&overdue=1"),
        }
    }
