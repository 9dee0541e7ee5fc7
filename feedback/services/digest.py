"""The managers' weekly digest: the week's NPS, CSAT and CES with margin and
change, the top pain point and the overdue cases, by mail, once a week. The
managers are the dashboard's users (permissions.is_manager) who are staff and have
an address.

Beat runs `send_due` hourly. From WEEKLY_DIGEST_WEEKDAY at WEEKLY_DIGEST_HOUR
(local time in TIME_ZONE) to the end of that week it writes one WeeklyDigest
row per manager for the week just finished; the rows' unique constraint means
one per manager and week however often, and on however many workers, it runs.
Then it delivers the rows that are due, each claimed first with a conditional
UPDATE, so one worker sends it (the bookkeeping of feedback.services.outbox).
A transient mail error puts the row back with the survey mail's backoff; any
other error gives that row up and the run goes on with the next manager. A
worker that dies after the mail server accepted a digest and before marking it
sent causes one duplicate (same Message-ID).
"""

import logging
import smtplib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation

from customers.models import Stage
from feedback.metrics import scores, statistics, themes
from feedback.metrics.filters import AnswerFilter, minimum_sample
from feedback.metrics.periods import period_start
from feedback.metrics.statistics import Score
from feedback.models import Case, StaffPreference, WeeklyDigest
from feedback.services import alerts, outbox
from lib import emails, hooks
from surveys.models import Kind
from text.models import Theme
from text.reading import theme_name

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

# What makes a manager, as permissions.is_manager has it for the dashboard.
MANAGER_PERMISSION = "feedback.change_case"
KINDS: tuple[str, ...] = (Kind.NPS, Kind.CSAT, Kind.CES)
# With the survey mail's backoff (doubling, at most an hour) and an hourly
# run, 24 attempts span about a day.
MAX_ATTEMPTS = 24
# Rendering takes a few queries and sending one mail; a claim older than
# this belonged to a dead worker.
LEASE = timedelta(minutes=10)
OVERDUE_SHOWN = 5
# The themes whose share of the comments moved most, in each digest.
MOVING_THEMES = 3


@dataclass(frozen=True)
class KindFigures:
    kind: str
    figures: Score
    link: str


@dataclass(frozen=True)
class OverdueCase:
    case: Case
    link: str


@dataclass(frozen=True)
class TopPainPoint:
    kind: str
    stage: str
    stage_label: "StrOrPromise"
    touchpoint_label: str
    figures: Score
    link: str


@dataclass(frozen=True)
class MovingTheme:
    """A theme whose share of the week's read comments moved most from the
    week before (percentage points). Its name is read when the mail is
    rendered, in each manager's language."""

    theme: Theme
    n: int
    move: statistics.ShareChange
    link: str

    @property
    def name(self) -> str:
        return theme_name(self.theme)


@dataclass(frozen=True)
class Contents:
    """What every manager's digest of one week says (each in their own
    language): the same for all of them, so computed once per run. `now` is
    when the overdue cases were counted."""

    now: datetime
    week_start: date
    week_end: date
    kinds: list[KindFigures]
    pain_point: TopPainPoint | None
    moving_themes: list[MovingTheme]
    overdue_count: int
    overdue: list[OverdueCase]
    overdue_link: str
    dashboard_link: str
    # What apps above add (the KPIs off target and the pilots:
    # settings.HOOKS["digest_sections"]), each with a `title` and `lines`
    # ({"text", "link"}) rendered in each manager's language.
    sections: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    created: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0


def week_due(now: datetime) -> date | None:
    """The Monday of the week to report on at `now`: the week just finished
    (Monday to Sunday, local time), from this week's sending time to its
    end (a manager who joins on Friday still gets it); None before it."""
    local = timezone.localtime(now)
    monday = period_start(local.date(), "week")
    sending_at = datetime.combine(
        monday + timedelta(days=settings.WEEKLY_DIGEST_WEEKDAY),
        time(settings.WEEKLY_DIGEST_HOUR),
        tzinfo=local.tzinfo,
    )
    if local < sending_at:
        return None
    return monday - timedelta(days=7)


def managers() -> QuerySet[User]:
    """Whom the digest is for: the dashboard's users (active, with the
    permission directly, by a group or as superusers) who are staff and
    have an address."""
    return (
        User.objects.with_perm(
            MANAGER_PERMISSION,
            include_superusers=True,
            # The backend that holds permissions (the first one, django-axes,
            # only refuses locked-out logins).
            backend="django.contrib.auth.backends.ModelBackend",
        )
        .filter(is_staff=True)
        .exclude(email="")
    )


def recipients() -> QuerySet[User]:
    """The managers who did not opt out (one without a StaffPreference row
    has the default: the digest)."""
    return managers().exclude(preference__receives_weekly_digest=False)


