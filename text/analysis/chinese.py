"""Sentiment of a Simplified Chinese comment, offline: jieba segments the
text, a lexicon (chinese_lexicon.py) weighs the words, and a few general
rules read negation, intensity, contrast and exclamation clause by clause.

The score is in [-1, 1]; the label is mixed when clauses disagree strongly,
and every sentiment word comes back as a span of the original text with its
signed weight after negation and intensity.
"""

import logging
import math
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import jieba

from text.analysis import chinese_lexicon as lexicon
from text.analysis.types import MIXED, NEGATIVE, NEUTRAL, POSITIVE, Sentiment, Span

# Beyond this many characters a comment is an essay or a paste; the opening
# carries its tone and the cost per comment stays bounded.
MAX_CHARACTERS = 10_000

# score = total / sqrt(total² + SQUASH): one plain word (≈0.6) reads as
# about ±0.5, several strong ones approach ±1.
SQUASH = 0.8
LABEL_THRESHOLD = 0.2
# Mixed: both sides carry at least MIXED_FLOOR and the weaker side is at least
# MIXED_RATIO of the stronger one.
MIXED_FLOOR = 0.25
MIXED_RATIO = 0.3

# How far (in words) a negator or intensifier reaches forward.
MODIFIER_REACH = 3
NEGATED_PRAISE = 0.8  # "不满意" is nearly as strong as "满意"
NEGATED_COMPLAINT = 0.5  # "不差" is faint praise, not praise
SOFT_NEGATION = 0.7  # "不是很满意"
DANGLING_NEGATION = -0.5
MAX_INTENSITY = 3.0  # "非常非常非常…" stops adding up
EXCLAMATION = 1.25
INDIGNATION = -0.3
AFTER_CONTRAST = 1.2
CONCESSION = 0.8
PAST = 0.25

SEPARATORS = frozenset(",.!?;:，。！？；：、…~～\n\r\t ()（）[]【】<>《》|/")
EXCLAMATIONS = frozenset("!！")

_HTML_TAG = re.compile(r"<[^<>]{0,200}>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_BLOCKED = re.compile(
    rf"[{lexicon.BLOCKED_VERBS}]不(?:了|上|到|通|懂|清|进去|进来|过去|过来|出来|开|动)"
)
_PHRASES = tuple((re.compile(pattern), weight) for pattern, weight in lexicon.PHRASES)
_QUOTATIONS = tuple(
    re.compile(
        rf"{re.escape(opening)}([^{re.escape(closing)}]{{1,8}}){re.escape(closing)}"
    )
    for opening, closing in lexicon.QUOTE_PAIRS.items()
)


@dataclass
class _Token:
    text: str
    start: int
    end: int
    weight: float | None = None  # set for phrases matched before segmenting
    quoted: bool = False


@dataclass
class _Clause:
    tokens: list[_Token] = field(default_factory=list)
    factor: float = 1.0
    closing: str = ""  # the punctuation that ends it

    @property
    def exclaimed(self) -> bool:
        return any(mark in self.closing for mark in EXCLAMATIONS)

    @property
    def indignant(self) -> bool:
        # "??" or "?!" asks nothing: it protests.
        marks = "".join(mark for mark in self.closing if mark in "?!？！")
        return marks.count("?") + marks.count("？") > 1 or (
            "?" in marks and self.exclaimed
        )


def sentiment(text: str) -> Sentiment:
    """Read the sentiment of one comment; never raises on odd input."""
    clipped = text[:MAX_CHARACTERS]
    normalised = _normalise(clipped)
    tokens = _tokens(normalised)
    _mark_quoted(tokens, normalised)
    spans: list[Span] = []
    totals = [_score_clause(clause, spans) for clause in _clauses(tokens)]
    return _verdict(totals, spans)


def _normalise(text: str) -> str:
    """Fold the text one character for one character, so that every offset
    into the result is an offset into what the customer wrote."""
    text = _HTML_TAG.sub(lambda match: " " * len(match.group()), text)
    text = _CONTROL.sub(" ", text)
    return text.translate(_FOLD)


def _full_width_fold() -> dict[int, int]:
    # Full-width letters, digits and punctuation (ＡＰＰ, ，, ！) fold to ASCII;
    # 。 and 、 lie outside that block and stay. Only ASCII is lower-cased:
    # str.lower() can lengthen a string ("İ") and shift every offset after.
    folded = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
    folded[0x3000] = ord(" ")
    for upper in range(ord("A"), ord("Z") + 1):
        folded[upper] = upper + 32
        folded[upper + 0xFEE0] = upper + 32
    return folded


_FOLD = _full_width_fold()


