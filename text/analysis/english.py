"""English sentiment: VADER's lexicon and rules, read clause by clause.

VADER (vaderSentiment, MIT) gives each word a valence from about -4 to +4 and
rules for negation, boosters, capitals, "but" and exclamation marks; its own
scorer returns one number and no spans. This module applies the same ideas
to tokens with their character offsets, so that every sentiment word comes
back with its signed weight, and scores each clause on its own, so that "the
staff were lovely, the product is awful" is labelled mixed instead of
averaging to neutral.

VADER was tuned on social media, where the words of a support conversation
("on hold", "refunded", "still not fixed", "nobody called back") carry little
or nothing, so a small lexicon of general customer-service vocabulary is laid
over it. The weights stay on VADER's scale.
"""

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise

from vaderSentiment.vaderSentiment import (
    SentimentIntensityAnalyzer,
)

from text.analysis.english_lexicon import (
    BELIEF_VERBS,
    BOOSTERS,
    COURTESY,
    DAMPENING_FACTOR,
    DAMPENING_PHRASES,
    DENIED_ACT,
    DURATION_UNITS,
    ELLIPTICAL_NEGATIONS,
    EMOJI_LEXICON,
    ENDURED_DURATION,
    INTERJECTION_FILLERS,
    LONGEST_PHRASE,
    LUKEWARM,
    MIN_MISSPELT_LENGTH,
    MINIMISERS,
    NEGATOR_PHRASES,
    NEGATORS,
    RESOLVED_REACH,
    RESOLVING_VERBS,
    RHETORICAL_NEGATION,
    SARCASM_CONTEXT,
    SARCASTIC_PRAISE,
    SERVICE_ACTS,
    SERVICE_LEXICON,
    SERVICE_PHRASES,
    TOOK,
    UNCERTAINTY,
    UNCERTAINTY_FACTOR,
    WISH_VALENCE,
    WISHES,
)
from text.analysis.types import MIXED, NEGATIVE, NEUTRAL, POSITIVE, Sentiment, Span

# VADER's constants: a negated word keeps 74% of its strength with the other
# sign; a capitalised word in a text that is not shouted gains 0.733; each
# "!" (up to four) adds 0.292; compound = x / sqrt(x² + 15).
NEGATION_FACTOR = -0.74
CAPITALS_BOOST = 0.733
EXCLAMATION_BOOST = 0.292
MAX_EXCLAMATIONS = 4
MAX_UNSHOUTED = 2
NORMALISATION = 15.0
# VADER weighs what precedes "but" by half and what follows by 1.5.
BEFORE_CONTRAST = 0.5
AFTER_CONTRAST = 1.5
# "not happy at all" is more than "not happy".
AT_ALL_BOOST = 1.3

# Labels: compound beyond ±NEUTRAL_BAND is positive or negative; a comment
# with one clause at least CLAUSE_STRENGTH positive and another at least as
# negative (each normalised on its own) is mixed.
NEUTRAL_BAND = 0.2
CLAUSE_STRENGTH = 0.2

TOKEN = re.compile(
    r"""(?P<score>\b(?:10|[0-9])\s?/\s?10\b)
    |(?P<emoticon>(?<![\w])(?:[:;=][-']?[)(DPp\]\[/\\|*]|<3|:'\())
    |(?P<word>[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*)
    |(?P<emoji>[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B50\u2B06\u2934\u2935\u203C\u2049])
    |(?P<stop>[.!?;\n]+|\s[-–—]\s)
    |(?P<comma>,)""",
    re.VERBOSE,
)
CONTRASTS = frozenset({"but", "however", "yet", "though", "although", "whereas"})
CONCESSIONS = frozenset({"although", "though"})
EXCLAMATION = re.compile(r"!")
ALPHA = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Token:
    kind: str  # word, emoji, emoticon, score
    text: str  # lower case, apostrophes dropped for words
    start: int
    end: int
    is_shouted: bool = False


