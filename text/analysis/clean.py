"""Turn a comment as stored into text an analyser can read, remembering where
every character came from, so that spans found in the clean text point into
the comment the customer wrote (a page highlights the original).

Only the first MAX_ANALYSED_CHARS characters are analysed: a comment is a few
sentences, and a pasted log or letter of 100,000 characters must not hold a
worker for seconds. The rest is stored, just not read.
"""

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

MAX_ANALYSED_CHARS = 5000

# A tag starts with a letter, "/" or "!" so that "I <3 it" and "a < b" stay text.
TAG = re.compile(r"<(?:[A-Za-z/!][^<>]{0,500})>")
HIDDEN_ELEMENT = re.compile(
    r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL
)
ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Typographic apostrophes and quotes read like the plain ones ("didn’t").
PLAIN_PUNCTUATION = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
# Joiners are kept: they hold multi-part emoji together.
INVISIBLE = {"\u200b", "\u200e", "\u200f", "\u2060", "\ufeff"}

Emit = Callable[[str, int, int], None]


@dataclass(frozen=True)
class CleanText:
    """Text to analyse and, for each of its characters, the [start, end) of
    the characters of the original comment it stands for."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    is_truncated: bool

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Where the clean characters [start, end) are in the original."""
        return self.starts[start], self.ends[end - 1]


def clean(comment: str) -> CleanText:
    bounded = comment[:MAX_ANALYSED_CHARS]
    characters: list[str] = []
    starts: list[int] = []
    ends: list[int] = []

    def emit(text: str, start: int, end: int) -> None:
        for character in text:
            characters.append(character)
            starts.append(start)
            ends.append(end)

    position = 0
    for match in _markup(bounded):
        _emit_plain(bounded, position, match.start(), emit)
        if match.group().startswith("&"):
            emit(html.unescape(match.group()), match.start(), match.end())
        else:
            # A tag or hidden element separates words: "<b>good</b>service".
            emit(" ", match.start(), match.end())
        position = match.end()
    _emit_plain(bounded, position, len(bounded), emit)
    return CleanText(
        text="".join(characters),
        starts=tuple(starts),
        ends=tuple(ends),
        is_truncated=len(comment) > MAX_ANALYSED_CHARS,
    )


def _markup(text: str) -> list[re.Match[str]]:
    """Hidden elements, tags and entities, in order and not overlapping."""
    found: list[re.Match[str]] = []
    covered_until = 0
    candidates = sorted(
        [*HIDDEN_ELEMENT.finditer(text), *TAG.finditer(text), *ENTITY.finditer(text)],
        key=lambda match: (match.start(), -match.end()),
    )
    for match in candidates:
        if match.start() >= covered_until:
            found.append(match)
            covered_until = match.end()
    return found


def _emit_plain(text: str, start: int, end: int, emit: Emit) -> None:
    for index in range(start, end):
        character = text[index]
        if character in INVISIBLE:
            continue
        if _is_control(character):
            emit(" ", index, index + 1)
        else:
            emit(character.translate(PLAIN_PUNCTUATION), index, index + 1)


def _is_control(character: str) -> bool:
    return character not in "\n\t" and unicodedata.category(character) in {
        "Cc",
        "Cs",
        "Co",
    }