def set_receives_weekly_digest(user: User, *, receives: bool) -> StaffPreference:
    """The user's own choice, from the digest page. A first preference keeps
    the language the page was shown in: from then on it is the user's
    (crm.middleware.staff_language), and a default one would switch them."""
    language = translation.get_language()
    preference, _ = StaffPreference.objects.update_or_create(
        user=user,
        defaults={"receives_weekly_digest": receives},
        create_defaults={
            "receives_weekly_digest": receives,
            "language": (
                language
                if language in dict(settings.LANGUAGES)
                else settings.LANGUAGE_CODE
            ),
        },
    )
    return preference


def receives_weekly_digest(user: User) -> bool:
    """The choice as the digest page shows it (no row yet: the default)."""
    choice = (
        StaffPreference.objects.filter(user=user)
        .values_list("receives_weekly_digest", flat=True)
        .first()
    )
    return True if choice is None else choice


def create_due(*, now: datetime) -> int:
    """Write the rows of the week just finished, once its time has come, for
    the managers who have none yet. Returns how many were new."""
    week = week_due(now)
    if week is None:
        return 0
    missing = recipients().exclude(weekly_digests__week_start=week)
    rows = [
        WeeklyDigest(
            user_id=user_id, week_start=week, created_at=now, next_attempt_at=now
        )
        for user_id in missing.values_list("id", flat=True)
    ]
    # A run on another worker may have written some of them since: the
    # unique constraint keeps its rows and drops ours.
    WeeklyDigest.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def send_due(*, now: datetime, limit: int = 1000) -> Report:
    """The hourly run: write the week's rows when due, then deliver every
    row whose time has come (new ones, retries, claims of dead workers)."""
    created = create_due(now=now)
    due = outbox.due_ids(WeeklyDigest, now=now, max_attempts=MAX_ATTEMPTS, limit=limit)
    cache: dict[date, Contents] = {}
    results = Counter(deliver(digest_id, now=now, cache=cache) for digest_id in due)
    return Report(
        created=created,
        sent=results["sent"],
        skipped=results["skipped"],
        failed=results["failed"],
    )


def deliver(
    digest_id: int, *, now: datetime, cache: dict[date, Contents] | None = None
) -> str:
    """Send one digest unless it was sent or someone is sending it; skip it
    when its manager opted out, left or lost the role since it was written.
    `cache` keeps the week's contents from one digest to the next."""
    if not outbox.claim(
        WeeklyDigest,
        digest_id,
        now=now,
        lease=LEASE,
        max_attempts=MAX_ATTEMPTS,
        claimed_at=timezone.now(),
    ):
        return "not due"
    digest = WeeklyDigest.objects.select_related("user__preference").get(id=digest_id)
    if not recipients().filter(id=digest.user_id).exists():
        outbox.give_up(
            WeeklyDigest,
            digest_id,
            reason="The manager opted out, left or has no address.",
        )
        return "skipped"
    if cache is None:
        cache = {}
    # Outside any transaction: a mail server can be slow, and a mail cannot be
    # taken back once sent.
    try:
        if digest.week_start not in cache:
            cache[digest.week_start] = contents_of(digest.week_start, now=now)
        send_mail(digest, contents=cache[digest.week_start])
    except (smtplib.SMTPException, OSError) as error:
        outbox.put_back(WeeklyDigest, digest, error, max_attempts=MAX_ATTEMPTS)
        return "failed"
    except Exception as error:
        # A fault of ours (a template, odd data), not worth retrying: the row
        # keeps the error for the admin, and the other managers still get
        # theirs.
        logger.exception("The weekly digest %s could not be sent", digest_id)
        outbox.give_up(WeeklyDigest, digest_id, reason=outbox.described(error))
        return "failed"
    outbox.mark_sent(WeeklyDigest, digest_id)
    return "sent"


def dashboard_link(week_start: date, **parameters: str | int) -> str:
    """The dashboard showing the week (the query string of
    feedback.metrics.filters)."""
    week_end = week_start + timedelta(days=6)
    query = urlencode(
        {"from": week_start.isoformat(), "to": week_end.isoformat(), **parameters}
    )
    return f"{settings.SITE_URL}{reverse('dashboard:index')}?{query}"