@dataclass
class Item:
    """One sentiment unit (word, phrase, emoji) of a clause."""

    start: int
    end: int
    valence: float
    is_courtesy: bool = False
    is_litotes: bool = False  # a negated negative ("not bad"): faint praise
    is_act: bool = False  # an expected act of service ("answered")


@dataclass
class Clause:
    tokens: list[Token]
    weight: float = 1.0
    items: list[Item] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(item.valence for item in self.items)


def sentiment(text: str) -> Sentiment:
    clauses = list(_clauses(text))
    is_shouting = _is_shouting(text)
    for clause in clauses:
        clause.items = _score_clause(clause.tokens, is_shouting=is_shouting)
    for clause in clauses:
        _clear_resolved_objects(clause)
    _read_ellipses(clauses)
    _read_sarcasm(clauses)
    total = sum(clause.total * clause.weight for clause in clauses)
    total = _with_exclamations(total, text)
    score = _normalise(total)
    return Sentiment(
        score=round(score, 4),
        label=_label(score, clauses),
        spans=tuple(
            Span(item.start, item.end, round(item.valence, 4))
            for clause in clauses
            for item in clause.items
        ),
    )


def _normalise(total: float) -> float:
    compound: float = total / math.sqrt(total * total + NORMALISATION)
    return max(-1.0, min(1.0, compound))


def _label(score: float, clauses: Sequence[Clause]) -> str:
    if _is_mixed(clauses):
        return MIXED
    if score >= NEUTRAL_BAND:
        return POSITIVE
    if score <= -NEUTRAL_BAND:
        return NEGATIVE
    return NEUTRAL


def _is_mixed(clauses: Sequence[Clause]) -> bool:
    strengths = [
        _clause_strength(clause) * max(clause.weight, 1.0) for clause in clauses
    ]
    return (
        max(strengths, default=0.0) >= CLAUSE_STRENGTH
        and min(strengths, default=0.0) <= -CLAUSE_STRENGTH
    )


def _clause_strength(clause: Clause) -> float:
    """The clause's own compound, counting neither courtesy nor faint praise."""
    counted = [
        item.valence
        for item in clause.items
        if not item.is_courtesy and not item.is_litotes
    ]
    return _normalise(sum(counted))


def _with_exclamations(total: float, text: str) -> float:
    if total == 0:
        return total
    boost = min(len(EXCLAMATION.findall(text)), MAX_EXCLAMATIONS) * EXCLAMATION_BOOST
    return total + boost if total > 0 else total - boost


def _is_shouting(text: str) -> bool:
    letters = ALPHA.findall(text)
    return bool(letters) and all(letter.isupper() for letter in letters)


def _tokens(text: str) -> Iterator[tuple[str, Token]]:
    for match in TOKEN.finditer(text):
        kind = match.lastgroup or ""
        raw = match.group()
        if kind == "word":
            # "OK", "TV": two capitals are spelling, not shouting.
            shouted = len(raw) > MAX_UNSHOUTED and raw.isupper() and raw.isalpha()
            normal = raw.lower().replace("'", "")
            yield kind, Token(kind, normal, match.start(), match.end(), shouted)
        else:
            yield kind, Token(kind, raw, match.start(), match.end())


def _clauses(text: str) -> Iterator[Clause]:
    """Clauses split at sentence ends, commas and contrasts. After "but" the
    clauses of the sentence before it weigh half and those after 1.5 times;
    the clause "although" opens weighs half and the rest of its sentence 1.5
    times (VADER's rule for "but", extended to concessions)."""
    sentence: list[Clause] = []
    current: list[Token] = []
    weight = next_weight = 1.0
    for kind, token in _tokens(text):
        if kind in ("stop", "comma") or (
            kind == "word" and token.text in CONTRASTS and _is_contrast(current)
        ):
            sentence.append(Clause(current, weight=weight))
            current, weight = [], next_weight
        else:
            current.append(token)
            continue
        if kind == "stop":
            yield from (clause for clause in sentence if clause.tokens)
            sentence, weight, next_weight = [], 1.0, 1.0
        elif kind == "word":
            for clause in sentence:
                clause.weight = (
                    AFTER_CONTRAST if token.text in CONCESSIONS else BEFORE_CONTRAST
                )
            weight = BEFORE_CONTRAST if token.text in CONCESSIONS else AFTER_CONTRAST
            next_weight = AFTER_CONTRAST
    sentence.append(Clause(current, weight=weight))
    yield from (clause for clause in sentence if clause.tokens)


