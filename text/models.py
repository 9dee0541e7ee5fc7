"""What the analysis of customers' comments keeps: the theme dictionary
managers edit, and per comment its language, sentiment, themes and the spans
that triggered them, with the corrections staff make."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lib.validation import single_line
from surveys.models import Band, Kind, ScoreRollup
from text.analysis import types


class Theme(models.Model):
    """One theme of the dictionary. Its key is stored with every tagged
    comment; names and keywords may change (the comments are then tagged
    again in the background)."""

    key = models.SlugField(_("key"), max_length=50, unique=True)
    name_en = models.CharField(
        _("name in English"), max_length=100, validators=[single_line]
    )
    name_zh = models.CharField(
        _("name in Chinese"), max_length=100, blank=True, validators=[single_line]
    )
    keywords_en = models.TextField(
        _("English keywords"),
        blank=True,
        help_text=_("One per line; 'delay' also finds 'delayed'."),
    )
    keywords_zh = models.TextField(
        _("Chinese keywords"),
        blank=True,
        help_text=_("One per line, found anywhere in a comment."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self) -> str:
        return self.name_en

    def spec(self) -> types.ThemeSpec:
        return types.ThemeSpec(
            key=self.key,
            keywords={
                types.ENGLISH: keyword_lines(self.keywords_en),
                types.CHINESE: keyword_lines(self.keywords_zh),
            },
            parent=self.parent.key if self.parent_id and self.parent else None,
        )


def comment_digest(comment: str) -> str:
    """What a reading was made of (CommentAnalysis.comment_digest): a reading
    whose digest is not the comment's is of an older version of it."""
    return hashlib.sha256(comment.encode()).hexdigest()


def keyword_lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


class Language(models.TextChoices):
    ENGLISH = types.ENGLISH, _("English")
    CHINESE = types.CHINESE, _("Chinese")
    UNKNOWN = types.UNKNOWN, _("unknown")


class Label(models.TextChoices):
    NEGATIVE = types.NEGATIVE, _("negative")
    NEUTRAL = types.NEUTRAL, _("neutral")
    POSITIVE = types.POSITIVE, _("positive")
    MIXED = types.MIXED, _("mixed")


