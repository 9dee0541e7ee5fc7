"""Reading customers' comments: each answer's comment is analysed after the
answer commits (a failing analysis never holds up an answer), again when it
is edited, and again when the theme dictionary changes. Staff corrections
are never overwritten."""

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property, partial
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.text import slugify
from kombu.exceptions import OperationalError as KombuOperationalError

from lib import hooks
from lib.validation import save_validated
from surveys.models import Band, SurveyResponse
from surveys.services.rollup import day_of
from text import evaluation, rollup, tasks
from text.analysis import analyse, suggestions, types
from text.models import (
    CommentAnalysis,
    CommentTheme,
    Label,
    Theme,
    ThemeSuggestion,
    comment_digest,
    keyword_lines,
)
from text.serializers import analysis_data

log = logging.getLogger(__name__)

# Comments read per transaction when the whole table is read again.
BATCH_SIZE = 500


@dataclass(frozen=True)
class Dictionary:
    themes: tuple[Theme, ...]
    digest: str

    # Cached: a batch reads hundreds of comments with one dictionary.
    @cached_property
    def specs(self) -> tuple[types.ThemeSpec, ...]:
        return tuple(theme.spec() for theme in self.themes)

    @cached_property
    def by_key(self) -> dict[str, Theme]:
        return {theme.key: theme for theme in self.themes}


def current_dictionary() -> Dictionary:
    themes = tuple(
        Theme.objects.filter(is_active=True).select_related("parent").order_by("key")
    )
    content = [
        [t.key, t.keywords_en, t.keywords_zh, t.parent.key if t.parent else None]
        for t in themes
    ]
    digest = hashlib.sha256(json.dumps(content).encode()).hexdigest()
    return Dictionary(themes=themes, digest=digest)


def contradicts(band: str, label: str) -> bool:
    """A happy score with a negative comment, or an unhappy one with praise
    (mixed comments never contradict)."""
    return (band == Band.PROMOTER and label == Label.NEGATIVE) or (
        band == Band.DETRACTOR and label == Label.POSITIVE
    )


def on_response_recorded(
    *, response: SurveyResponse, created: bool = False, **kwargs: Any
) -> None:
    """The `response_recorded` hook: read the comment once the answer has
    committed. An answer whose comment was removed is read too (its analysis
    goes). A changed answer's reading moves to its new band in the comment
    rollup now, in the answer's transaction, which holds the answer's row."""
    if not created:
        analysis = CommentAnalysis.objects.filter(response_id=response.pk).first()
        if analysis is not None:
            _recount_answer(analysis, response)
    transaction.on_commit(partial(queue_reading, response.pk))


def on_response_deleting(*, response: SurveyResponse, **kwargs: Any) -> None:
    """The `response_deleting` hook: take the answer's reading out of the
    comment rollup before the answer, and with it the reading, goes."""
    # The answer's row first, as every writer of a reading takes it.
    locked = (
        SurveyResponse.objects.select_for_update(of=("self",))
        .filter(pk=response.pk)
        .first()
    )
    analysis = CommentAnalysis.objects.filter(response_id=response.pk).first()
    if locked is not None and analysis is not None:
        rollup.count_change(rollup.counted(analysis, locked), None)


def _recount_answer(
    analysis: CommentAnalysis,
    response: SurveyResponse,
    *,
    themes: frozenset[int] | None = None,
) -> None:
    """Move an unchanged reading to its answer's band and day, when they
    are not those it was counted under."""
    change = _recount(analysis, response, themes=themes)
    if change is not None:
        rollup.count_change(*change)


def _recount(
    analysis: CommentAnalysis,
    response: SurveyResponse,
    *,
    themes: frozenset[int] | None = None,
) -> tuple[rollup.Counted | None, rollup.Counted | None] | None:
    """_recount_answer's save; the rollup's change is the caller's to count."""
    day = day_of(response.answered_at)
    if (analysis.counted_band, analysis.counted_day) == (response.band, day):
        return None
    before = rollup.counted(analysis, response, themes=themes)
    analysis.counted_band, analysis.counted_day = response.band, day
    analysis.save(update_fields=["counted_band", "counted_day"])
    return before, rollup.counted(analysis, response, themes=themes)