def _is_contrast(current: list[Token]) -> bool:
    # "not yet", "not though": a contrast word after a negator is not one.
    return not current or current[-1].text not in NEGATORS


def _score_clause(tokens: list[Token], *, is_shouting: bool) -> list[Item]:
    words = _join_negator_phrases(tokens)
    items: list[Item] = []
    has_at_all = _contains(words, ("at", "all"))
    index = 0
    while index < len(words):
        phrase_length, phrase_valence = _phrase_at(words, index)
        if phrase_length:
            first, last = words[index], words[index + phrase_length - 1]
            if phrase_valence:
                items.append(
                    _modified(
                        Item(
                            first.start,
                            last.end,
                            phrase_valence,
                            is_courtesy=first.text in COURTESY,
                        ),
                        words,
                        index,
                        is_shouting=is_shouting,
                        has_at_all=has_at_all,
                    )
                )
            index += phrase_length
            continue
        item = _item_for(words, index, is_shouting=is_shouting, has_at_all=has_at_all)
        if item is None:
            item = _endured_duration(words, index)
        if item is not None:
            items.append(item)
        index += 1
    return _wished(_dampened(items, words), words)


def _wished(items: list[Item], words: list[Token]) -> list[Item]:
    """ "I wish it didn't break so often": what is wished for is what is
    missing, so what follows "wish" counts with the other sign."""
    wish = next((word for word in words if word.text in WISHES), None)
    if wish is None:
        return items
    for item in items:
        if item.start > wish.start:
            item.valence = -item.valence
            item.is_litotes = False
    return [Item(wish.start, wish.end, WISH_VALENCE), *items]


def _endured_duration(words: list[Token], index: int) -> Item | None:
    token = words[index]
    if token.text not in TOOK:
        return None
    if index and words[index - 1].text in MINIMISERS:
        return None
    following = words[index + 1 : index + 4]
    if any(word.text in MINIMISERS for word in following):
        return None
    for word in following:
        if word.text in DURATION_UNITS:
            return Item(token.start, word.end, ENDURED_DURATION)
    return None


def _item_for(
    words: list[Token], index: int, *, is_shouting: bool, has_at_all: bool
) -> Item | None:
    token = words[index]
    valence = _valence(token)
    if valence is None or (valence == 0 and token.text not in SERVICE_ACTS):
        return None
    if token.text in NEGATORS or token.text in BOOSTERS:
        return None
    item = Item(
        token.start,
        token.end,
        valence,
        is_courtesy=token.text in COURTESY,
        is_act=token.text in SERVICE_ACTS and valence >= 0,
    )
    if token.is_shouted and not is_shouting and valence:
        item.valence += CAPITALS_BOOST if valence > 0 else -CAPITALS_BOOST
    modified = _modified(
        item, words, index, is_shouting=is_shouting, has_at_all=has_at_all
    )
    return modified if modified.valence else None


