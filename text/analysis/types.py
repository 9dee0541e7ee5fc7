"""What an analysis of one comment returns. No Django: the analysers are pure
code, tested and reasoned about alone (STYLE.md)."""

from collections.abc import Mapping
from dataclasses import dataclass, field

ENGLISH = "en"
CHINESE = "zh"
UNKNOWN = "unknown"
LANGUAGES = (ENGLISH, CHINESE, UNKNOWN)

NEGATIVE = "negative"
NEUTRAL = "neutral"
POSITIVE = "positive"
MIXED = "mixed"
LABELS = (NEGATIVE, NEUTRAL, POSITIVE, MIXED)


@dataclass(frozen=True)
class Span:
    """Characters [start, end) of the comment as the customer wrote it. For
    a sentiment word, weight is its signed contribution after negation and
    intensity (below 0 negative); a theme's spans have weight 0."""

    start: int
    end: int
    weight: float = 0.0


@dataclass(frozen=True)
class Sentiment:
    score: float  # in [-1, 1]
    label: str  # one of LABELS
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class ThemeSpec:
    """One theme of the dictionary managers edit: a stable key and its
    keywords per language (ENGLISH, CHINESE)."""

    key: str
    keywords: Mapping[str, tuple[str, ...]]
    parent: str | None = None


@dataclass(frozen=True)
class ThemeMatch:
    key: str
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class Analysis:
    language: str  # one of LANGUAGES; UNKNOWN rather than a guess
    sentiment: Sentiment
    themes: tuple[ThemeMatch, ...] = ()
    keywords: tuple[str, ...] = field(default=())