def queue_reading(response_id: int) -> None:
    """Runs after the answer's commit: a broker out of reach must not fail
    the customer's request (the answer is saved); the sweep
    (read_missed_comments) reads the comment later."""
    try:
        tasks.enrich_comment_task.delay(response_id)
    except (KombuOperationalError, OSError) as error:
        log.warning(
            "The reading of answer %s's comment was not queued (%s); "
            "the sweep will read it.",
            response_id,
            type(error).__name__,
        )


def enrich_comment(
    response_id: int, *, dictionary: Dictionary | None = None
) -> CommentAnalysis | None:
    """Analyse the answer's comment as it is now; None when it has none.
    Safe to run twice and alongside an edit: the answer's row is locked while
    its analysis is written, and an unchanged comment read with an unchanged
    dictionary is left alone."""
    dictionary = dictionary or current_dictionary()
    with transaction.atomic():
        response = (
            SurveyResponse.objects.select_for_update(of=("self",))
            .filter(pk=response_id)
            .first()
        )
        if response is None:
            return None
        readings = read_locked([response], dictionary)
    if response.pk not in readings:
        raise UnreadableCommentError(response.pk)
    return readings[response.pk]


def read_comments_from(response_id: int, *, batch_size: int = BATCH_SIZE) -> int:
    """The work of an answer's task: its comment, and with it the stale
    comments after it that no other worker holds, read in one transaction:
    one commit and a few statements for the batch, not a dozen per comment.
    The answers queued after this one are then read already when their own
    tasks come, and those find nothing to do. Returns how many were read.

    An answer another worker holds is left to it: that worker's batch reads
    it, or, rolled back, its task is retried and reads it again. (A row
    held by something else — a correction, a deletion — is read by the sweep
    if it still needs reading.) When the answer's own comment cannot be
    read, the batch's other readings commit and this raises, for the task
    to retry."""
    if read_since_changed(response_id):
        # Most tasks of a backlog: a batch read their answer already. Asked
        # in one query without a lock (a lock would make a writing, flushed
        # transaction of every one of them).
        return 0
    dictionary = current_dictionary()
    with transaction.atomic():
        own = (
            SurveyResponse.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(pk=response_id)
            .first()
        )
        if own is None:
            return 0
        batch = [own]
        if own.comment.strip():
            batch += stale_answers(dictionary, after=own.pk).select_for_update(
                of=("self",), skip_locked=True
            )[: batch_size - 1]
        # (An answer whose comment was removed is read alone: its reading goes.)
        readings = read_locked(batch, dictionary)
    if own.pk not in readings:
        raise UnreadableCommentError(own.pk)
    return len(readings)


class UnreadableCommentError(RuntimeError):
    """The analysis failed on this answer's comment (logged with its cause);
    its reading is left stale, for a retry or the sweep."""

    def __init__(self, response_id: int) -> None:
        super().__init__(f"Could not read the comment of answer {response_id}.")


def read_since_changed(response_id: int) -> bool:
    """The answer has a comment, and its reading is of that comment and
    younger than the answer's last change. (With which dictionary is the
    re-tagging's concern, not the answer's task's.) The digest, not the
    times alone: an edit stamped before a batch read the old comment, and
    committed after it, is younger in the table than its own reading."""
    row = (
        SurveyResponse.objects.filter(pk=response_id)
        .values(
            "comment", "updated_at", "analysis__comment_digest", "analysis__analysed_at"
        )
        .first()
    )
    return bool(
        row is not None
        and row["comment"].strip()
        and row["analysis__comment_digest"] == comment_digest(row["comment"])
        and row["analysis__analysed_at"] >= row["updated_at"]
    )


# The digest of a reading whose comment was erased under a privacy request
# (privacy.services.erasure): its sentiment and themes stay, counted.
ERASED_COMMENT = comment_digest("")


