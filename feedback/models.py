from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from customers.models import Channel, Customer, Interaction
from lib.validation import single_line
from surveys.models import Invitation, Kind, SurveyResponse


class RootCause(models.Model):
    """The editable taxonomy of why customers are unhappy."""

    name = models.CharField(
        _("name"), max_length=100, unique=True, validators=[single_line]
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class StaffPreference(models.Model):
    """A staff member's own settings: the language of their mail, and whether
    a manager receives the weekly digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="preference",
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    receives_weekly_digest = models.BooleanField(
        _("receives the weekly digest"), default=True
    )

    class Meta:
        verbose_name = _("staff preference")
        verbose_name_plural = _("staff preferences")

    def __str__(self) -> str:
        return str(self.user)

    @staticmethod
    def mail_language_of(user: Any) -> str:
        """The language of the staff member's mail (alerts, the digest, a
        webhook owner's notice): their own, else the site's."""
        try:
            return str(user.preference.language)
        except StaffPreference.DoesNotExist:
            return str(settings.LANGUAGE_CODE)


class Holiday(models.Model):
    """A day the business-hours deadline clock does not count."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(
        _("name"), max_length=100, blank=True, validators=[single_line]
    )

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{date_format(self.date)} {self.name}".strip()


class CaseQuerySet(models.QuerySet["Case"]):
    def unresolved(self) -> "CaseQuerySet":
        """Open or contacted: the work still to do."""
        return self.filter(status__in=[Case.Status.OPEN, Case.Status.CONTACTED])

    def overdue(self, now: datetime) -> "CaseQuerySet":
        """Waiting for a first contact past its deadline: contacting the
        customer stops the clock."""
        return self.filter(status=Case.Status.OPEN, due_at__lt=now)

    def to_escalate(self, now: datetime) -> "CaseQuerySet":
        """Overdue, escalated fewer than the most times in its life, and not
        within the last interval."""
        wait = timedelta(minutes=settings.CASE_ESCALATION_INTERVAL_MINUTES)
        return self.overdue(now).filter(
            models.Q(escalated_at__isnull=True)
            | models.Q(escalated_at__lte=now - wait),
            escalation_level__lt=settings.CASE_MAX_ESCALATIONS,
        )