def contents_of(week_start: date, *, now: datetime) -> Contents:
    """The week's figures, its top pain point, and the cases overdue `now`."""
    week_end = week_start + timedelta(days=6)
    kinds = [
        KindFigures(
            kind=kind,
            figures=scores.headline(
                AnswerFilter(kind=kind, start=week_start, end=week_end)
            ),
            link=dashboard_link(week_start, kind=kind),
        )
        for kind in KINDS
    ]
    overdue = Case.objects.overdue(now)
    first_overdue = overdue.select_related("customer", "owner").order_by(
        "due_at", "id"
    )[:OVERDUE_SHOWN]
    return Contents(
        now=now,
        week_start=week_start,
        week_end=week_end,
        kinds=kinds,
        pain_point=top_pain_point(week_start, kinds),
        moving_themes=moving_themes(week_start, kinds),
        overdue_count=overdue.count(),
        overdue=[
            OverdueCase(case=case, link=alerts.case_link(case))
            for case in first_overdue
        ],
        overdue_link=settings.SITE_URL
        + reverse("admin:feedback_case_changelist")
        + "?overdue=1",
        dashboard_link=dashboard_link(week_start, kind=Kind.NPS),
        sections=[
            section
            for answer in hooks.gather(
                "digest_sections", week_start=week_start, week_end=week_end, now=now
            )
            for section in (answer if isinstance(answer, list) else [answer])
        ],
    )


def top_pain_point(week_start: date, kinds: list[KindFigures]) -> TopPainPoint | None:
    """The journey cell with the most impact, on the scale most answers of
    the week used (NPS on a tie); None when the week has no negative answer
    there."""
    busiest = max(kinds, key=lambda row: row.figures.n)
    if busiest.figures.n == 0:
        return None
    answers = AnswerFilter(
        kind=busiest.kind, start=week_start, end=week_start + timedelta(days=6)
    )
    ranked = scores.pain_points(scores.journey(answers), limit=1)
    if not ranked:
        return None
    cell = ranked[0].cell
    parameters: dict[str, str | int] = {"kind": busiest.kind, "stage": cell.stage}
    if cell.touchpoint is not None:
        parameters["touchpoint"] = cell.touchpoint
    return TopPainPoint(
        kind=busiest.kind,
        stage=cell.stage,
        stage_label=stage_label(cell.stage),
        touchpoint_label=cell.touchpoint_label,
        figures=cell.figures,
        link=dashboard_link(week_start, **parameters),
    )


def moving_themes(week_start: date, kinds: list[KindFigures]) -> list[MovingTheme]:
    """The MOVING_THEMES themes whose share of the read comments changed
    most from the week before, among the answers of the scale most answers
    of the week used (as the top pain point), the significant moves first;
    six queries."""
    kind = max(kinds, key=lambda row: row.figures.n).kind
    now = theme_mentions(kind, week_start, week_start + timedelta(days=6))
    before = theme_mentions(
        kind, week_start - timedelta(days=7), week_start - timedelta(days=1)
    )
    (read, mentions, active), (read_before, mentions_before, _) = now, before
    minimum = minimum_sample()
    moves = []
    for theme_id, theme in active.items():
        move = statistics.share_change(
            mentions.get(theme_id, 0),
            read,
            mentions_before.get(theme_id, 0),
            read_before,
            minimum=minimum,
        )
        if move.change:
            moves.append(
                MovingTheme(
                    theme=theme,
                    n=mentions.get(theme_id, 0),
                    move=move,
                    link=dashboard_link(week_start, kind=kind, theme=theme_id),
                )
            )
    moves.sort(key=significant_and_largest_first)
    return moves[:MOVING_THEMES]


def significant_and_largest_first(theme: MovingTheme) -> tuple[bool, float]:
    return (theme.move.is_significant is not True, -abs(theme.move.change or 0))


def theme_mentions(
    kind: str, start: date, end: date
) -> tuple[int, dict[int, int], dict[int, Theme]]:
    """The answers with a read comment in the days, how many of them mention
    each active theme, and the active themes."""
    counts = themes.count_themes(AnswerFilter(kind=kind, start=start, end=end))
    read = sum(counts.read.values(), statistics.BandCounts()).n
    mentions: Counter[int] = Counter()
    for cell in counts.mentioned.values():
        for theme_id, (bands, _negative) in cell.items():
            mentions[theme_id] += bands.n
    return read, dict(mentions), counts.themes


def stage_label(stage: str) -> "StrOrPromise":
    """Lazy, rendered in each manager's language; a stage no longer among the
    choices (or none) as stored."""
    return Stage(stage).label if stage in Stage.values else stage


def send_mail(digest: WeeklyDigest, *, contents: Contents) -> None:
    user = digest.user
    emails.send(
        "weekly_digest",
        to=user.email,
        language=StaffPreference.mail_language_of(user),
        context={
            "brand": settings.BRAND_NAME,
            "recipient": user,
            "contents": contents,
            "minimum_sample": settings.METRICS_MIN_SAMPLE,
            "settings_link": settings.SITE_URL + reverse("dashboard:digest"),
        },
        headers={"Message-ID": emails.message_id(f"weekly-digest-{digest.pk}")},
    )