class _AnalysisFailedError(Exception):
    """The analyser failed on one comment (its cause chained); the batch
    goes on without it."""


# A change to the rollup: the reading as counted before, and after.
Recount = tuple[rollup.Counted | None, rollup.Counted | None]


@dataclass
class _Writes:
    """A batch's writes, made together once every comment is read: a few
    statements for the batch instead of a dozen per comment."""

    dictionary: Dictionary
    created: list[CommentAnalysis] = field(default_factory=list)
    updated: list[CommentAnalysis] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    themes_gone: list[int] = field(default_factory=list)
    themes_added: list[CommentTheme] = field(default_factory=list)
    themes_changed: list[CommentTheme] = field(default_factory=list)
    recounts: list[Recount] = field(default_factory=list)
    announced: list[int] = field(default_factory=list)

    def save(self) -> None:
        CommentAnalysis.objects.filter(pk__in=self.removed).delete()
        CommentAnalysis.objects.bulk_create(self.created)
        if self.updated:
            CommentAnalysis.objects.bulk_update(self.updated, READING_FIELDS)
        CommentTheme.objects.filter(pk__in=self.themes_gone).delete()
        CommentTheme.objects.bulk_create(self.themes_added)
        if self.themes_changed:
            CommentTheme.objects.bulk_update(
                self.themes_changed, ["spans", "is_present"]
            )
        rollup.count_changes(self.recounts)
        # After the writes: a subscriber's event shows the reading as stored.
        if self.announced:
            hooks.announce("comments_analysed", response_ids=self.announced)


# What a new reading writes over an old one.
READING_FIELDS = [
    "comment_digest",
    "dictionary_digest",
    "language",
    "score",
    "label",
    "spans",
    "keywords",
    "needs_review",
    "reviewed_at",
    "analysed_at",
    "counted_band",
    "counted_day",
]


def read_locked(
    responses: Sequence[SurveyResponse], dictionary: Dictionary
) -> dict[int, CommentAnalysis | None]:
    """Read the comments of answers whose rows the caller's transaction
    holds; each answer's reading (None: no comment). A comment the analysis
    cannot read is logged (by answer id), left out of the result and left
    stale, and the others are read. (A database error is no analysis
    failure: it fails the batch.)"""
    ids = [response.pk for response in responses]
    existing = {a.pk: a for a in CommentAnalysis.objects.filter(pk__in=ids)}
    rows: dict[int, list[CommentTheme]] = {pk: [] for pk in ids}
    if existing:
        for row in CommentTheme.objects.filter(analysis_id__in=list(existing)):
            rows[row.analysis_id].append(row)
    writes = _Writes(dictionary)
    readings: dict[int, CommentAnalysis | None] = {}
    for response in responses:
        try:
            readings[response.pk] = _read_one(
                response, existing.get(response.pk), rows[response.pk], writes
            )
        except _AnalysisFailedError:
            # Never the comment in the log: the id is enough to find it.
            log.exception("Could not read the comment of answer %s.", response.pk)
    writes.save()
    return readings


def _read_one(
    response: SurveyResponse,
    existing: CommentAnalysis | None,
    rows: list[CommentTheme],
    writes: _Writes,
) -> CommentAnalysis | None:
    themes = _present(rows)
    if not response.comment.strip():
        if existing is not None and existing.comment_digest != ERASED_COMMENT:
            writes.removed.append(existing.pk)
            writes.recounts.append(
                (rollup.counted(existing, response, themes=themes), None)
            )
            writes.announced.append(response.pk)
        return None
    digest = comment_digest(response.comment)
    if (
        existing is not None
        and existing.comment_digest == digest
        and existing.dictionary_digest == writes.dictionary.digest
    ):
        _keep(existing, response, themes, writes)
        return existing
    return _write(response, existing, rows, writes, digest=digest)


