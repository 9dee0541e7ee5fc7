from datetime import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib.validation import single_line

NAME_MAX_LENGTH = 100


class ApiToken(models.Model):
    """A named API key of one user. The key itself is never stored: only its
    SHA-256, looked up on every request, and its first characters, so that
    people can tell their keys apart in a list."""

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(
        _("name"), max_length=NAME_MAX_LENGTH, validators=[single_line]
    )
    prefix = models.CharField(_("prefix"), max_length=8)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    scope = models.CharField(
        _("scope"), max_length=5, choices=Scope.choices, default=Scope.WRITE
    )
    created_at = models.DateTimeField(
        _("created"), default=timezone.now, editable=False
    )
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    # This token's own limit; blank: settings.API_TOKEN_RATE.
    requests_per_minute = models.PositiveIntegerField(
        _("requests per minute"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Blank: the site's default rate."),
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "id"], name="apitoken_user_id")]
        permissions = [
            (
                "raise_token_rate",
                "Can give a token more requests per minute than API_TOKEN_RATE",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now