class Case(models.Model):
    class Reason(models.TextChoices):
        DETRACTOR = "detractor", _("Detractor")
        LOW_CSAT = "low_csat", _("Low CSAT")
        HIGH_EFFORT = "high_effort", _("High effort")
        NEGATIVE_COMMENT = "negative_comment", _("Negative comment")
        MANUAL = "manual", _("Manual")

    class Priority(models.TextChoices):
        NORMAL = "normal", _("Normal")
        URGENT = "urgent", _("Urgent")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONTACTED = "contacted", _("Contacted")
        CLOSED = "closed", _("Closed")

    class AssignmentRule(models.TextChoices):
        CUSTOMER_OWNER = "customer_owner", _("The customer's owner")
        COMPANY_OWNER = "company_owner", _("The company's owner")
        ROUND_ROBIN = "round_robin", _("Round robin")
        BY_HAND = "by_hand", _("By hand")
        NOBODY = "", _("Nobody to assign")

    class ClosedAs(models.TextChoices):
        WORKED = "", _("Worked by staff")
        ERASED = "erased", _("Customer erased")

    class Outcome(models.TextChoices):
        PENDING = "", _("Not known yet")
        RECOVERED = "recovered", _("Recovered")
        NOT_RECOVERED = "not_recovered", _("Not recovered")

    # OneToOne: exactly one case per response; manual cases have none.
    response = models.OneToOneField(
        SurveyResponse,
        verbose_name=_("response"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case",
    )
    # The answer's survey kind, frozen (blank for a case opened by hand
    # without one): the loop metrics filter cases by kind without a join.
    kind = models.CharField(
        _("survey kind"), max_length=10, choices=Kind.choices, blank=True
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    # What led to it: the answered interaction, or the one a case was opened
    # from by hand.
    interaction = models.ForeignKey(
        Interaction,
        verbose_name=_("interaction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        limit_choices_to={"is_staff": True},
        null=True,
        blank=True,
        db_index=False,  # leads the composite index below
        on_delete=models.SET_NULL,
        related_name="owned_cases",
    )
    assignment_rule = models.CharField(
        _("assignment rule"),
        max_length=20,
        choices=AssignmentRule.choices,
        blank=True,
        default="",
        db_default="",
    )
    due_at = models.DateTimeField(_("first contact due"), null=True, blank=True)
    first_contact_at = models.DateTimeField(
        _("first contact at"), null=True, blank=True
    )
    contact_channel = models.CharField(
        _("contact channel"),
        max_length=20,
        choices=Channel.choices,
        blank=True,
        default="",
        db_default="",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # "erased": closed by the system when the customer was erased under a
    # privacy request (privacy.services.erasure); no root cause is asked then.
    closed_as = models.CharField(
        _("closed as"),
        max_length=10,
        choices=ClosedAs.choices,
        blank=True,
        default="",
        db_default="",
    )
    root_cause = models.ForeignKey(
        RootCause,
        verbose_name=_("root cause"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    resolution = models.TextField(_("resolution"), blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation level"), default=0
    )
    escalated_at = models.DateTimeField(_("last escalated at"), null=True, blank=True)
    recovery_invitation = models.OneToOneField(
        Invitation,
        verbose_name=_("recovery survey"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recovery_case",
    )
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, blank=True, default=""
    )
    created_at = models.DateTimeField(_("opened at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="closed")
                | models.Q(closed_as="erased")
                | (models.Q(root_cause__isnull=False) & ~models.Q(resolution="")),
                name="case_closed_needs_root_cause_and_resolution",
                violation_error_message=_(
                    "Closing a case needs a root cause and a resolution."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "due_at"], name="case_owner_idx"),
            models.Index(fields=["status", "due_at"], name="case_due_idx"),
            # The lists' order: open (overdue first), contacted, closed, each
            # by deadline ("open" > "contacted" > "closed" as text).
            models.Index(fields=["-status", "due_at", "id"], name="case_attention_idx"),
            models.Index(fields=["updated_at", "id"], name="case_updated_idx"),
            # The latest round-robin assignment, read for every new case
            # nobody owns.
            models.Index(
                fields=["-id"],
                condition=models.Q(assignment_rule="round_robin"),
                name="case_round_robin_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_reason_display()} — {self.customer}"

    def is_overdue(self, now: datetime) -> bool:
        return (
            self.status == self.Status.OPEN
            and self.due_at is not None
            and self.due_at < now
        )


class CaseEvent(models.Model):
    """The case's timeline and audit trail. A null actor is the system."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        ASSIGNED = "assigned", _("Assigned")
        CONTACTED = "contacted", _("Contacted")
        NOTE = "note", _("Note")
        ESCALATED = "escalated", _("Escalated")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")
        RECOVERY_ANSWERED = "recovery_answered", _("Recovery survey answered")

    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        db_index=False,  # leads the composite index below
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="case_events",
    )
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [
            models.Index(fields=["case", "created_at"], name="case_event_case_idx")
        ]

    def __str__(self) -> str:
        at = date_format(localtime(self.created_at), "SHORT_DATETIME_FORMAT")
        return f"{self.get_kind_display()} ({at})"


class Alert(models.Model):
    """The outbox of case alerts: one row per case event, channel and
    recipient, written in the event's transaction and delivered by a task.
    The unique constraints are what make an alert go out once per event.

    An alert not sent yet is dropped, not deleted, when the case moves on
    first (contacted, closed, given to someone else): the row says why."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        CHAT = "chat", _("Chat webhook")

    class DropReason(models.TextChoices):
        NOT_DROPPED = "", _("Not dropped")
        CONTACTED = "contacted", _("The customer was contacted first")
        CLOSED = "closed", _("The case was closed first")
        REASSIGNED = "reassigned", _("The case went to another owner first")

    event = models.ForeignKey(
        CaseEvent,
        verbose_name=_("case event"),
        on_delete=models.CASCADE,
        related_name="alerts",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="case_alerts",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # When a worker may try (again). Claiming a row moves it a lease ahead, so
    # a claim of a dead worker runs out by itself; null once sent or given up.
    next_attempt_at = models.DateTimeField(
        _("next attempt at"), null=True, blank=True, default=timezone.now
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # Dropping takes the next attempt away, as sending does: no worker
    # claims the row afterwards. A row a worker held when it was dropped may
    # have gone out all the same; then it is sent too (sent_at).
    dropped_at = models.DateTimeField(_("dropped at"), null=True, blank=True)
    drop_reason = models.CharField(
        _("why dropped"),
        max_length=20,
        choices=DropReason.choices,
        blank=True,
        default="",
        db_default="",
    )

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel", "recipient"],
                condition=models.Q(recipient__isnull=False),
                name="alert_once_per_recipient",
            ),
            models.UniqueConstraint(
                fields=["event", "channel"],
                condition=models.Q(recipient__isnull=True),
                name="alert_once_per_channel",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(next_attempt_at__isnull=False),
                name="alert_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient or '#'}: {self.event}"


class WeeklyDigest(models.Model):
    """The outbox of the managers' weekly digest: one row per manager and
    week reported on, created when the week's digest is due and delivered by
    the hourly task. The unique constraint is what makes the digest go out
    once per manager and week, however often and on however many workers
    the task runs."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        db_index=False,  # leads the unique constraint below
        on_delete=models.CASCADE,
        related_name="weekly_digests",
    )
    # The Monday of the week reported on (Monday to Sunday in TIME_ZONE).
    week_start = models.DateField(_("week starting"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # When a worker may try (again). Claiming a row moves it a lease ahead, so
    # a claim of a dead worker runs out by itself; null once sent, skipped or
    # given up.
    next_attempt_at = models.DateTimeField(
        _("next attempt at"), null=True, blank=True, default=timezone.now
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("weekly digest")
        verbose_name_plural = _("weekly digests")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "week_start"], name="weekly_digest_once_per_week"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(next_attempt_at__isnull=False),
                name="weekly_digest_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {date_format(self.week_start)}"