def _keep(
    existing: CommentAnalysis,
    response: SurveyResponse,
    themes: frozenset[int],
    writes: _Writes,
) -> None:
    """The same reading; only the score may have moved. Dated now, so that
    the sweep does not take it for a stale one again."""
    if _flag_contradiction(existing, band=response.band):
        writes.announced.append(response.pk)
    recount = _recount(existing, response, themes=themes)
    if recount is not None:
        writes.recounts.append(recount)
    if existing.analysed_at < response.updated_at:
        existing.analysed_at = timezone.now()
        existing.save(update_fields=["analysed_at"])


def _flag_contradiction(analysis: CommentAnalysis, *, band: str) -> bool:
    """Flag (or clear) a contradiction with the score; True when it changed."""
    needs_review = contradicts(band, analysis.label)
    if needs_review == analysis.needs_review:
        return False
    analysis.needs_review = needs_review
    analysis.reviewed_at = None
    analysis.save(update_fields=["needs_review", "reviewed_at"])
    return True


def _write(
    response: SurveyResponse,
    existing: CommentAnalysis | None,
    rows: list[CommentTheme],
    writes: _Writes,
    *,
    digest: str,
) -> CommentAnalysis:
    seen_before = _seen(existing, rows)
    counted_before = rollup.counted(existing, response, themes=_present(rows))
    try:
        found = analyse(response.comment, themes=writes.dictionary.specs)
    except Exception as error:
        raise _AnalysisFailedError from error
    analysis = existing or CommentAnalysis(response=response)
    analysis.comment_digest = digest
    analysis.dictionary_digest = writes.dictionary.digest
    analysis.language = found.language
    analysis.score = max(-1.0, min(1.0, found.sentiment.score))
    analysis.label = found.sentiment.label
    analysis.spans = spans_as_lists(found.sentiment.spans)
    analysis.keywords = list(found.keywords)
    needs_review = contradicts(response.band, analysis.label)
    if needs_review != analysis.needs_review:
        analysis.needs_review, analysis.reviewed_at = needs_review, None
    analysis.analysed_at = timezone.now()
    analysis.counted_band = response.band
    analysis.counted_day = day_of(response.answered_at)
    (writes.updated if existing else writes.created).append(analysis)
    rows = _write_themes(analysis, rows, found.themes, writes)
    writes.recounts.append(
        (counted_before, rollup.counted(analysis, response, themes=_present(rows)))
    )
    # Only what subscribers see: a dictionary edit reads every comment again,
    # and most readings come out the same.
    if _seen(analysis, rows) != seen_before:
        writes.announced.append(response.pk)
    return analysis


def _present(rows: Iterable[CommentTheme]) -> frozenset[int]:
    return frozenset(row.theme_id for row in rows if row.is_present)


def _seen(analysis: CommentAnalysis | None, rows: Sequence[CommentTheme]) -> Any:
    """What the API and webhooks show of a reading (serializers.analysis_data),
    compared in memory: reading it through the serializer costs a query per
    theme, twice per comment."""
    if analysis is None:
        return None
    themes = sorted((row.theme_id, row.spans) for row in rows if row.is_present)
    return (
        analysis.language,
        analysis.sentiment,
        analysis.score,
        analysis.label,
        analysis.needs_review,
        list(analysis.keywords),
        list(analysis.spans),
        themes,
    )


def _write_themes(
    analysis: CommentAnalysis,
    rows: list[CommentTheme],
    matches: Sequence[types.ThemeMatch],
    writes: _Writes,
) -> list[CommentTheme]:
    """The analysis's own theme rows become the matches; staff rows stay.
    `rows` are the reading's rows as stored; returns them as they will be."""
    themes = writes.dictionary.by_key
    found = {themes[m.key].pk: m for m in matches if m.key in themes}
    by_theme = {row.theme_id: row for row in rows}
    kept = []
    for row in rows:
        if row.source == CommentTheme.Source.ANALYSIS and row.theme_id not in found:
            writes.themes_gone.append(row.pk)
        else:
            kept.append(row)
    for theme_id, match in found.items():
        spans = spans_as_lists(match.spans)
        stored = by_theme.get(theme_id)
        if stored is None:
            added = CommentTheme(
                analysis=analysis,
                theme_id=theme_id,
                spans=spans,
                source=CommentTheme.Source.ANALYSIS,
                is_present=True,
            )
            writes.themes_added.append(added)
            kept.append(added)
        elif stored.source == CommentTheme.Source.ANALYSIS and (
            stored.spans != spans or not stored.is_present
        ):
            stored.spans, stored.is_present = spans, True
            writes.themes_changed.append(stored)
    return kept


