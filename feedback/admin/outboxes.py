"""The outboxes of case alerts and of the managers' weekly digest: what went
out, what failed, and what is due again."""

from django.contrib import admin
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from feedback.models import Alert, WeeklyDigest
from lib.admin import ViewOnlyAdmin


@admin.register(Alert)
class AlertAdmin(ViewOnlyAdmin):
    """The outbox of case alerts, to see what went out and what failed."""

    list_display = [
        "event",
        "case_link",
        "channel",
        "recipient",
        "sent_at",
        "attempts",
        "drop_reason",
        "short_error",
    ]
    list_select_related = ["event", "recipient"]
    list_filter = ["channel", ("sent_at", admin.EmptyFieldListFilter), "drop_reason"]
    ordering = ["-id"]
    sortable_by = ()

    @admin.display(description=_("case"))
    def case_link(self, alert: Alert) -> str:
        return format_html(
            '<a href="{}">#{}</a>',
            reverse("admin:feedback_case_change", args=[alert.event.case_id]),
            alert.event.case_id,
        )

    @admin.display(description=_("last error"))
    def short_error(self, alert: Alert) -> str:
        return truncatechars(alert.last_error, 80)


@admin.register(WeeklyDigest)
class WeeklyDigestAdmin(ViewOnlyAdmin):
    """The outbox of the managers' weekly digest: who got which week."""

    list_display = [
        "user",
        "week_start",
        "sent_at",
        "attempts",
        "next_attempt_at",
        "short_error",
    ]
    list_select_related = ["user"]
    list_filter = ["week_start", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "user__email"]
    ordering = ["-id"]
    sortable_by = ()

    @admin.display(description=_("last error"))
    def short_error(self, digest: WeeklyDigest) -> str:
        return truncatechars(digest.last_error, 80)
