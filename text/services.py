"""Reading customers' comments: each answer's comment is analysed after the
answer commits (a failing analysis never holds up an answer), again when it
is edited, and again when the theme dictionary changes. Staff corrections
are never overwritten."""

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from surveys.models import Band, SurveyResponse
from text import tasks
from text.analysis import analyse, types
from text.models import CommentAnalysis, CommentTheme, Label, Theme

log = logging.getLogger(__name__)

# Comments read per transaction when the whole table is read again.
BATCH_SIZE = 500


@dataclass(frozen=True)
class Dictionary:
    themes: tuple[Theme, ...]
    digest: str

    @property
    def specs(self) -> tuple[types.ThemeSpec, ...]:
        return tuple(theme.spec() for theme in self.themes)

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


def comment_digest(comment: str) -> str:
    return hashlib.sha256(comment.encode()).hexdigest()


def contradicts(band: str, label: str) -> bool:
    """A happy score with a negative comment, or an unhappy one with praise
    (mixed comments never contradict)."""
    return (band == Band.PROMOTER and label == Label.NEGATIVE) or (
        band == Band.DETRACTOR and label == Label.POSITIVE
    )


def on_response_recorded(*, response: SurveyResponse, **kwargs: Any) -> None:
    """The `response_recorded` hook: read the comment once the answer has
    committed. An answer whose comment was removed is read too (its analysis
    goes)."""
    tasks.enrich_comment_task.delay_on_commit(response.pk)  # type: ignore[attr-defined]


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
        if not response.comment.strip():
            CommentAnalysis.objects.filter(response=response).delete()
            return None
        existing = CommentAnalysis.objects.filter(response=response).first()
        digest = comment_digest(response.comment)
        if (
            existing is not None
            and existing.comment_digest == digest
            and existing.dictionary_digest == dictionary.digest
        ):
            # The same reading; only the score may have moved.
            _flag_contradiction(existing, band=response.band)
            return existing
        return _write(response, existing, dictionary, digest=digest)


def _flag_contradiction(analysis: CommentAnalysis, *, band: str) -> None:
    needs_review = contradicts(band, analysis.label)
    if needs_review != analysis.needs_review:
        analysis.needs_review = needs_review
        analysis.reviewed_at = None
        analysis.save(update_fields=["needs_review", "reviewed_at"])


def _write(
    response: SurveyResponse,
    existing: CommentAnalysis | None,
    dictionary: Dictionary,
    *,
    digest: str,
) -> CommentAnalysis:
    found = analyse(response.comment, themes=dictionary.specs)
    analysis = existing or CommentAnalysis(response=response)
    analysis.comment_digest = digest
    analysis.dictionary_digest = dictionary.digest
    analysis.language = found.language
    analysis.score = max(-1.0, min(1.0, found.sentiment.score))
    analysis.label = found.sentiment.label
    analysis.spans = spans_as_lists(found.sentiment.spans)
    analysis.keywords = list(found.keywords)
    needs_review = contradicts(response.band, analysis.label)
    if needs_review != analysis.needs_review:
        analysis.needs_review, analysis.reviewed_at = needs_review, None
    analysis.analysed_at = timezone.now()
    analysis.save()
    _write_themes(analysis, found.themes, dictionary.by_key())
    return analysis


def _write_themes(
    analysis: CommentAnalysis,
    matches: Sequence[types.ThemeMatch],
    themes: dict[str, Theme],
) -> None:
    """The analysis's own theme rows become the matches; staff rows stay."""
    found = {match.key: match for match in matches if match.key in themes}
    rows = CommentTheme.objects.filter(analysis=analysis)
    staff = set(
        rows.filter(source=CommentTheme.Source.STAFF).values_list(
            "theme__key", flat=True
        )
    )
    rows.filter(source=CommentTheme.Source.ANALYSIS).exclude(
        theme__key__in=found
    ).delete()
    for key, match in found.items():
        if key in staff:
            continue
        CommentTheme.objects.update_or_create(
            analysis=analysis,
            theme=themes[key],
            defaults={
                "spans": spans_as_lists(match.spans),
                "source": CommentTheme.Source.ANALYSIS,
                "is_present": True,
            },
        )


def spans_as_lists(spans: Iterable[types.Span]) -> list[list[float]]:
    return [[span.start, span.end, round(span.weight, 3)] for span in spans]


def stale_responses(dictionary: Dictionary, *, after: int = 0) -> Any:
    """Answers with a comment whose analysis is missing or was made with
    another dictionary, in id order (a resumable walk). A comment edited
    since its analysis is found by the hook, not here."""
    return (
        SurveyResponse.objects.exclude(comment="")
        .filter(pk__gt=after)
        .exclude(analysis__dictionary_digest=dictionary.digest)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def enrich_stale(*, batch_size: int = BATCH_SIZE, after: int = 0) -> tuple[int, int]:
    """Analyse one batch of stale comments; (how many, the last id). Run
    again from the last id until it returns 0."""
    dictionary = current_dictionary()
    ids = list(stale_responses(dictionary, after=after)[:batch_size])
    for response_id in ids:
        enrich_comment(response_id, dictionary=dictionary)
    return len(ids), (ids[-1] if ids else after)


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


@transaction.atomic
def correct_sentiment(
    analysis: CommentAnalysis,
    *,
    label: str,
    by: AbstractBaseUser | AnonymousUser,
    now: datetime,
) -> CommentAnalysis:
    """A staff member's reading of the comment; it stands through every
    re-analysis. Reviewing a contradiction this way clears it from the
    queue."""
    analysis.corrected_label = Label(label)
    analysis.corrected_by_id = by.pk
    analysis.corrected_at = now
    if analysis.needs_review and analysis.reviewed_at is None:
        analysis.reviewed_at = now
    analysis.save(
        update_fields=["corrected_label", "corrected_by", "corrected_at", "reviewed_at"]
    )
    return analysis


@transaction.atomic
def correct_themes(
    analysis: CommentAnalysis,
    *,
    themes: Iterable[Theme],
    by: AbstractBaseUser | AnonymousUser,
    now: datetime,
) -> None:
    """The comment's themes as a staff member reads them: added ones and
    removed ones are kept as staff rows, which re-tagging leaves alone."""
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
    analysis.corrected_by_id = by.pk
    analysis.corrected_at = now
    analysis.save(update_fields=["corrected_by", "corrected_at"])


def mark_reviewed(analysis: CommentAnalysis, *, now: datetime) -> None:
    CommentAnalysis.objects.filter(pk=analysis.pk, reviewed_at=None).update(
        reviewed_at=now
    )