def spans_as_lists(spans: Iterable[types.Span]) -> list[list[float]]:
    return [[span.start, span.end, round(span.weight, 3)] for span in spans]


def stale_answers(dictionary: Dictionary, *, after: int = 0) -> Any:
    """Answers with a comment whose analysis is missing, was made with
    another dictionary, or is older than the answer's last change, in id
    order (a resumable walk)."""
    return (
        SurveyResponse.objects.exclude(comment="")
        .filter(pk__gt=after)
        .filter(
            Q(analysis__isnull=True)
            | ~Q(analysis__dictionary_digest=dictionary.digest)
            | Q(analysis__analysed_at__lt=F("updated_at"))
        )
        .order_by("pk")
    )


def stale_responses(dictionary: Dictionary, *, after: int = 0) -> Any:
    """The ids of stale_answers."""
    return stale_answers(dictionary, after=after).values_list("pk", flat=True)


def read_missed_comments(*, batch_size: int = BATCH_SIZE) -> int:
    """The sweep (beat): one batch of the comments whose reading was never
    queued (a broker outage) or is stale; the next run takes the next."""
    done, _last = enrich_stale(batch_size=batch_size)
    return done


def enrich_stale(*, batch_size: int = BATCH_SIZE, after: int = 0) -> tuple[int, int]:
    """Analyse one batch of stale comments, in one transaction; (how many
    were taken, the last id). Run again from the last id until it returns 0.
    Answers another worker holds are passed over (it is reading them); one
    comment the analysis cannot read is logged and passed over too."""
    dictionary = current_dictionary()
    with transaction.atomic():
        batch = list(
            stale_answers(dictionary, after=after).select_for_update(
                of=("self",), skip_locked=True
            )[:batch_size]
        )
        read_locked(batch, dictionary)
    return len(batch), (batch[-1].pk if batch else after)


def retag_all() -> int:
    """Read every stale comment again (after the dictionary changed)."""
    total, last = 0, 0
    while True:
        done, last = enrich_stale(after=last)
        total += done
        if not done:
            return total


def dictionary_changed() -> None:
    """A theme was added, edited or removed: tag past comments again, in the
    background, once the change commits."""
    tasks.retag_comments_task.delay_on_commit()  # type: ignore[attr-defined]


def correct_sentiment(
    analysis: CommentAnalysis,
    *,
    label: str,
    by: AbstractBaseUser | AnonymousUser,
    now: datetime,
) -> CommentAnalysis:
    """A staff member's reading of the comment's sentiment ("" takes a
    correction back); see correct_reading."""
    return correct_reading(analysis, label=label, themes=None, by=by, now=now)


def correct_themes(
    analysis: CommentAnalysis,
    *,
    themes: Iterable[Theme],
    by: AbstractBaseUser | AnonymousUser,
    now: datetime,
) -> CommentAnalysis:
    """The comment's themes as a staff member reads them; see
    correct_reading."""
    return correct_reading(analysis, label=None, themes=themes, by=by, now=now)


