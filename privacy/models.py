"""Privacy requests (GDPR Art. 15–21, PIPL Art. 44–47) as tracked work with a
deadline, and the proof of each erasure (ErasureRecord), which holds counts
and never personal data."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from customers.models import suppression_digest

DUE_DAYS = 30
# The longest retention age (RetentionRule.age_days).
MAX_AGE_DAYS = 36500


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

    class Outcome(models.TextChoices):
        """What a done request did (the answer given to the requester)."""

        NONE = "", _("Not done yet")
        EXPORTED = "exported", _("Export delivered")
        ERASED = "erased", _("Erased")
        NO_DATA_HELD = "no_data_held", _("No data held")
        RECTIFIED = "rectified", _("Rectified")
        RESTRICTED = "restricted", _("Processing restricted")
        OBJECTION_RECORDED = "objection_recorded", _("Objection recorded")

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
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, blank=True
    )
    # The staff member who recorded the request (null: recorded by the API
    # on a token whose user left, or by a command).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Asked to fulfil (the API's 202): the task that does it is queued, and
    # the sweep queues it again if its message was lost.
    fulfil_requested_at = models.DateTimeField(
        _("fulfilment requested at"), null=True, blank=True
    )
    # When the managers were told the request is overdue (once).
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    # The export's download link: a token rebuilt from the nonce under
    # SECRET_KEY (privacy.services.downloads), stored only as its hash; it
    # serves the ZIP once, until it expires.
    download_nonce = models.CharField(_("download nonce"), max_length=32, blank=True)
    download_token_hash = models.CharField(
        _("download token hash"), max_length=64, blank=True, db_index=True
    )
    download_expires_at = models.DateTimeField(
        _("download expires at"), null=True, blank=True
    )
    downloaded_at = models.DateTimeField(_("downloaded at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    OPEN = (Status.RECEIVED, Status.VERIFIED)

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

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    def is_overdue(self, now: datetime) -> bool:
        return self.is_open and self.deadline < now


class ExportArchive(models.Model):
    """An access or portability request's ZIP, kept until its link is used
    or expires (then deleted: the request keeps its digest). In the
    database, not on a disk, so that the worker that builds it and the web
    process that serves it need share nothing else."""

    request = models.OneToOneField(
        PrivacyRequest,
        verbose_name=_("privacy request"),
        on_delete=models.CASCADE,
        related_name="archive",
    )
    data = models.BinaryField(_("data"))
    size = models.PositiveIntegerField(_("size in bytes"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("export archive")
        verbose_name_plural = _("export archives")

    def __str__(self) -> str:
        return f"{self.request} ({self.size} B)"


class OverdueNotice(models.Model):
    """The outbox of overdue mail: one row per overdue request, manager and
    deadline passed (an extended request that passes its new deadline is
    escalated again), written once and sent by the sweep
    (feedback.services.outbox's bookkeeping, as case alerts)."""

    request = models.ForeignKey(
        PrivacyRequest,
        verbose_name=_("privacy request"),
        on_delete=models.CASCADE,
        related_name="overdue_notices",
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    deadline = models.DateTimeField(_("deadline passed"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(
        _("next attempt at"), null=True, blank=True, default=timezone.now
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("overdue notice")
        verbose_name_plural = _("overdue notices")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "recipient", "deadline"],
                name="overdue_notice_once",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(sent_at__isnull=True),
                name="overdue_notice_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.request} → {self.recipient_id}"


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


def past_deadline(now: datetime) -> models.Q:
    """Requests whose deadline (the extended one, once extended) has passed."""
    return models.Q(extended_due_at__isnull=True, due_at__lt=now) | models.Q(
        extended_due_at__lt=now
    )


def customer_digest_of(customer_id: int) -> str:
    """ErasureRecord.customer_digest: an HMAC of the id under SECRET_KEY."""
    return salted_hmac(
        "touchloop.privacy.erased-customer", str(customer_id), algorithm="sha256"
    ).hexdigest()


class RetentionRule(models.Model):
    """How long one category of personal data is kept, and what happens to it
    then (privacy.services.retention applies the rules nightly). One row per
    category, written by the migration with the defaults the README gives;
    managers edit the age, the action and whether the rule is on."""

    class Category(models.TextChoices):
        INVITATIONS = "invitations", _("Unanswered invitations and their mail events")
        COMMENTS = "comments", _("Comments on answers")
        ANSWER_IDENTITY = "answer_identity", _("Who gave each answer")
        INACTIVE_CUSTOMERS = "inactive_customers", _("Inactive customers")
        CLOSED_CASES = "closed_cases", _("Closed cases")
        WEBHOOK_LOGS = "webhook_logs", _("Webhook events and delivery logs")
        ACCESS_LOG = "access_log", _("Access log")
        SUPPRESSIONS = "suppressions", _("Suppressed address hashes")

    class Anchor(models.TextChoices):
        CREATED = "created", _("created or sent")
        ANSWERED = "answered", _("answered")
        LAST_ACTIVITY = "last_activity", _("last activity")
        CLOSED = "closed", _("closed")
        LOGGED = "logged", _("logged")

    class Action(models.TextChoices):
        DELETE = "delete", _("Delete")
        ANONYMISE = "anonymise", _("Anonymise")

    category = models.CharField(
        _("category"), max_length=30, choices=Category.choices, unique=True
    )
    # Null: kept for ever (the suppression list, by default).
    age_days = models.PositiveIntegerField(
        _("age in days"),
        null=True,
        blank=True,
        # A century: beyond it "for ever" says the same, and the cutoff
        # (now minus the age) would leave the calendar.
        validators=[MaxValueValidator(MAX_AGE_DAYS)],
        help_text=_("Leave empty to keep this data for ever."),
    )
    anchor = models.CharField(
        _("counted from"), max_length=20, choices=Anchor.choices, editable=False
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(age_days__isnull=True) | models.Q(age_days__gte=1),
                name="retention_rule_age_at_least_a_day",
            ),
            models.CheckConstraint(
                condition=models.Q(age_days__lte=MAX_AGE_DAYS),
                name="retention_rule_age_at_most_a_century",
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_category_display())

    def clean(self) -> None:
        self.clean_webhook_age()
        allowed = ALLOWED_ACTIONS.get(self.category, [])
        if self.action not in allowed:
            raise ValidationError(
                {
                    "action": _("For %(category)s choose: %(actions)s.")
                    % {
                        "category": self.get_category_display(),
                        "actions": ", ".join(
                            str(self.Action(action).label) for action in allowed
                        ),
                    }
                }
            )

    def clean_webhook_age(self) -> None:
        """The webhooks app purges its events hourly after WEBHOOK_KEEP_DAYS
        whatever this rule says: the rule can only keep them for less."""
        if self.category != self.Category.WEBHOOK_LOGS:
            return
        ceiling = settings.WEBHOOK_KEEP_DAYS
        if self.age_days is None or self.age_days > ceiling:
            raise ValidationError(
                {
                    "age_days": _(
                        "Webhook events are deleted after %(days)s days "
                        "(WEBHOOK_KEEP_DAYS) whatever this rule says: choose "
                        "at most %(days)s days."
                    )
                    % {"days": ceiling}
                }
            )

    @property
    def is_active(self) -> bool:
        """Enabled and with an age: a rule that touches something."""
        return self.is_enabled and self.age_days is not None

    def cutoff(self, now: datetime) -> datetime | None:
        """What is older than this (strictly) has expired; None: nothing."""
        if self.age_days is None:
            return None
        return now - timedelta(days=self.age_days)


Category = RetentionRule.Category
Action = RetentionRule.Action
# Only the actions that make sense: a comment is blanked (its reading and the
# answer stay), a log or an unanswered invitation is simply deleted.
ALLOWED_ACTIONS: dict[str, list[str]] = {
    Category.INVITATIONS: [Action.DELETE],
    Category.COMMENTS: [Action.ANONYMISE],
    Category.ANSWER_IDENTITY: [Action.ANONYMISE, Action.DELETE],
    Category.INACTIVE_CUSTOMERS: [Action.ANONYMISE, Action.DELETE],
    Category.CLOSED_CASES: [Action.ANONYMISE, Action.DELETE],
    Category.WEBHOOK_LOGS: [Action.DELETE],
    Category.ACCESS_LOG: [Action.DELETE],
    Category.SUPPRESSIONS: [Action.DELETE],
}
