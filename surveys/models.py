from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from customers.models import Channel, Customer, Interaction, Stage, Touchpoint
from lib.validation import single_line


class Kind(models.TextChoices):
    NPS = "nps", _("Net Promoter Score (0–10)")
    CSAT = "csat", _("Customer satisfaction (1–5)")
    CES = "ces", _("Customer effort (1–7)")


class Band(models.TextChoices):
    PROMOTER = "promoter", _("Promoter")
    PASSIVE = "passive", _("Passive")
    DETRACTOR = "detractor", _("Detractor")


# The bands' names on each scale: the stored `band` code is the NPS name for
# every kind (promoter = the positive band), but a CSAT or CES answer has no
# promoters. Every page, mail, CSV and API label reads these.
BAND_LABELS: dict[str, dict[str, "StrOrPromise"]] = {
    Kind.NPS: {
        Band.PROMOTER: _("Promoter"),
        Band.PASSIVE: _("Passive"),
        Band.DETRACTOR: _("Detractor"),
    },
    Kind.CSAT: {
        Band.PROMOTER: _("Satisfied"),
        Band.PASSIVE: _("Neutral"),
        Band.DETRACTOR: _("Dissatisfied"),
    },
    Kind.CES: {
        Band.PROMOTER: _("Easy"),
        Band.PASSIVE: _("Neutral"),
        Band.DETRACTOR: _("Difficult"),
    },
}


def band_label(kind: str, band: str) -> "StrOrPromise":
    """The name of `band` on the scale of `kind`: CSAT's promoter band is
    "Satisfied", CES's is "Easy"."""
    return BAND_LABELS[kind][band]


# (lowest score, highest score, lowest positive score, highest negative score)
SCALES: dict[str, tuple[int, int, int, int]] = {
    Kind.NPS: (0, 10, 9, 6),
    Kind.CSAT: (1, 5, 4, 2),
    Kind.CES: (1, 7, 5, 3),
}


# The standard question of each kind; %(brand)s is settings.BRAND_NAME.
DEFAULT_QUESTIONS: dict[str, "StrOrPromise"] = {
    Kind.NPS: _("How likely are you to recommend %(brand)s to a friend or colleague?"),
    Kind.CSAT: _("How satisfied were you with %(brand)s?"),
    Kind.CES: _("%(brand)s made it easy to handle my issue."),
}

# The words at the two ends of each scale, shown under the buttons.
SCALE_LABELS: dict[str, tuple["StrOrPromise", "StrOrPromise"]] = {
    Kind.NPS: (_("Not at all likely"), _("Extremely likely")),
    Kind.CSAT: (_("Very dissatisfied"), _("Very satisfied")),
    Kind.CES: (_("Strongly disagree"), _("Strongly agree")),
}


def scale_of(kind: str) -> range:
    low, high, _positive, _negative = SCALES[kind]
    return range(low, high + 1)


def band_for(kind: str, score: int) -> Band:
    """The industry-standard band of a score (DESIGN.md, "Scales and formulas")."""
    low, high, positive_from, negative_to = SCALES[kind]
    if not low <= score <= high:
        raise ValueError(f"{score} is outside the {kind} scale {low}–{high}")
    if score >= positive_from:
        return Band.PROMOTER
    if score <= negative_to:
        return Band.DETRACTOR
    return Band.PASSIVE


def validate_channels(value: object) -> None:
    if not isinstance(value, list) or not set(value) <= set(Channel.values):
        raise ValidationError(
            _("Channels must be a list of: %(channels)s."),
            params={"channels": ", ".join(Channel.values)},
        )