@transaction.atomic
def correct_reading(
    analysis: CommentAnalysis,
    *,
    label: str | None,
    themes: Iterable[Theme] | None,
    by: AbstractBaseUser | AnonymousUser,
    now: datetime,
) -> CommentAnalysis:
    """A staff member's reading of the comment, in one transaction and one
    event: `label` the sentiment ("" takes a correction back, None leaves
    it), `themes` the themes it mentions (None leaves them). Corrections
    stand through every re-analysis: added and removed themes are kept as
    staff rows, which re-tagging leaves alone. Correcting a contradiction
    clears it from the review queue."""
    response, before = _counted_for_correction(analysis)
    # The row as stored under the lock: a reading written meanwhile (a new
    # contradiction) is not overwritten by the form's copy.
    stored = CommentAnalysis.objects.get(pk=analysis.pk)
    shown_before = analysis_data(stored)
    if label is not None:
        stored.corrected_label = Label(label) if label else ""
        if stored.needs_review and stored.reviewed_at is None and label:
            stored.reviewed_at = now
    if themes is not None:
        _correct_themes(stored, themes)
    stored.corrected_by_id = by.pk
    stored.corrected_at = now
    stored.save(
        update_fields=["corrected_label", "corrected_by", "corrected_at", "reviewed_at"]
    )
    _count_correction(stored, response, before)
    if analysis_data(stored) != shown_before:
        hooks.announce("comments_analysed", response_ids=[stored.response_id])
    return stored


def _counted_for_correction(
    analysis: CommentAnalysis,
) -> tuple[SurveyResponse, rollup.Counted | None]:
    """The answer, locked (as every writer of a reading locks it first), and
    the reading as the rollup counts it, read again under the lock."""
    response = SurveyResponse.objects.select_for_update(of=("self",)).get(
        pk=analysis.response_id
    )
    stored = CommentAnalysis.objects.filter(pk=analysis.pk).first()
    return response, rollup.counted(stored, response)


def _count_correction(
    analysis: CommentAnalysis,
    response: SurveyResponse,
    before: rollup.Counted | None,
) -> None:
    stored = CommentAnalysis.objects.filter(pk=analysis.pk).first()
    rollup.count_change(before, rollup.counted(stored, response))


def _correct_themes(analysis: CommentAnalysis, themes: Iterable[Theme]) -> None:
    wanted = {theme.pk: theme for theme in themes}
    current = {
        row.theme_id: row for row in CommentTheme.objects.filter(analysis=analysis)
    }
    for theme_id, theme in wanted.items():
        row = current.get(theme_id)
        if row is None or not row.is_present or row.source != CommentTheme.Source.STAFF:
            CommentTheme.objects.update_or_create(
                analysis=analysis,
                theme=theme,
                defaults={"source": CommentTheme.Source.STAFF, "is_present": True},
            )
    for theme_id, row in current.items():
        if theme_id not in wanted and row.is_present:
            row.source = CommentTheme.Source.STAFF
            row.is_present = False
            row.save(update_fields=["source", "is_present"])


def mark_reviewed(analysis: CommentAnalysis, *, now: datetime) -> None:
    CommentAnalysis.objects.filter(pk=analysis.pk, reviewed_at=None).update(
        reviewed_at=now
    )


# Theme suggestions: the comments of the last SUGGESTION_WINDOW_DAYS that no
# theme tags, at most SUGGESTION_COMMENT_LIMIT per language (the latest), so
# that the weekly fit stays within seconds and a few hundred megabytes.
SUGGESTION_WINDOW_DAYS = 90
SUGGESTION_COMMENT_LIMIT = 3000
SUGGESTION_LANGUAGES = (types.ENGLISH, types.CHINESE)


class SuggestionNotOpenError(Exception):
    """The suggestion was decided meanwhile, or replaced by a newer run."""


