from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from surveys.models import Invitation, SurveyResponse


class RootCause(models.Model):
    """The editable taxonomy of why customers are unhappy."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class CaseQuerySet(models.QuerySet["Case"]):
    def unresolved(self) -> "CaseQuerySet":
        return self.exclude(status=Case.Status.CLOSED)

    def overdue(self, now: datetime) -> "CaseQuerySet":
        return self.unresolved().filter(due_at__lt=now)


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
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
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
    due_at = models.DateTimeField(_("first contact due"), null=True, blank=True)
    first_contact_at = models.DateTimeField(
        _("first contact at"), null=True, blank=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
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
            models.Index(fields=["updated_at", "id"], name="case_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_reason_display()} — {self.customer}"


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
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"