class CommentAnalysis(models.Model):
    """The reading of one answer's comment. `comment_digest` and
    `dictionary_digest` say what was read with what: a retry of the same
    comment under the same dictionary changes nothing."""

    response = models.OneToOneField(
        "surveys.SurveyResponse",
        verbose_name=_("answer"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="analysis",
    )
    comment_digest = models.CharField(max_length=64)
    dictionary_digest = models.CharField(max_length=64)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices)
    score = models.FloatField(_("sentiment score"))
    label = models.CharField(_("sentiment"), max_length=10, choices=Label.choices)
    # [[start, end, weight], …]: characters of the comment and their signed
    # weight, for highlighting.
    spans = models.JSONField(_("sentiment words"), default=list, blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    # The comment says the opposite of the score (a 10 with an angry
    # comment): a person should read it; the score is never changed.
    needs_review = models.BooleanField(_("needs review"), default=False)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    # A staff member's reading, which re-analysis never overwrites.
    corrected_label = models.CharField(
        _("corrected sentiment"), max_length=10, choices=Label.choices, blank=True
    )
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("corrected by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    corrected_at = models.DateTimeField(_("corrected at"), null=True, blank=True)
    analysed_at = models.DateTimeField(_("analysed at"))
    # What the comment rollup counts this reading under (text.rollup): the
    # answer's band and day when last counted, so that a change subtracts
    # exactly what was added.
    counted_band = models.CharField(max_length=10, choices=Band.choices, blank=True)
    counted_day = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("comment analysis")
        verbose_name_plural = _("comment analyses")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=-1) & models.Q(score__lte=1),
                name="comment_score_in_range",
            ),
        ]
        indexes = [
            models.Index(
                fields=["response"],
                condition=models.Q(needs_review=True, reviewed_at__isnull=True),
                name="comment_review_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.response_id}: {self.get_label_display()}"

    @property
    def sentiment(self) -> str:
        """The label to count: a staff member's correction, else the
        analyser's."""
        return self.corrected_label or self.label


class CommentTheme(models.Model):
    """A theme a comment mentions. Staff may add a theme or take one away;
    their rows (source staff) are kept through every re-tagging, and a theme
    they took away stays away (is_present False)."""

    class Source(models.TextChoices):
        ANALYSIS = "analysis", _("analysis")
        STAFF = "staff", _("staff")

    analysis = models.ForeignKey(
        CommentAnalysis, on_delete=models.CASCADE, related_name="themes"
    )
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="+")
    spans = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    is_present = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("comment theme")
        verbose_name_plural = _("comment themes")
        constraints = [
            models.UniqueConstraint(
                fields=["analysis", "theme"], name="one_row_per_comment_theme"
            ),
        ]
        indexes = [models.Index(fields=["theme", "analysis"])]

    def __str__(self) -> str:
        return f"{self.analysis_id}: {self.theme_id}"


class ThemeSuggestion(models.Model):
    """A recurring topic among recent comments that no theme covers, found
    by the weekly task (text.analysis.suggestions), for a manager to adopt
    as a theme or dismiss. Open suggestions are replaced at every run;
    decided ones stay, and a dismissed topic is not suggested again."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ADOPTED = "adopted", _("adopted")
        DISMISSED = "dismissed", _("dismissed")

    language = models.CharField(_("language"), max_length=10, choices=Language.choices)
    # The topic's strongest terms, as customers wrote them, strongest first.
    terms = models.JSONField(_("top terms"), default=list)
    # Ids of three typical answers (SurveyResponse); an answer deleted since
    # is simply not shown.
    example_response_ids = models.JSONField(_("example comments"), default=list)
    comment_count = models.PositiveIntegerField(_("comments"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    theme = models.ForeignKey(
        Theme,
        verbose_name=_("theme"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-comment_count", "id"]
        verbose_name = _("theme suggestion")
        verbose_name_plural = _("theme suggestions")
        indexes = [models.Index(fields=["status", "language"])]

    def __str__(self) -> str:
        return ", ".join(self.terms)


class CommentRollup(models.Model):
    """Day-level counts of the read comments, for the dashboard's sentiment
    and theme figures: per day (in settings.TIME_ZONE), survey, kind and
    value of one dimension keyed as surveys.ScoreRollup keys its rows
    (dimension "all" with value "" counts every answer), the comments'
    sentiment (a staff correction first) and language, the bands of their
    answers. A row without a theme counts every read comment; a row with one
    counts the comments mentioning it (is_present), active or not.
    text/rollup.py keeps the counts equal to a recomputation."""

    day = models.DateField(_("day"))
    survey = models.ForeignKey(
        "surveys.Survey",
        verbose_name=_("survey"),
        db_index=False,  # the reads go through the unique indexes below
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    dimension = models.CharField(
        _("dimension"), max_length=10, choices=ScoreRollup.Dimension.choices
    )
    value = models.CharField(_("value"), max_length=50, blank=True)
    theme = models.ForeignKey(
        Theme,
        verbose_name=_("theme"),
        db_index=False,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    sentiment = models.CharField(_("sentiment"), max_length=10, choices=Label.choices)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices)
    promoters = models.IntegerField(_("promoters"), default=0)
    passives = models.IntegerField(_("passives"), default=0)
    detractors = models.IntegerField(_("detractors"), default=0)

    class Meta:
        verbose_name = _("comment rollup row")
        verbose_name_plural = _("comment rollup")
        # Two partial keys, as a NULL never conflicts in a unique index: the
        # upserts name one or the other (valid on PostgreSQL and SQLite).
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "kind",
                    "dimension",
                    "value",
                    "day",
                    "survey",
                    "sentiment",
                    "language",
                ],
                condition=models.Q(theme__isnull=True),
                name="comment_rollup_read_key",
            ),
            models.UniqueConstraint(
                fields=[
                    "kind",
                    "dimension",
                    "value",
                    "day",
                    "survey",
                    "theme",
                    "sentiment",
                    "language",
                ],
                condition=models.Q(theme__isnull=False),
                name="comment_rollup_theme_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.dimension}={self.value} {self.day}"