def suggest_themes(*, now: datetime) -> list[ThemeSuggestion]:
    """Find this week's theme suggestions, replacing the open ones; adopted
    and dismissed ones stay, and a dismissed topic is not suggested again.
    Safe to run twice: the same comments give the same suggestions."""
    since = now - timedelta(days=SUGGESTION_WINDOW_DAYS)
    themes = list(Theme.objects.filter(is_active=True))
    found: list[ThemeSuggestion] = []
    # The fit is slow CPU work: done before the transaction, which then only
    # swaps the rows.
    for language in SUGGESTION_LANGUAGES:
        topics = suggestions.suggest_topics(
            untagged_comments(language=language, since=since),
            language=language,
            keywords=[
                keyword
                for theme in themes
                for keyword in keyword_lines(
                    theme.keywords_en
                    if language == types.ENGLISH
                    else theme.keywords_zh
                )
            ],
            dismissed=ThemeSuggestion.objects.filter(
                language=language, status=ThemeSuggestion.Status.DISMISSED
            ).values_list("terms", flat=True),
        )
        found += [
            ThemeSuggestion(
                language=language,
                terms=list(topic.terms),
                example_response_ids=list(topic.examples),
                comment_count=topic.count,
            )
            for topic in topics
        ]
    with transaction.atomic():
        ThemeSuggestion.objects.filter(status=ThemeSuggestion.Status.OPEN).delete()
        return ThemeSuggestion.objects.bulk_create(found)


def untagged_comments(
    *, language: str, since: datetime, limit: int = SUGGESTION_COMMENT_LIMIT
) -> list[suggestions.Comment]:
    """The latest comments in the language, answered since `since`, that no
    active theme tags (found or set by staff), in id order."""
    tagged = CommentTheme.objects.filter(
        analysis=OuterRef("pk"), is_present=True, theme__is_active=True
    )
    rows = (
        CommentAnalysis.objects.filter(
            language=language, response__answered_at__gte=since
        )
        .filter(~Exists(tagged))
        .order_by("-response__answered_at", "-response_id")
        .values_list("response_id", "response__comment")[:limit]
    )
    return [
        suggestions.Comment(id=response_id, text=comment)
        for response_id, comment in sorted(rows)
    ]


@transaction.atomic
def adopt_suggestion(
    suggestion_id: int, *, by: AbstractBaseUser | AnonymousUser, now: datetime
) -> Theme:
    """Make the suggestion an active theme named after its top term, with
    its terms as keywords; past comments are tagged again once it commits.
    The manager renames it on the theme's page."""
    suggestion = _open_suggestion(suggestion_id)
    top = suggestion.terms[0]
    keywords = "\n".join(suggestion.terms)
    is_english = suggestion.language == types.ENGLISH
    theme = save_validated(
        Theme(
            key=unique_theme_key(top),
            name_en=top,
            name_zh="" if is_english else top,
            keywords_en=keywords if is_english else "",
            keywords_zh="" if is_english else keywords,
            is_active=True,
        )
    )
    suggestion.status = ThemeSuggestion.Status.ADOPTED
    suggestion.theme = theme
    suggestion.decided_by_id = by.pk
    suggestion.decided_at = now
    suggestion.save(update_fields=["status", "theme", "decided_by", "decided_at"])
    dictionary_changed()
    return theme


@transaction.atomic
def dismiss_suggestion(
    suggestion_id: int, *, by: AbstractBaseUser | AnonymousUser, now: datetime
) -> ThemeSuggestion:
    suggestion = _open_suggestion(suggestion_id)
    suggestion.status = ThemeSuggestion.Status.DISMISSED
    suggestion.decided_by_id = by.pk
    suggestion.decided_at = now
    suggestion.save(update_fields=["status", "decided_by", "decided_at"])
    return suggestion


def _open_suggestion(suggestion_id: int) -> ThemeSuggestion:
    # Locked: two managers clicking at once decide it once.
    suggestion = (
        ThemeSuggestion.objects.select_for_update()
        .filter(pk=suggestion_id, status=ThemeSuggestion.Status.OPEN)
        .first()
    )
    if suggestion is None:
        raise SuggestionNotOpenError(suggestion_id)
    return suggestion


def unique_theme_key(term: str) -> str:
    """A key like the starter themes' ("car_park"), numbered when taken;
    "theme" for a term with no Latin letters (a Chinese one)."""
    max_length = Theme._meta.get_field("key").max_length or 50
    base = slugify(term).replace("-", "_")[: max_length - 4].strip("_") or "theme"
    taken = set(
        Theme.objects.filter(key__startswith=base).values_list("key", flat=True)
    )
    key, number = base, 1
    while key in taken:
        number += 1
        key = f"{base}_{number}"
    return key