def _modified(
    item: Item, words: list[Token], index: int, *, is_shouting: bool, has_at_all: bool
) -> Item:
    before = words[max(0, index - 3) : index]
    for distance, word in enumerate(reversed(before)):
        boost = BOOSTERS.get(word.text)
        if boost and item.valence:
            # VADER: a booster further away counts a little less.
            scaled = boost * (1.0, 0.95, 0.9)[distance]
            if word.is_shouted and not is_shouting:
                scaled += CAPITALS_BOOST * (1 if boost > 0 else -1)
            item.valence += scaled if item.valence > 0 else -scaled
    if _is_negated(before, words, index) or _is_belief_negated(words, index):
        if item.is_act or 0 < item.valence <= LUKEWARM:
            # "not acceptable", "not ok": denying the least is a complaint.
            item.valence = min(DENIED_ACT, item.valence * NEGATION_FACTOR)
        else:
            item.is_litotes = item.valence < 0
            item.is_courtesy = False
            item.valence *= NEGATION_FACTOR
        if has_at_all:
            item.valence *= AT_ALL_BOOST
    return item


def _is_negated(before: list[Token], words: list[Token], index: int) -> bool:
    if not any(word.text in NEGATORS for word in before):
        return False
    preceding = tuple(word.text for word in words[max(0, index - 4) : index])
    return not any(
        preceding[-len(pattern) :] == pattern for pattern in RHETORICAL_NEGATION
    )


def _is_belief_negated(words: list[Token], index: int) -> bool:
    """ "I don't think it is justified" denies what follows, however far."""
    texts = [word.text for word in words[:index]]
    return any(
        left in NEGATORS and right in BELIEF_VERBS for left, right in pairwise(texts)
    )


def _dampened(items: list[Item], words: list[Token]) -> list[Item]:
    uncertain_words, not_sure = UNCERTAINTY
    if any(word.text in uncertain_words for word in words) or _contains(
        words, not_sure
    ):
        # "Not sure the new plan is worth it": a doubt, not a judgement.
        for item in items:
            item.valence *= UNCERTAINTY_FACTOR
    if any(_contains(words, phrase) for phrase in DAMPENING_PHRASES):
        for item in items:
            item.valence *= DAMPENING_FACTOR
    return items


def _contains(words: list[Token], phrase: tuple[str, ...]) -> bool:
    texts = [word.text for word in words]
    return any(
        tuple(texts[start : start + len(phrase)]) == phrase
        for start in range(len(texts) - len(phrase) + 1)
    )


def _phrase_at(words: list[Token], index: int) -> tuple[int, float]:
    for length in range(min(LONGEST_PHRASE, len(words) - index), 1, -1):
        key = tuple(word.text for word in words[index : index + length])
        if key in SERVICE_PHRASES:
            return length, SERVICE_PHRASES[key]
    return 0, 0.0


def _join_negator_phrases(tokens: list[Token]) -> list[Token]:
    joined: list[Token] = []
    for token in tokens:
        if joined and (joined[-1].text, token.text) in NEGATOR_PHRASES:
            previous = joined.pop()
            token = Token("word", "not", previous.start, token.end)
        joined.append(token)
    return joined


def _valence(token: Token) -> float | None:
    if token.kind == "emoji":
        return _emoji_valence(token.text)
    if token.kind == "score":
        return _rating_valence(token.text)
    lexicon = _lexicon()
    if token.text in lexicon:
        return lexicon[token.text]
    if token.text.endswith("est") and token.text[:-3] in lexicon:
        # "fastest" is "fast", at its most: VADER lists few superlatives.
        return lexicon[token.text[:-3]]
    if token.kind == "word" and token.text.isalpha():
        return _misspelt_valence(token.text)
    return None


def _emoji_valence(emoji: str) -> float | None:
    if emoji in EMOJI_LEXICON:
        return EMOJI_LEXICON[emoji]
    description = _vader().emojis.get(emoji)
    if not description:
        return None
    lexicon = _lexicon()
    valences = [lexicon[word] for word in description.split() if word in lexicon]
    return sum(valences) / len(valences) if valences else None


def _rating_valence(rating: str) -> float:
    # "10/10" or "2/10": a customer's own mark, centred on 5.5.
    points = int(rating.split("/")[0])
    return round((points - 5.5) * 0.6, 2)


