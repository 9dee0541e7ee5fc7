"""Tokens in the admin: every staff member sees and revokes their own
(superusers everyone's); a new token's key is shown once, in a message."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tokens import services
from tokens.models import ApiToken

SHOWN: list[Any] = [
    "name",
    "user",
    "prefix",
    "scope",
    "created_at",
    "expires_at",
    "requests_per_minute",
    "last_used_at",
    "revoked_at",
]


class ApiTokenForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ApiToken
        fields = ["user", "name", "scope", "expires_at", "requests_per_minute"]
        help_texts = {"expires_at": _("Leave blank for a key that never expires.")}

    # The person asking, set by ApiTokenAdmin.get_form.
    requester: Any = None

    def clean_requests_per_minute(self) -> Any:
        value = self.cleaned_data.get("requests_per_minute")
        try:
            services.check_rate(value, by=self.requester)
        except forms.ValidationError as error:
            # The service names the field; here the field is known.
            messages = error.message_dict["requests_per_minute"]
            raise forms.ValidationError(messages) from None
        return value

    def clean_expires_at(self) -> Any:
        # As the API: a token born expired is a mistake, not a credential.
        expires_at = self.cleaned_data.get("expires_at")
        if expires_at is not None and expires_at <= timezone.now():
            raise forms.ValidationError(_("The expiry must be in the future."))
        return expires_at


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ApiTokenForm
    list_display = SHOWN
    list_filter = ["scope"]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__username"]
    # Only superusers choose the user (get_fields), and they may search users.
    autocomplete_fields = ["user"]
    ordering = ["-id"]
    actions = ["revoke"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        tokens = super().get_queryset(request)
        if request.user.is_superuser:
            return tokens
        return tokens.filter(user_id=request.user.pk)

    # Tokens belong to their user, not to a role: any active staff member
    # manages their own, without a model permission.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    # A token is never edited (its hash least of all), and never deleted:
    # revoked, it stays listed with its revocation time.
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        if obj is not None:
            return SHOWN
        fields = ["name", "scope", "expires_at", "requests_per_minute"]
        return ["user", *fields] if request.user.is_superuser else fields

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form: Any = super().get_form(request, obj, change, **kwargs)
        # A class made for this request: the rate's check knows who asks.
        form.requester = request.user
        if obj is None and "user" in form.base_fields:
            form.base_fields["user"].initial = request.user.pk
        return form

    def save_model(
        self, request: HttpRequest, obj: ApiToken, form: Any, change: bool
    ) -> None:
        if change:
            return
        token, key = services.create_token(
            obj.user if request.user.is_superuser else request.user,  # type: ignore[arg-type]
            name=obj.name,
            scope=obj.scope,
            expires_at=obj.expires_at,
            requests_per_minute=obj.requests_per_minute,
            by=request.user,  # type: ignore[arg-type]
        )
        obj.pk, obj.user_id, obj.prefix = token.pk, token.user_id, token.prefix
        self.message_user(
            request,
            _(
                "The key of “%(name)s” is %(key)s — copy it now: it is not shown "
                "again, only its hash is kept."
            )
            % {"name": token.name, "key": key},
            messages.WARNING,
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = sum(services.revoke_token(token) for token in queryset)
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )
