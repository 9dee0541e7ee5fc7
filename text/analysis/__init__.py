"""Offline analysis of one customer comment: language, sentiment, themes,
keywords, and the spans that triggered them (offsets into the comment as the
customer wrote it, so that a page can highlight them).

The analysers are pure code with no Django import. Only the first
clean.MAX_ANALYSED_CHARS characters of a comment are read.
"""

from collections.abc import Sequence

from text.analysis import english
from text.analysis.clean import CleanText, clean
from text.analysis.keywords import extract_keywords
from text.analysis.language import detect_language
from text.analysis.themes import match_themes
from text.analysis.types import (
    CHINESE,
    ENGLISH,
    NEUTRAL,
    Analysis,
    Sentiment,
    Span,
    ThemeMatch,
    ThemeSpec,
)

__all__ = ["analyse", "sentiment_of"]

NO_SENTIMENT = Sentiment(score=0.0, label=NEUTRAL)


def analyse(comment: str, *, themes: Sequence[ThemeSpec]) -> Analysis:
    cleaned = clean(comment)
    language = detect_language(cleaned.text)
    found = _sentiment(cleaned.text, language=language)
    return Analysis(
        language=language,
        sentiment=Sentiment(
            score=found.score,
            label=found.label,
            spans=_in_original(found.spans, cleaned),
        ),
        themes=tuple(
            ThemeMatch(key=match.key, spans=_in_original(match.spans, cleaned))
            for match in match_themes(cleaned.text, themes, language=language)
        ),
        keywords=extract_keywords(cleaned.text, language=language),
    )


def sentiment_of(comment: str) -> Sentiment:
    """The comment's sentiment alone (no themes, keywords or spans): what a
    rule that must decide now, in the answer's transaction, reads."""
    cleaned = clean(comment)
    return _sentiment(cleaned.text, language=detect_language(cleaned.text))


def _sentiment(text: str, *, language: str) -> Sentiment:
    if language == ENGLISH:
        return english.sentiment(text)
    if language == CHINESE:
        # Imported here so that the rest works while the Chinese analyser is
        # being written, and an English-only worker never loads it.
        from text.analysis import chinese

        result: Sentiment = chinese.sentiment(text)
        return result
    return NO_SENTIMENT


def _in_original(spans: Sequence[Span], cleaned: CleanText) -> tuple[Span, ...]:
    return tuple(
        Span(*cleaned.original_span(span.start, span.end), weight=span.weight)
        for span in spans
    )
