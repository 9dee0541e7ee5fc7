from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` a user sent with a POST, and the first answer to it.

    The row is written (in progress) before the view runs: the unique
    constraint lets exactly one of two concurrent requests with the same key
    run. It keeps the response once the view has answered, for replays.
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")
        COMPLETED = "completed", _("completed")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    key = models.CharField(_("key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.TextField(_("path"))
    # sha256 of the method, path, query string and body: the same key with
    # another request is a conflict, not a replay.
    request_hash = models.CharField(_("request hash"), max_length=64)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.IN_PROGRESS
    )
    response_status = models.PositiveSmallIntegerField(
        _("response status"), null=True, blank=True
    )
    # Only the headers a replay must repeat: Content-Type and Location.
    response_headers = models.JSONField(_("response headers"), default=dict)
    response_body = models.BinaryField(_("response body"), default=b"")
    created_at = models.DateTimeField(_("created at"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "key"], name="idempotency_key_unique_per_owner"
            )
        ]
        # The purge deletes by age.
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