@dataclass(frozen=True)
class CorrectionAccuracy:
    """How the analyser's readings of one language's comments compare with
    staff corrections. `sentiment` is None when no sentiment was corrected,
    `themes` when no comment's themes were."""

    language: str
    sentiment: evaluation.Report | None
    themes: evaluation.Report | None


def correction_accuracy() -> list[CorrectionAccuracy]:
    """Per language (English, Chinese, then unknown when it has any): the
    analyser's sentiment against the staff's corrected sentiment, and the
    analyser's themes against those staff left, added or removed."""
    sentiment = _sentiment_against_corrections()
    themes = _themes_against_corrections()
    languages = [
        language
        for language in types.LANGUAGES
        if language != types.UNKNOWN or language in sentiment or language in themes
    ]
    return [
        CorrectionAccuracy(
            language=language,
            sentiment=sentiment.get(language),
            themes=themes.get(language),
        )
        for language in languages
    ]


def _sentiment_against_corrections() -> dict[str, evaluation.Report]:
    """One query: how many corrected readings per (language, analyser's
    label, staff's label); the staff's label is the gold one."""
    counts = (
        CommentAnalysis.objects.exclude(corrected_label="")
        .values_list("language", "label", "corrected_label")
        .annotate(count=Count("pk"))
        .order_by()
    )
    rows: dict[str, list[evaluation.GoldRow]] = {}
    predictions: dict[str, list[evaluation.Prediction]] = {}
    for language, label, corrected, count in counts:
        rows.setdefault(language, []).extend(
            [evaluation.GoldRow(text="", sentiment=corrected, themes=frozenset())]
            * count
        )
        predictions.setdefault(language, []).extend(
            [evaluation.Prediction(sentiment=label, themes=frozenset())] * count
        )
    return {
        language: evaluation.score(rows[language], predictions[language])
        for language in rows
    }


# A theme row's verdict on a corrected reading. Staff rows keep the spans
# the analyser found (services.correct_themes leaves them), so a staff row
# with spans is one the analyser had found, and one without, one it missed.
KEPT, MISSED, FALSE_FIND = "kept", "missed", "false find"


def _themes_against_corrections() -> dict[str, evaluation.Report]:
    """One query: per (language, theme, verdict), the theme rows of the
    readings staff corrected. A theme the analyser found and staff left is
    right, one staff added is a miss, one staff removed a false find."""
    found = Q(source=CommentTheme.Source.ANALYSIS) | ~Q(spans=[])
    counts = (
        CommentTheme.objects.filter(analysis__corrected_at__isnull=False)
        .annotate(
            verdict=Case(
                When(found & Q(is_present=True), then=Value(KEPT)),
                When(Q(is_present=True), then=Value(MISSED)),
                When(found, then=Value(FALSE_FIND)),
                default=Value(""),
            )
        )
        .exclude(verdict="")
        .values_list(
            "analysis__language", "theme__name_en", "theme__name_zh", "verdict"
        )
        .annotate(count=Count("pk"))
        .order_by()
    )
    rows: dict[str, list[evaluation.GoldRow]] = {}
    predictions: dict[str, list[evaluation.Prediction]] = {}
    for language, name_en, name_zh, verdict, count in counts:
        name = frozenset(
            [name_zh if language == types.CHINESE and name_zh else name_en]
        )
        staff = frozenset() if verdict == FALSE_FIND else name
        analyser = frozenset() if verdict == MISSED else name
        rows.setdefault(language, []).extend(
            [evaluation.GoldRow(text="", sentiment=types.NEUTRAL, themes=staff)] * count
        )
        predictions.setdefault(language, []).extend(
            [evaluation.Prediction(sentiment=types.NEUTRAL, themes=analyser)] * count
        )
    return {
        language: evaluation.score(rows[language], predictions[language])
        for language in rows
    }
