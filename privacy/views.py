"""The export's download (a public link: the token is the key) and the
dashboard's privacy panel."""

from datetime import datetime, timedelta
from statistics import median
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from privacy.models import ErasureRecord, PrivacyRequest, past_deadline
from privacy.services import downloads, requests
from surveys.views import rate_limited

# The median is of the requests completed in the last year.
COMPLETED_WINDOW = timedelta(days=365)


@never_cache
@rate_limited
@require_GET
def download(request: HttpRequest, token: str) -> HttpResponse:
    """The ZIP, once; then a page that says the link was used or expired."""
    taken = downloads.take(token, now=timezone.now())
    if taken.data is None:
        return render(
            request,
            "privacy/download_missing.html",
            {"brand": settings.BRAND_NAME, "gone": taken.gone},
            status=410 if taken.gone else 404,
        )
    response = HttpResponse(taken.data, content_type="application/zip")
    filename = f"touchloop-data-{taken.request_id}.zip"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Referrer-Policy"] = "no-referrer"
    return response


def dashboard_panel(*, request: HttpRequest, **kwargs: Any) -> SafeString | None:
    """Open and overdue requests, the median days to complete, and what
    erasures removed from the figures; for those who may see requests."""
    if not request.user.has_perm("privacy.view_privacyrequest"):
        return None
    now = timezone.now()
    figures = request_figures(now)
    removed = erasure_removals()
    if not (figures["open"] or figures["completed"] or removed["erasures"]):
        return None
    return SafeString(
        render_to_string(
            "privacy/dashboard_panel.html",
            {
                **figures,
                **removed,
                "list_url": reverse("admin:privacy_privacyrequest_changelist"),
            },
            request=request,
        )
    )


def request_figures(now: datetime) -> dict[str, Any]:
    """Two queries: the open and overdue counts, then the durations of the
    requests completed in the last year (a handful: the median in Python,
    the same on PostgreSQL and SQLite)."""
    counts = requests.open_requests().aggregate(
        open=Count("id"), overdue=Count("id", filter=past_deadline(now))
    )
    durations = [
        (completed - received).total_seconds() / 86400
        for received, completed in PrivacyRequest.objects.filter(
            completed_at__gte=now - COMPLETED_WINDOW
        ).values_list("received_at", "completed_at")
        if completed is not None
    ]
    return {
        "open": counts["open"],
        "overdue": counts["overdue"],
        "completed": len(durations),
        "median_days": round(median(durations), 1) if durations else None,
    }


def erasure_removals() -> dict[str, Any]:
    """Answers deleted with their customer (erasure in delete mode): the
    figures since the first of them are lower by that many."""
    totals = ErasureRecord.objects.filter(answers_removed__gt=0).aggregate(
        removed=Sum("answers_removed"),
        since=Min("erased_at"),
        erasures=Count("id"),
    )
    return {
        "answers_removed": totals["removed"] or 0,
        "removed_since": totals["since"],
        "erasures": totals["erasures"] or 0,
    }


def customer_panel(*, customer: Any, **kwargs: Any) -> SafeString | None:
    """The customer's privacy requests, and a link to record one."""
    if customer is None or customer.pk is None:
        return None
    customer_requests = list(
        PrivacyRequest.objects.filter(customer=customer).order_by("-received_at")[:20]
    )
    changelist = reverse("admin:privacy_privacyrequest_changelist")
    return SafeString(
        render_to_string(
            "privacy/customer_panel.html",
            {
                "requests": [
                    (
                        item,
                        reverse("admin:privacy_privacyrequest_change", args=[item.pk]),
                    )
                    for item in customer_requests
                ],
                "record_url": reverse("admin:privacy_privacyrequest_add")
                + f"?customer={customer.pk}",
                "all_url": f"{changelist}?customer__id__exact={customer.pk}",
            },
        )
    )
