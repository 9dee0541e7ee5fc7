"""Privacy requests (GDPR Art. 15–21, PIPL Art. 44–47) as tracked work with a
deadline, and the proof of each erasure (ErasureRecord), which holds counts
and never personal data."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from customers.models import suppression_digest

DUE_DAYS = 30


def default_due_at() -> datetime:
    """A month to answer (GDPR Art. 12(3)); received now unless told."""
    return timezone.now() + timedelta(days=DUE_DAYS)


class PrivacyRequest(models.Model):
    class Kind(models.TextChoices):
        ACCESS = "access", _("Access")
        PORTABILITY = "portability", _("Portability")
        ERASURE = "erasure", _("Erasure")
        RECTIFICATION = "rectification", _("Rectification")
        RESTRICTION = "restriction", _("Restriction")
        OBJECTION = "objection", _("Objection")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        VERIFIED = "verified", _("Verified")
        DONE = "done", _("Done")
        REFUSED = "refused", _("Refused")

    class Mode(models.TextChoices):
        ANONYMISE = "anonymise", _("Anonymise")
        DELETE = "delete", _("Delete")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # SET_NULL: an erasure removes the customer; the request stays as the
    # record that it was served.
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="privacy_requests",
    )
    # For someone no customer matches: the address's keyed hash
    # (customers.models.suppression_digest), never the address.
    email_digest = models.CharField(_("email digest"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"), default=default_due_at)
    extended_due_at = models.DateTimeField(_("extended due at"), null=True, blank=True)
    extension_reason = models.TextField(_("extension reason"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    refusal_reason = models.TextField(_("refusal reason"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_how = models.CharField(_("verified how"), max_length=200, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # sha256 of what was delivered (an export's ZIP): proof of what went out.
    delivered_digest = models.CharField(
        _("delivered digest"), max_length=64, blank=True
    )
    mode = models.CharField(
        _("erasure mode"), max_length=10, choices=Mode.choices, blank=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("privacy request")
        verbose_name_plural = _("privacy requests")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="refused") | ~models.Q(refusal_reason=""),
                name="privacy_request_refusal_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(extended_due_at__isnull=True)
                | ~models.Q(extension_reason=""),
                name="privacy_request_extension_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="erasure") | models.Q(mode=""),
                name="privacy_request_mode_for_erasure_only",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="privacy_request_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def deadline(self) -> datetime:
        """The due time that holds: the extended one once extended."""
        return self.extended_due_at or self.due_at

    @staticmethod
    def digest_of(address: str) -> str:
        return suppression_digest(address)


class ErasureRecord(models.Model):
    """What one erasure did, in counts: the proof, and the dashboard's "N
    answers removed under erasure requests since …". No personal data: not
    even the erased customer's id is personal once the row is gone, but it
    is kept only as the number it was."""

    erased_at = models.DateTimeField(_("erased at"), default=timezone.now)
    mode = models.CharField(
        _("mode"), max_length=10, choices=PrivacyRequest.Mode.choices
    )
    # A keyed hash of the erased customer's id, not the id: enough to answer
    # "erased already" for an id one holds, and no way back from the record
    # to the person (nor, by its order or time, to their anonymous rows).
    customer_digest = models.CharField(
        _("erased customer's digest"), max_length=64, db_index=True
    )
    request = models.ForeignKey(
        PrivacyRequest,
        verbose_name=_("privacy request"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="erasures",
    )
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("erased by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # {"answers_anonymised": 3, "answers_deleted": 0, "cases_closed": 1, …}
    counts = models.JSONField(_("counts"), default=dict)
    answers_removed = models.PositiveIntegerField(_("answers removed"), default=0)

    class Meta:
        verbose_name = _("erasure record")
        verbose_name_plural = _("erasure records")
        indexes = [models.Index(fields=["erased_at"], name="erasure_record_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.erased_at:%Y-%m-%d}"


def customer_digest_of(customer_id: int) -> str:
    """ErasureRecord.customer_digest: an HMAC of the id under SECRET_KEY."""
    return salted_hmac(
        "touchloop.privacy.erased-customer", str(customer_id), algorithm="sha256"
    ).hexdigest()