def _misspelt_valence(word: str) -> float | None:
    """The valence of a sentiment word one common slip away ("helpfull",
    "realy", "sloved"): a letter doubled or undoubled, or two swapped.
    Other edits would turn ordinary words into sentiment words."""
    if len(word) < MIN_MISSPELT_LENGTH:
        return None
    lexicon = _lexicon()
    found = {lexicon[variant] for variant in _slips(word) if variant in lexicon}
    found.discard(0.0)
    if len(found) == 1:
        return found.pop()
    return None


def _slips(word: str) -> Iterator[str]:
    for index, (left, right) in enumerate(pairwise(word)):
        if left == right:
            yield word[:index] + word[index + 1 :]
        else:
            yield word[:index] + right + left + word[index + 2 :]
    for index, letter in enumerate(word):
        yield word[: index + 1] + letter + word[index + 1 :]


@cache
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


@cache
def _lexicon() -> dict[str, float]:
    lexicon = {
        word.replace("'", ""): float(value) for word, value in _vader().lexicon.items()
    }
    lexicon.update(SERVICE_LEXICON)
    for act in SERVICE_ACTS:
        lexicon.setdefault(act, 0.0)
    return lexicon


def _clear_resolved_objects(clause: Clause) -> None:
    """ "They fixed the billing mistake", "my complaint was handled": what
    was put right is no longer a complaint, so a negative word within a few
    words of a resolving verb that is not denied counts zero."""
    items = clause.items
    tokens = clause.tokens
    for index, token in enumerate(tokens):
        if token.text not in RESOLVING_VERBS or any(
            item.valence < 0 and item.start <= token.start < item.end for item in items
        ):
            continue
        nearby = tokens[max(0, index - RESOLVED_REACH) : index + RESOLVED_REACH + 1]
        start, end = nearby[0].start, nearby[-1].end
        for item in items:
            if start <= item.start and item.end <= end and item.valence < 0:
                item.valence = 0.0
    clause.items = [item for item in items if item.valence]


def _text_of(clause: Clause, item: Item) -> str:
    return " ".join(
        token.text
        for token in clause.tokens
        if item.start <= token.start and token.end <= item.end
    )


def _read_ellipses(clauses: Sequence[Clause]) -> None:
    """ "The staff were polite, the bill was not.": a clause that ends in
    its negation denies what the clause before it said."""
    for previous, clause in pairwise(clauses):
        if clause.items or not previous.total:
            continue
        texts = tuple(token.text for token in clause.tokens)
        if texts and (texts[-1] in NEGATORS or texts[-3:] in ELLIPTICAL_NEGATIONS):
            last = clause.tokens[-1]
            start = next(
                token.start
                for token in clause.tokens
                if token.text in NEGATORS or token.text == "not"
            )
            clause.items = [Item(start, last.end, previous.total * NEGATION_FACTOR)]


def _read_sarcasm(clauses: Sequence[Clause]) -> None:
    """A bare interjection of praise among complaints is sarcasm ("Great,
    another hour on hold. Just wonderful."): its sign is turned."""
    bare = [clause for clause in clauses if _is_bare_praise(clause)]
    others = [clause for clause in clauses if clause not in bare]
    if not bare or not others:
        return
    if any(clause.total > 0 for clause in others):
        return
    if sum(clause.total for clause in others) > -SARCASM_CONTEXT:
        return
    for clause in bare:
        for item in clause.items:
            item.valence = -abs(item.valence)


def _is_bare_praise(clause: Clause) -> bool:
    items = clause.items
    if not items or clause.total <= 0 or any(item.is_courtesy for item in items):
        return False
    return all(
        token.text in INTERJECTION_FILLERS
        or token.text in BOOSTERS
        or token.text in SARCASTIC_PRAISE
        for token in clause.tokens
    )


def vader_words() -> frozenset[str]:
    """The English words of the lexicon, for telling English from other
    languages written in the same letters."""
    return frozenset(word for word in _lexicon() if word.isalpha())
