"""Webhook subscriptions in the admin: one's own (everyone's for managers),
with the latest deliveries on the page, the "send test event", "enable
again" and "new secret" actions; and the delivery log, read only.

Writes go through `webhooks.services`."""

import json
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from webhooks import services
from webhooks.models import EVENT_TYPES, Delivery, DeliveryAttempt, Subscription

# The subscription page shows the latest deliveries; the delivery list,
# filtered by subscription, has the rest.
RECENT_DELIVERIES = 20
STATE_FIELDS = [
    "owner",
    "consecutive_failures",
    "last_succeeded_at",
    "disabled_at",
    "disabled_reason",
    "created_at",
]


class SubscriptionForm(forms.ModelForm):  # type: ignore[type-arg]
    event_types = forms.MultipleChoiceField(
        label=capfirst(_("event types")),
        choices=[(name, name) for name in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Subscription
        fields = ["url", "event_types", "is_active"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = SubscriptionForm
    list_display = [
        "url",
        "owner",
        "is_active",
        "consecutive_failures",
        "last_succeeded_at",
        "disabled_at",
    ]
    list_filter = ["is_active"]
    list_select_related = ["owner"]
    search_fields = ["url"]
    actions = ["send_test_event", "reenable", "rotate_secret"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        editable = ["url", "event_types", "is_active"]
        if obj is None:
            return editable
        return [*editable, *self.get_readonly_fields(request, obj)]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        # The secret on its owner's page alone: the owner sets the receiver
        # up; a manager seeing everyone's subscriptions needs no one's
        # secret (and can still give one a new secret).
        secret = "secret" if obj.owner_id == request.user.pk else "secret_hidden"
        return [STATE_FIELDS[0], secret, *STATE_FIELDS[1:], "recent"]

    @admin.display(description=_("secret"))
    def secret_hidden(self, obj: Subscription) -> str:
        return str(_("Shown to the subscription's owner only."))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Subscription]:
        return super().get_queryset(request).filter(services.visible_to(request.user))

    def save_model(
        self, request: HttpRequest, obj: Subscription, form: Any, change: bool
    ) -> None:
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if change:
            original = Subscription.objects.get(pk=obj.pk)
            services.update_subscription(original, **data)
        else:
            owner = cast(User, request.user)  # the admin is for signed-in staff
            obj.pk = services.create_subscription(owner=owner, **data).pk

    def delete_model(self, request: HttpRequest, obj: Subscription) -> None:
        services.delete_subscription(obj)

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[Subscription]
    ) -> None:
        for subscription in queryset:
            services.delete_subscription(subscription)

    @admin.display(description=_("latest deliveries"))
    def recent(self, obj: Subscription) -> str:
        deliveries = (
            Delivery.objects.filter(subscription=obj)
            .select_related("event")
            .order_by("-id")[:RECENT_DELIVERIES]
        )
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td>'
            "<td>{}</td><td>{}</td></tr>",
            (
                (
                    reverse("admin:webhooks_delivery_change", args=[delivery.pk]),
                    delivery.event.type,
                    date_format(
                        timezone.localtime(delivery.event.created_at),
                        "DATETIME_FORMAT",
                    ),
                    delivery.get_status_display(),
                    delivery.attempts,
                    delivery.last_status_code or "—",
                    delivery.last_error or "",
                )
                for delivery in deliveries
            ),
        )
        if not rows:
            return str(_("None yet."))
        return format_html(
            "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
            "<th>{}</th></tr>{}</table>",
            *(
                capfirst(header)
                for header in [
                    _("event"),
                    _("time"),
                    _("status"),
                    _("attempts"),
                    _("last status code"),
                    _("last error"),
                ]
            ),
            rows,
        )

    @admin.action(description=_("Send a test event"), permissions=["change"])
    def send_test_event(
        self, request: HttpRequest, queryset: QuerySet[Subscription]
    ) -> None:
        count = 0
        for subscription in queryset:
            services.send_test_event(subscription)
            count += 1
        self.message_user(
            request,
            ngettext(
                "A test event is on its way to %(count)d subscription.",
                "A test event is on its way to %(count)d subscriptions.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Enable again"), permissions=["change"])
    def reenable(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        count = 0
        for subscription in queryset.filter(is_active=False):
            try:
                services.reenable(subscription)
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
                continue
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d subscription was enabled again.",
                "%(count)d subscriptions were enabled again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Generate a new secret"), permissions=["change"])
    def rotate_secret(
        self, request: HttpRequest, queryset: QuerySet[Subscription]
    ) -> None:
        count = 0
        for subscription in queryset:
            services.rotate_secret(subscription)
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d subscription has a new secret.",
                "%(count)d subscriptions have a new secret.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


class DeliveryAttemptInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DeliveryAttempt
    fields = readonly_fields = ("attempted_at", "status_code", "response_ms", "error")
    extra = 0
    can_delete = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Whoever sees the delivery sees its log: no permission of its own.
        return True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The delivery log, read only."""

    list_display = [
        "id",
        "event_type",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status"]
    list_select_related = ["event", "subscription"]
    fields = readonly_fields = (
        "subscription",
        "event",
        "event_type",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
    )
    inlines = [DeliveryAttemptInline]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delivery]:
        visible = Subscription.objects.filter(services.visible_to(request.user))
        return super().get_queryset(request).filter(subscription__in=visible)

    @admin.display(description=_("event type"))
    def event_type(self, obj: Delivery) -> str:
        return obj.event.type

    @admin.display(description=_("payload"))
    def payload(self, obj: Delivery) -> str:
        return format_html(
            "<pre>{}</pre>", json.dumps(obj.event.payload, indent=2, ensure_ascii=False)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
