"""KPIs and pilots (issue 19): what a manager measures, and the pilots that
compare a treated group with a control before and after go-live."""

from datetime import date
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from lib.validation import single_line


class Formula(models.TextChoices):
    NPS = "nps", _("NPS")
    CSAT = "csat", _("CSAT %")
    CES = "ces", _("CES %")
    CASE_RATE = "case_rate", _("Case rate (cases per interaction)")
    TIME_TO_FIRST_CONTACT = "time_to_first_contact", _("Median time to first contact")
    TIME_TO_CLOSE = "time_to_close", _("Median time to close")
    REOPEN_RATE = "reopen_rate", _("Reopen rate")
    RESPONSE_RATE = "response_rate", _("Response rate")
    RECOVERY_RATE = "recovery_rate", _("Recovery rate")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class Cadence(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


class Kpi(models.Model):
    """A formula from the fixed list, with optional filters
    ({"survey", "stage", "touchpoint", "channel", "segment", "staff"}), a
    target and the direction that is better."""

    name = models.CharField(_("name"), max_length=200, validators=[single_line])
    formula = models.CharField(_("formula"), max_length=30, choices=Formula.choices)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    target = models.FloatField(_("target"), null=True, blank=True)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default="higher"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_kpis",
    )
    review_cadence = models.CharField(
        _("review cadence"),
        max_length=10,
        choices=Cadence.choices,
        default=Cadence.MONTHLY,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")

    def __str__(self) -> str:
        return self.name


class Unit(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    COMPANY = "company", _("Company")
    STAFF = "staff", _("Staff member")
    TOUCHPOINT = "touchpoint", _("Touchpoint")
    SEGMENT = "segment", _("Segment")


class Analysis(models.TextChoices):
    FIXED = "fixed", _("Fixed horizon (read at the planned end)")
    SEQUENTIAL = "sequential", _("Sequential (may be read at any time)")


class VariantSetting(models.TextChoices):
    """Touchloop's own settings a randomised pilot may vary for its treated
    customers (pilots.services.variants)."""

    NONE = "", _("None")
    SURVEY_MAIL_TEXT = "survey_mail_text", _("A survey's mail text")
    REMINDER_DELAY = "reminder_delay", _("Reminder delay")
    CASE_SLA = "case_sla", _("Follow-up SLA")
    ASSIGNMENT_RULE = "assignment_rule", _("Case assignment rule")


class Pilot(models.Model):
    """A change tried on a treated group and measured against a control.

    `treatment` and `control` list unit ids (values for a segment), or hold
    {"filter": {...}} resolved to the matching units at analysis time
    (pilots.services.groups); a null control is matched automatically from
    the baseline. With `treated_share`
    set, Touchloop draws the assignment itself (customers only, stored as
    PilotAssignment rows) and the result is labelled randomised; such a
    pilot may vary one of Touchloop's own settings (`variant_setting`) for
    its treated customers, who get `variant_value` while the pilot runs.
    From go-live on, the design (LOCKED_FIELDS) can no longer change.
    """

    LOCKED_FIELDS: ClassVar[tuple[str, ...]] = (
        "hypothesis",
        "primary_kpi",
        "guardrail_kpis",
        "unit",
        "treatment",
        "control",
        "treated_share",
        "variant_setting",
        "variant_value",
        "baseline_start",
        "go_live",
        "planned_end",
        "min_effect",
        "alpha",
        "power",
        "analysis",
        "decision_rule",
    )

    name = models.CharField(_("name"), max_length=200, validators=[single_line])
    hypothesis = models.TextField(_("hypothesis"))
    primary_kpi = models.ForeignKey(
        Kpi,
        verbose_name=_("primary KPI"),
        on_delete=models.PROTECT,
        related_name="primary_of",
    )
    guardrail_kpis = models.ManyToManyField(
        Kpi, verbose_name=_("guardrail KPIs"), blank=True, related_name="guardrail_of"
    )
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices)
    treatment = models.JSONField(_("treatment group"), default=list, blank=True)
    control = models.JSONField(_("control group"), null=True, blank=True)
    treated_share = models.FloatField(
        _("treated share (assigned by Touchloop)"), null=True, blank=True
    )
    variant_setting = models.CharField(
        _("setting varied"),
        max_length=30,
        choices=VariantSetting.choices,
        default=VariantSetting.NONE,
        blank=True,
    )
    variant_value = models.JSONField(
        _("treated customers' value"), null=True, blank=True
    )
    baseline_start = models.DateField(_("baseline start"), null=True, blank=True)
    go_live = models.DateField(_("go-live"))
    planned_end = models.DateField(_("planned end"))
    min_effect = models.FloatField(_("minimum effect worth detecting"))
    alpha = models.FloatField(_("α"), default=0.05)
    power = models.FloatField(_("power"), default=0.8)
    analysis = models.CharField(
        _("analysis"), max_length=20, choices=Analysis.choices, default=Analysis.FIXED
    )
    decision_rule = models.TextField(_("decision rule"), blank=True)
    decision = models.TextField(_("decision"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_pilots",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("pilot")
        verbose_name_plural = _("pilots")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end__gt=models.F("go_live")),
                name="pilot_ends_after_go_live",
            ),
            models.CheckConstraint(
                condition=models.Q(baseline_start__isnull=True)
                | models.Q(baseline_start__lt=models.F("go_live")),
                name="pilot_baseline_before_go_live",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_locked(self, today: date) -> bool:
        return today >= self.go_live

    def phase_on(self, today: date) -> str:
        """ "design" before go-live, "running" until the planned end, then
        "ended"."""
        if today < self.go_live:
            return "design"
        return "running" if today <= self.planned_end else "ended"

    def varies_on(self, today: date) -> bool:
        """Its variant applies: go-live ≤ today < planned end."""
        return bool(self.variant_setting) and self.go_live <= today <= self.planned_end

    @property
    def is_randomised(self) -> bool:
        """Touchloop drew the assignment: the only pilots labelled randomised."""
        return self.treated_share is not None

    @property
    def key(self) -> str:
        """The assignment's hash key: a new pilot reshuffles everyone."""
        return f"pilot-{self.pk}"


class PilotAssignment(models.Model):
    """A customer's group in a pilot Touchloop randomises (stored, so that
    the customer page and the privacy export can show it)."""

    class Group(models.TextChoices):
        TREATED = "treated", _("Treatment group")
        CONTROL = "control", _("Control group")

    pilot = models.ForeignKey(
        Pilot,
        verbose_name=_("pilot"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="pilot_assignments",
    )
    group = models.CharField(_("group"), max_length=10, choices=Group.choices)
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)

    class Meta:
        verbose_name = _("pilot assignment")
        verbose_name_plural = _("pilot assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["pilot", "customer"], name="pilot_assignment_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pilot} — {self.customer}: {self.get_group_display()}"


class PilotEvent(models.Model):
    """The pilot's append-only audit trail, refused edits included."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        EDITED = "edited", _("Edited")
        LOCKED = "locked", _("Locked at go-live")
        REFUSED_EDIT = "refused_edit", _("Edit refused")

    pilot = models.ForeignKey(
        Pilot,
        verbose_name=_("pilot"),
        db_index=False,  # leads the composite index below
        on_delete=models.CASCADE,
        related_name="events",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pilot_events",
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    fields = models.JSONField(_("fields"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("pilot event")
        verbose_name_plural = _("pilot events")
        indexes = [
            models.Index(fields=["pilot", "created_at"], name="pilot_event_pilot_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.created_at:%Y-%m-%d %H:%M})"