class _Segmenter:
    """One jieba tokenizer of our own, built on first use and taught the
    lexicon, so that words such as 没得说 or 踢皮球 are never split."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokenizer: jieba.Tokenizer | None = None

    def tokenize(self, text: str) -> Iterator[tuple[str, int, int]]:
        yield from self.tokenizer().tokenize(text, HMM=False)

    def tokenizer(self) -> "jieba.Tokenizer":
        return self._tokenizer or self._build()

    def _build(self) -> "jieba.Tokenizer":
        with self._lock:
            if self._tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                for word in _vocabulary():
                    tokenizer.suggest_freq(word, tune=True)
                self._tokenizer = tokenizer
            return self._tokenizer


def _vocabulary() -> list[str]:
    words = {
        *lexicon.SENTIMENT_WORDS,
        *lexicon.EXPECTED_ACTIONS,
        *lexicon.NEGATORS,
        *lexicon.INTENSIFIERS,
        *lexicon.CONTRASTS,
        *lexicon.CLAUSE_INITIAL_CONTRASTS,
    }
    return sorted(word for word in words if len(word) > 1)


_segmenter = _Segmenter()


def tokenizer() -> "jieba.Tokenizer":
    """The tuned jieba tokenizer, for other Chinese text work in the same
    process (keywords), so that a worker holds one dictionary, not two."""
    return _segmenter.tokenizer()


def _tokens(text: str) -> list[_Token]:
    phrases = _phrases(text)
    tokens: list[_Token] = []
    phrase_index = 0
    for word, start, end in _segmenter.tokenize(text):
        while phrase_index < len(phrases) and phrases[phrase_index].end <= start:
            tokens.append(phrases[phrase_index])
            phrase_index += 1
        if phrase_index < len(phrases) and phrases[phrase_index].start < end:
            continue  # inside a phrase, which stands for these words
        tokens.append(_Token(word, start, end))
    tokens.extend(phrases[phrase_index:])
    return tokens


def _phrases(text: str) -> list[_Token]:
    """Non-overlapping phrase matches, the earlier pattern winning."""
    found: list[_Token] = []
    taken = bytearray(len(text))
    patterns = [*_PHRASES, (_BLOCKED, lexicon.BLOCKED_WEIGHT)]
    for pattern, weight in patterns:
        for match in pattern.finditer(text):
            start, end = match.span()
            if start == end or any(taken[start:end]):
                continue
            if pattern is _BLOCKED and _is_idiom(text, start, end):
                continue
            taken[start:end] = b"\x01" * (end - start)
            found.append(_Token(match.group(), start, end, weight=weight))
    return sorted(found, key=lambda token: token.start)


def _is_idiom(text: str, start: int, end: int) -> bool:
    around = text[max(0, start - 2) : end + 2]
    return any(idiom in around for idiom in lexicon.NOT_BLOCKED)


def _mark_quoted(tokens: Sequence[_Token], text: str) -> None:
    """Flag words inside short quotations (真是“高效”啊)."""
    inside = bytearray(len(text))
    for pattern in _QUOTATIONS:
        for match in pattern.finditer(text):
            start, end = match.span(1)
            inside[start:end] = b"\x01" * (end - start)
    for token in tokens:
        if all(inside[token.start : token.end]):
            token.quoted = True


def _clauses(tokens: Sequence[_Token]) -> list[_Clause]:
    clauses = [_Clause()]
    for index, token in enumerate(tokens):
        current = clauses[-1]
        if token.weight is None and _is_separator(token.text):
            current.closing += token.text
            continue
        if current.closing:
            current = _Clause()
            clauses.append(current)
        if _opens_contrast(token, current):
            if current.tokens:
                current = _Clause()
                clauses.append(current)
            current.factor *= AFTER_CONTRAST
        elif token.text in lexicon.CONCESSIONS:
            current.factor *= CONCESSION
        elif _tells_of_the_past(tokens, index, current):
            current.factor *= PAST
        current.tokens.append(token)
    return [clause for clause in clauses if clause.tokens]


def _tells_of_the_past(tokens: Sequence[_Token], index: int, clause: _Clause) -> bool:
    """以前很好 opens a clause about the past; 之前的问题 only names a thing."""
    if tokens[index].text not in lexicon.PAST_MARKERS or clause.tokens:
        return False
    following = tokens[index + 1].text if index + 1 < len(tokens) else ""
    return following != "的"


def _is_separator(word: str) -> bool:
    return all(character in SEPARATORS for character in word)


def _opens_contrast(token: _Token, clause: _Clause) -> bool:
    if token.weight is not None:
        return False
    if token.text in lexicon.CONTRASTS:
        return True
    return token.text in lexicon.CLAUSE_INITIAL_CONTRASTS and not clause.tokens


@dataclass
class _Modifiers:
    """What the words since the last sentiment word do to the next one."""

    negations: int = 0
    negation_strength: float = 1.0
    intensity: float = 1.0
    distance: int = 0
    # Where a persistent negation starts and ends ("一直没", "根本不"), while
    # no sentiment word has taken it up.
    persistent: tuple[int, int] | None = None

    def negate(self, strength: float) -> None:
        self.negations += 1
        self.negation_strength = min(self.negation_strength, strength)
        self.distance = 0

    def intensify(self, word: str) -> None:
        if self.negations and word in lexicon.SOFTENING_AFTER_NEGATOR:
            self.negation_strength = min(self.negation_strength, SOFT_NEGATION)
        else:
            boosted = self.intensity * lexicon.INTENSIFIERS[word]
            self.intensity = min(MAX_INTENSITY, boosted)
        self.distance = 0

    def apply(self, base: float) -> float:
        value = base * self.intensity
        if self.negations % 2:
            value = _negated(value, self.negation_strength)
        return value


def _negated(value: float, strength: float) -> float:
    if value > 0:
        return -value * NEGATED_PRAISE * strength
    return -value * NEGATED_COMPLAINT * strength


def _score_clause(clause: _Clause, spans: list[Span]) -> float:
    tokens = clause.tokens
    modifiers = _Modifiers()
    total = 0.0
    skip_until = -1
    for index, token in enumerate(tokens):
        if index <= skip_until:
            continue
        word = token.text
        if token.weight is None and word in lexicon.NEGATORS:
            modifiers.negate(lexicon.NEGATORS[word])
            modifiers.persistent = _persistent(tokens, index) or modifiers.persistent
            continue
        if _is_intensifier(tokens, index):
            modifiers.intensify(word)
            continue
        found = _sentiment_of(tokens, index, modifiers)
        if found is None:
            modifiers.distance += 1
            if modifiers.distance > MODIFIER_REACH:
                total += _dangling(modifiers, spans)
                modifiers = _Modifiers()
            continue
        start, base = found
        value = modifiers.apply(base)
        if _post_negated(tokens, index):
            if word not in lexicon.EXPECTED_ACTIONS:
                value = _negated(value, 1.0)
            skip_until = index + 2
        value *= _post_intensity(tokens, index)
        if token.quoted and value > 0:
            value = -value
        if value:
            spans.append(Span(start, token.end, round(value, 3)))
        total += value
        modifiers = _Modifiers()
    total += _dangling(modifiers, spans)
    if clause.exclaimed:
        total *= EXCLAMATION
    if clause.indignant:
        total += INDIGNATION
    return total * clause.factor


def _persistent(tokens: Sequence[_Token], index: int) -> tuple[int, int] | None:
    token = tokens[index]
    if token.text in lexicon.PERSISTENT_NEGATORS:
        return token.start, token.end
    if token.text not in lexicon.PERSISTENT_NEGATED:
        return None
    previous = tokens[index - 1] if index else None
    if previous is not None and previous.text in lexicon.PERSISTENT_ADVERBS:
        return previous.start, token.end
    return None


def _dangling(modifiers: _Modifiers, spans: list[Span]) -> float:
    """一直没下来, 根本没看: "never" with nothing named after it is a
    complaint about what support did not do."""
    if modifiers.persistent is None or not modifiers.negations % 2:
        return 0.0
    start, end = modifiers.persistent
    spans.append(Span(start, end, DANGLING_NEGATION))
    return DANGLING_NEGATION


def _is_intensifier(tokens: Sequence[_Token], index: int) -> bool:
    token = tokens[index]
    if token.weight is not None or token.text not in lexicon.INTENSIFIERS:
        return False
    if token.text != "好":
        return True
    # 好 is "very" only right before another sentiment word (好慢, 好贴心).
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    return following is not None and following.text in lexicon.SENTIMENT_WORDS


def _sentiment_of(
    tokens: Sequence[_Token], index: int, modifiers: _Modifiers
) -> tuple[int, float] | None:
    """The start of the sentiment word at this token and its base weight, or
    None. Modifiers fused into the token (很快, 不专业) are applied."""
    token = tokens[index]
    if token.weight is not None:
        return (token.start, token.weight) if token.weight else None
    word = token.text
    if word in lexicon.SENTIMENT_WORDS:
        return token.start, lexicon.SENTIMENT_WORDS[word]
    if word in lexicon.HIGH_WORDS:
        return _attribute_level(tokens, index)
    if word in lexicon.EXPECTED_ACTIONS:
        negated = modifiers.negations % 2 or _post_negated(tokens, index)
        if negated:
            # The complaint is the missing action itself, already negative.
            modifiers.negations = 0
            modifiers.negation_strength = 1.0
            return token.start, lexicon.EXPECTED_ACTIONS[word]
        return None
    return _fused(token, modifiers)


def _attribute_level(tokens: Sequence[_Token], index: int) -> tuple[int, float] | None:
    level = lexicon.HIGH_WORDS[tokens[index].text]
    for previous in tokens[max(0, index - MODIFIER_REACH) : index]:
        direction = _attribute_direction(previous.text)
        if direction:
            return tokens[index].start, level * direction
    return None


def _attribute_direction(word: str) -> int:
    """+1 when more of it is good (办事效率), -1 when bad (价格), else 0."""
    if any(word.endswith(attribute) for attribute in lexicon.HIGH_IS_GOOD):
        return 1
    if any(word.endswith(attribute) for attribute in lexicon.HIGH_IS_BAD):
        return -1
    return 0


def _fused(token: _Token, modifiers: _Modifiers) -> tuple[int, float] | None:
    """A sentiment word inside a word jieba kept whole: behind negators and
    intensifiers (很快 → 很 + 快, applied) or after its topic (态度恶劣)."""
    return _after_modifiers(token, modifiers) or _after_topic(token)


def _after_modifiers(token: _Token, modifiers: _Modifiers) -> tuple[int, float] | None:
    word, offset = token.text, 0
    peeled: list[str] = []
    while len(word) > 1:
        prefix = _known_prefix(word)
        if prefix is None:
            return None
        peeled.append(prefix)
        word, offset = word[len(prefix) :], offset + len(prefix)
        if word in lexicon.SENTIMENT_WORDS:
            for modifier in peeled:
                if modifier in lexicon.NEGATORS:
                    modifiers.negate(lexicon.NEGATORS[modifier])
                else:
                    modifiers.intensify(modifier)
            return token.start + offset, lexicon.SENTIMENT_WORDS[word]
    return None


def _after_topic(token: _Token) -> tuple[int, float] | None:
    word = token.text
    for offset in range(1, len(word)):
        topic, rest = word[:offset], word[offset:]
        if len(rest) > 1 and rest in lexicon.SENTIMENT_WORDS:
            return token.start + offset, lexicon.SENTIMENT_WORDS[rest]
        if topic in lexicon.TOPICS and rest in lexicon.SENTIMENT_WORDS:
            return token.start + offset, lexicon.SENTIMENT_WORDS[rest]
        if rest in lexicon.HIGH_WORDS and _attribute_direction(topic):
            level = lexicon.HIGH_WORDS[rest] * _attribute_direction(topic)
            return token.start + offset, level
    return None


def _known_prefix(word: str) -> str | None:
    for length in range(len(word) - 1, 0, -1):
        prefix = word[:length]
        if prefix in lexicon.NEGATORS or (
            prefix in lexicon.INTENSIFIERS and prefix != "好"
        ):
            return prefix
    return None


def _post_intensity(tokens: Sequence[_Token], index: int) -> float:
    following = [token.text for token in tokens[index + 1 : index + 3]]
    for candidate in (following[:1], following[:2]):
        joined = "".join(candidate)
        if joined in lexicon.POST_INTENSIFIERS:
            return lexicon.POST_INTENSIFIERS[joined]
    return 1.0


def _post_negated(tokens: Sequence[_Token], index: int) -> bool:
    """耐心都没有: a sentiment word turned around by what follows it."""
    if index + 2 >= len(tokens):
        return False
    link, negator = tokens[index + 1], tokens[index + 2]
    rest = tokens[index + 3 :]
    return (
        link.text in lexicon.POST_NEGATION_LINKS
        and negator.text in lexicon.POST_NEGATORS
        and all(token.text in lexicon.FINAL_PARTICLES for token in rest)
    )


def _verdict(totals: Sequence[float], spans: list[Span]) -> Sentiment:
    positive = sum(total for total in totals if total > 0)
    negative = -sum(total for total in totals if total < 0)
    net = positive - negative
    score = max(-1.0, min(1.0, net / math.sqrt(net * net + SQUASH)))
    weaker, stronger = sorted((positive, negative))
    if weaker >= MIXED_FLOOR and weaker >= MIXED_RATIO * stronger:
        label = MIXED
    elif score >= LABEL_THRESHOLD:
        label = POSITIVE
    elif score <= -LABEL_THRESHOLD:
        label = NEGATIVE
    else:
        label = NEUTRAL
    ordered = tuple(sorted(spans, key=lambda span: span.start))
    return Sentiment(score=round(score, 4), label=label, spans=ordered)
