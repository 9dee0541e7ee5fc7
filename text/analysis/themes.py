"""Which themes of the dictionary a comment mentions, and where.

English keywords match whole words, ignoring case and inflection: words are
reduced to a crude stem ("delays", "delayed" and "delaying" all become
"delay"; "shipping" becomes "ship"), on the comment and on the keywords
alike, and a keyword of several words must match them in sequence. Chinese
has no spaces between words, so its keywords match as substrings.

A theme with a parent implies the parent: a comment about "hold music"
under "waiting time" is about waiting time, so filters and counts on the
parent include its children (as Qualtrics' topic hierarchy does). The
parent's match carries the child's spans.
"""

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

from text.analysis.types import CHINESE, ENGLISH, Span, ThemeMatch, ThemeSpec

WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")
# Porter's rule: a doubled final consonant is undoubled ("shipp" -> "ship")
# except l, s and z ("bill", "miss", "buzz").
UNDOUBLED = frozenset("bcdfghjkmnpqrtvwxy")


def match_themes(
    text: str, themes: Sequence[ThemeSpec], *, language: str
) -> tuple[ThemeMatch, ...]:
    """Themes in dictionary order, each with the spans of its keyword hits
    (offsets into text)."""
    if language == ENGLISH:
        words = _StemmedText(text)
        hits = {
            theme.key: _english_hits(words, theme.keywords.get(ENGLISH, ()))
            for theme in themes
        }
    elif language == CHINESE:
        hits = {
            theme.key: _chinese_hits(text, theme.keywords.get(CHINESE, ()))
            for theme in themes
        }
    else:
        return ()
    with_parents = _add_parents(hits, {theme.key: theme.parent for theme in themes})
    return tuple(
        ThemeMatch(key=theme.key, spans=with_parents[theme.key])
        for theme in themes
        if with_parents.get(theme.key)
    )


def stem(word: str) -> str:
    word = word.lower().replace("'", "")
    for suffix, replacement in (("ies", "y"), ("ied", "y")):
        if word.endswith(suffix) and len(word) > 4:
            return word[: -len(suffix)] + replacement
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                return word
            return _without_final_e(_undouble(word[: -len(suffix)]))
    return _without_final_e(word)


def _without_final_e(word: str) -> str:
    # "charge" and "charged" meet at "charg"; "fee" stays whole.
    return word.removesuffix("e") if len(word) > 3 else word


def _undouble(stem_: str) -> str:
    if len(stem_) > 3 and stem_[-1] == stem_[-2] and stem_[-1] in UNDOUBLED:
        return stem_[:-1]
    return stem_


class _StemmedText:
    """The comment's words as stems, with where each stem starts, so that a
    keyword is only compared where its first word occurs."""

    def __init__(self, text: str) -> None:
        self.stems: list[str] = []
        self.bounds: list[tuple[int, int]] = []
        self.positions: dict[str, list[int]] = {}
        for index, match in enumerate(WORD.finditer(text)):
            root = stem(match.group())
            self.stems.append(root)
            self.bounds.append((match.start(), match.end()))
            self.positions.setdefault(root, []).append(index)


@lru_cache(maxsize=4096)
def _stemmed_keyword(keyword: str) -> tuple[str, ...]:
    return tuple(stem(word) for word in WORD.findall(keyword))


def _english_hits(words: _StemmedText, keywords: Sequence[str]) -> tuple[Span, ...]:
    spans: set[Span] = set()
    for keyword in keywords:
        wanted = _stemmed_keyword(keyword)
        if not wanted:
            continue
        length = len(wanted)
        for index in words.positions.get(wanted[0], ()):
            if tuple(words.stems[index : index + length]) == wanted:
                spans.add(
                    Span(words.bounds[index][0], words.bounds[index + length - 1][1])
                )
    return _without_nested(spans)


def _chinese_hits(text: str, keywords: Sequence[str]) -> tuple[Span, ...]:
    spans: set[Span] = set()
    lowered = text.lower()
    for keyword in keywords:
        needle = keyword.strip().lower()
        if not needle:
            continue
        start = lowered.find(needle)
        while start != -1:
            spans.add(Span(start, start + len(needle)))
            start = lowered.find(needle, start + 1)
    return _without_nested(spans)


def _without_nested(spans: set[Span]) -> tuple[Span, ...]:
    """Spans in order, dropping any inside a longer one ("on hold" already
    covers "hold")."""
    ordered = sorted(spans, key=lambda span: (span.start, -span.end))
    kept: list[Span] = []
    for span in ordered:
        if kept and span.end <= kept[-1].end:
            continue
        kept.append(span)
    return tuple(kept)


def _add_parents(
    hits: Mapping[str, tuple[Span, ...]], parents: Mapping[str, str | None]
) -> dict[str, tuple[Span, ...]]:
    found = {key: set(spans) for key, spans in hits.items() if spans}
    for key in list(found):
        seen = {key}
        parent = parents.get(key)
        # A dictionary edited by hand may contain a cycle: stop at it.
        while parent and parent not in seen and parent in parents:
            found.setdefault(parent, set()).update(found[key])
            seen.add(parent)
            parent = parents.get(parent)
    return {key: _without_nested(spans) for key, spans in found.items()}