class Survey(models.Model):
    class Trigger(models.TextChoices):
        INTERACTION = "interaction", _("After an interaction")
        RECURRING = "recurring", _("Recurring (relationship)")
        MANUAL = "manual", _("Manual")

    name = models.CharField(_("name"), max_length=200, validators=[single_line])
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # Blank means the default question of the kind, in the customer's language.
    question_en = models.TextField(_("question (English)"), blank=True)
    question_zh_hans = models.TextField(_("question (Simplified Chinese)"), blank=True)
    trigger = models.CharField(
        _("trigger"),
        max_length=20,
        choices=Trigger.choices,
        default=Trigger.INTERACTION,
    )
    # Empty means every channel / every touchpoint.
    channels = models.JSONField(
        _("channels"), default=list, blank=True, validators=[validate_channels]
    )
    touchpoints = models.ManyToManyField(
        Touchpoint, verbose_name=_("touchpoints"), blank=True, related_name="surveys"
    )
    # Upper bounds keep every due time computed from these inside what a
    # datetime can hold, on every database.
    delay_minutes = models.PositiveIntegerField(
        _("delay after resolution (minutes)"),
        default=60,
        validators=[MaxValueValidator(365 * 24 * 60)],
    )
    recurrence_days = models.PositiveIntegerField(
        _("recurrence (days)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(3650)],
    )
    throttle_days = models.PositiveIntegerField(
        _("own throttle (days)"),
        default=0,
        help_text=_("0: only the global rule applies."),
        validators=[MaxValueValidator(3650)],
    )
    reminder_delay_days = models.PositiveIntegerField(
        _("reminder after (days)"), default=3, validators=[MaxValueValidator(365)]
    )
    max_reminders = models.PositiveSmallIntegerField(
        _("maximum reminders"), default=1, validators=[MaxValueValidator(10)]
    )
    expires_after_days = models.PositiveIntegerField(
        _("expires after (days)"), default=30, validators=[MaxValueValidator(3650)]
    )
    edit_window_hours = models.PositiveIntegerField(
        _("edit window (hours)"),
        default=24,
        validators=[MaxValueValidator(365 * 24)],
    )
    # Blank: the kind's negative band (NPS 0–6, CSAT 1–2, CES 1–3).
    case_at_most = models.PositiveSmallIntegerField(
        _("open a case at or below"),
        null=True,
        blank=True,
        help_text=_(
            "An answer at or below this score opens a follow-up case. Blank: the "
            "negative band (NPS 0–6, CSAT 1–2, CES 1–3)."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return self.name

    def question_in(self, language: str) -> str:
        """The question in `language`: the manager's text, else the standard
        one. Call it with that language active (translation.override)."""
        own = self.question_zh_hans if language == "zh-hans" else self.question_en
        if own.strip():
            return own
        return str(DEFAULT_QUESTIONS[self.kind]) % {"brand": settings.BRAND_NAME}

    @property
    def scale(self) -> range:
        return scale_of(self.kind)

    @property
    def case_threshold(self) -> int:
        """The highest score that opens a case."""
        if self.case_at_most is not None:
            return self.case_at_most
        return SCALES[self.kind][3]

    def clean(self) -> None:
        super().clean()
        if self.case_at_most is not None and self.kind in SCALES:
            low, high, _positive, _negative = SCALES[self.kind]
            if not low <= self.case_at_most < high:
                raise ValidationError(
                    {
                        "case_at_most": _(
                            "Choose a score from %(low)s to %(below)s for this "
                            "kind, or leave it blank."
                        )
                        % {"low": low, "below": high - 1}
                    }
                )


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def due(self, now: datetime) -> "InvitationQuerySet":
        """First mails whose time has come (the outbox's queue)."""
        return self.filter(status=Invitation.Status.SCHEDULED, scheduled_for__lte=now)

    def reminders_due(self, now: datetime) -> "InvitationQuerySet":
        return self.filter(status=Invitation.Status.SENT, next_reminder_at__lte=now)

    def pending(self) -> "InvitationQuerySet":
        """Not sent yet, and still meant to be."""
        return self.filter(
            status__in=[Invitation.Status.SCHEDULED, Invitation.Status.SENDING],
            sent_at__isnull=True,
        )


class Invitation(models.Model):
    """One survey to one customer, and the outbox row of its mail.

    `scheduled_for` is when the first mail is due (null while the interaction
    is still open); `next_reminder_at` when the next reminder is. A worker
    claims a row by moving it to `sending` with `claimed_at`; a claim older
    than the lease is taken back by the dispatcher (surveys/services/sending.py).
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        ANSWERED = "answered", _("Answered")
        EXPIRED = "expired", _("Expired")
        SUPPRESSED = "suppressed", _("Suppressed")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    class SuppressedReason(models.TextChoices):
        THROTTLED = "throttled", _("Throttled (global rule)")
        SURVEY_THROTTLED = "survey_throttled", _("Throttled (survey rule)")
        OPTED_OUT = "opted_out", _("Opted out")
        NO_EMAIL = "no_email", _("No email address")
        ERASED = "erased", _("Erased")
        SKIPPED_BY_STAFF = "skipped_by_staff", _("Skipped by staff")
        DUPLICATE = "duplicate", _("Already invited")

    survey = models.ForeignKey(
        Survey,
        verbose_name=_("survey"),
        on_delete=models.PROTECT,
        related_name="invitations",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        db_index=False,  # leads the composite index below
        on_delete=models.PROTECT,
        related_name="invitations",
    )
    interaction = models.ForeignKey(
        Interaction,
        verbose_name=_("interaction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invitations",
    )
    # The link's token is derived from SECRET_KEY and this nonce; only its hash
    # is stored, so a database dump alone yields no working link.
    nonce = models.CharField(max_length=32, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SCHEDULED
    )
    suppressed_reason = models.CharField(
        _("suppressed because"),
        max_length=20,
        choices=SuppressedReason.choices,
        blank=True,
    )
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    next_reminder_at = models.DateTimeField(
        _("next reminder at"), null=True, blank=True
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # When the dispatcher last put the row on the queue, and when a worker
    # claimed it: both let a lost message or a dead worker be noticed.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    # What the invitation is for beyond an interaction, unique per survey and
    # customer: "recurring:2026-11-24" makes a recurring run safe to repeat.
    occasion = models.CharField(_("occasion"), max_length=50, blank=True)
    # A recovery re-survey after a closed case goes out whatever the throttle
    # says (never to someone who opted out).
    is_throttle_exempt = models.BooleanField(
        _("exempt from the throttle"), default=False, db_default=False
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        permissions = [
            ("send_invitation_now", "Can send a scheduled invitation now"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "interaction"],
                condition=models.Q(interaction__isnull=False),
                name="invitation_one_per_survey_interaction",
            ),
            models.UniqueConstraint(
                fields=["survey", "customer", "occasion"],
                condition=~models.Q(occasion=""),
                name="invitation_one_per_occasion",
            ),
            models.CheckConstraint(
                condition=models.Q(status="suppressed", suppressed_reason__gt="")
                | (~models.Q(status="suppressed") & models.Q(suppressed_reason="")),
                name="invitation_reason_iff_suppressed",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "scheduled_for"], name="invitation_due_idx"),
            models.Index(
                fields=["status", "next_reminder_at"], name="invitation_reminder_idx"
            ),
            models.Index(fields=["status", "expires_at"], name="invitation_expiry_idx"),
            models.Index(
                fields=["customer", "-created_at"], name="invitation_customer_idx"
            ),
            models.Index(fields=["updated_at", "id"], name="invitation_updated_idx"),
            # The response funnel counts a range of created_at from the index
            # alone (PostgreSQL; elsewhere a plain index on created_at).
            models.Index(
                fields=["created_at"],
                include=[
                    "survey",
                    "status",
                    "suppressed_reason",
                    "sent_at",
                    "opened_at",
                    "answered_at",
                ],
                name="invitation_funnel_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey} → {self.customer}"

    @property
    def is_answerable(self) -> bool:
        """Mailed, and neither expired nor withdrawn."""
        return self.sent_at is not None and self.status in {
            self.Status.SENT,
            self.Status.SENDING,
            self.Status.ANSWERED,
        }


class SurveyResponse(models.Model):
    """An answer, with the analysis dimensions frozen as they were when given."""

    invitation = models.OneToOneField(
        Invitation,
        verbose_name=_("invitation"),
        on_delete=models.PROTECT,
        related_name="response",
    )
    score = models.SmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    band = models.CharField(_("band"), max_length=10, choices=Band.choices)
    is_confirmed = models.BooleanField(_("confirmed"), default=False)
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    # Dimensions frozen at answer time: reports show the world as it was.
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        db_index=False,  # leads the composite index below
        on_delete=models.PROTECT,
        related_name="responses",
    )
    survey = models.ForeignKey(
        Survey,
        verbose_name=_("survey"),
        on_delete=models.PROTECT,
        related_name="responses",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, blank=True
    )
    touchpoint = models.ForeignKey(
        Touchpoint,
        verbose_name=_("touchpoint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responses",
    )
    stage = models.CharField(
        _("journey stage"), max_length=20, choices=Stage.choices, blank=True
    )
    segment = models.CharField(_("segment"), max_length=50, blank=True)
    company = models.ForeignKey(
        "customers.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
    )

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="nps", score__gte=0, score__lte=10)
                | models.Q(kind="csat", score__gte=1, score__lte=5)
                | models.Q(kind="ces", score__gte=1, score__lte=7),
                name="response_score_on_scale",
            ),
        ]
        indexes = [
            models.Index(fields=["answered_at", "kind"], name="response_answered_idx"),
            models.Index(
                fields=["kind", "answered_at"], name="response_kind_answered_idx"
            ),
            models.Index(
                fields=["customer", "-answered_at"], name="response_customer_idx"
            ),
            models.Index(fields=["updated_at", "id"], name="response_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.score} — {self.customer}"

    # Replaces the method Django makes from the field's choices (it keeps one
    # a model defines), which the stubs declare too.
    def get_band_display(self) -> str:  # type: ignore[no-redef]
        """The band's name on this answer's own scale (band_label), in place
        of the choice label, which is the NPS name."""
        return str(band_label(self.kind, self.band))


class ScoreRollup(models.Model):
    """Day-level band counts of the answers: the metrics read these instead
    of millions of answers where a figure allows it.

    Every answer counts once in the "all" row of its survey and day, and once
    in the row of its value of each rolled-up dimension ("" when it has none),
    the journey map's cell (stage and touchpoint) being one: six rows. `day`
    is the answer's date in settings.TIME_ZONE. Company and staff are not
    rolled up: they have many values, and their SET_NULL foreign
    keys on the answers would change answers behind the rollup's back.
    surveys/services/rollup.py keeps the counts equal to a recomputation from
    the raw answers.
    """

    class Dimension(models.TextChoices):
        ALL = "all", _("all answers")
        CHANNEL = "channel", _("channel")
        TOUCHPOINT = "touchpoint", _("touchpoint")
        STAGE = "stage", _("journey stage")
        SEGMENT = "segment", _("segment")
        JOURNEY = "journey", _("journey stage and touchpoint")

    day = models.DateField(_("day"))
    survey = models.ForeignKey(
        Survey,
        verbose_name=_("survey"),
        db_index=False,  # the reads go through the unique index below
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    dimension = models.CharField(
        _("dimension"), max_length=10, choices=Dimension.choices
    )
    # "" for "all" and for answers without the dimension; a touchpoint's id as
    # decimal text.
    value = models.CharField(_("value"), max_length=50, blank=True)
    promoters = models.IntegerField(_("promoters"), default=0)
    passives = models.IntegerField(_("passives"), default=0)
    detractors = models.IntegerField(_("detractors"), default=0)

    class Meta:
        verbose_name = _("score rollup row")
        verbose_name_plural = _("score rollup")
        constraints = [
            # In the reads' order: kind =, dimension =, optional value =, then
            # a range of days. The answers' upserts conflict on it.
            models.UniqueConstraint(
                fields=["kind", "dimension", "value", "day", "survey"],
                name="score_rollup_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.dimension}={self.value} {self.day}"
