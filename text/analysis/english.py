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
    BOOSTER_DICT,
    NEGATE,
    SentimentIntensityAnalyzer,
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

# Word lists read best packed, not one word a line.
# fmt: off
NEGATORS = (
    frozenset(word.replace("'", "") for word in NEGATE)
    - {"despite", "uhuh", "uh-uh"}
) | {"no", "nobody", "noone", "nothing", "neither", "nor", "never", "without"}
# Two-word negators, joined into one token before scoring.
# "could be faster" wants what is missing, as a negation does.
NEGATOR_PHRASES = {
    ("far", "from"), ("no", "one"), ("no", "longer"), ("could", "be"),
    ("should", "be"), ("should", "have"), ("could", "have"),
}
# "could not have been nicer" praises: the negation is rhetorical.
RHETORICAL_NEGATION = (
    ("could", "not", "have", "been"), ("couldnt", "have", "been"),
    ("couldnt", "be"), ("could", "not", "be"),
)
# "The staff were polite, the bill was not (so much)."
ELLIPTICAL_NEGATIONS = {("not", "so", "much"), ("not", "that", "much")}
# "I don't think it is justified" denies what follows, however far.
BELIEF_VERBS = frozenset({"think", "believe", "feel", "find", "expect"})
# Denying the least ("not ok", "not acceptable") is a complaint, not a shrug.
LUKEWARM = 1.0

BOOSTERS = {
    word: value for word, value in BOOSTER_DICT.items() if " " not in word
} | {
    "too": 0.293, "super": 0.293, "painfully": 0.293, "still": 0.293,
    "such": 0.293, "bit": -0.293,
}
# Hedges halve a clause; doubt reduces it to almost nothing.
DAMPENING_PHRASES = {("i", "guess"), ("i", "suppose")}
DAMPENING_FACTOR = 0.5
UNCERTAINTY = ({"unsure", "whether", "wonder", "wondering"}, ("not", "sure"))
UNCERTAINTY_FACTOR = 0.3
# "I wish it didn't break": what is wished for is missing.
WISHES = frozenset({"wish", "wished"})
WISH_VALENCE = -0.8

# "They fixed the billing mistake": what was put right is no complaint.
RESOLVING_VERBS = frozenset({
    "fixed", "solved", "resolved", "corrected", "sorted", "repaired", "cleared",
    "refunded", "replaced", "fix", "solve", "resolve", "correct", "repair",
    "handled", "processed",
})
RESOLVED_REACH = 4

# "took three days", "took over a month": a duration that had to be endured.
# Minutes are left out: "installation took 10 minutes" is no complaint.
DURATION_UNITS = frozenset({
    "hour", "hours", "day", "days", "week", "weeks", "month", "months", "ages",
    "forever", "year", "years",
})
TOOK = frozenset({"took", "takes", "taking", "take"})
MINIMISERS = frozenset({"only", "just", "barely", "hardly"})
ENDURED_DURATION = -1.2

# Shorter words are one slip away from too many others ("step", "steep").
MIN_MISSPELT_LENGTH = 5

# Words said to be polite rather than pleased: they never make a complaint
# "mixed" on their own ("Thanks, but it is still broken").
COURTESY = frozenset({"thanks", "thank", "thx", "ty", "cheers", "appreciated"})
# A clause of praise and fillers alone, among complaints that weigh at least
# SARCASM_CONTEXT, is sarcasm ("Great, another hour on hold. Just wonderful.").
INTERJECTION_FILLERS = frozenset({
    "just", "oh", "so", "really", "simply", "how", "well", "yeah", "what", "a", "an",
})
SARCASTIC_PRAISE = frozenset({
    "great", "wonderful", "amazing", "brilliant", "perfect", "fantastic",
    "lovely", "awesome", "excellent", "nice", "superb", "marvellous",
    "fabulous", "terrific", "splendid", "wow", "cool", "fine", "good",
})
SARCASM_CONTEXT = 0.9

# General customer-service vocabulary, on VADER's scale. Overrides VADER
# where its social-media sense misleads ("joke", "like", "sure").
SERVICE_LEXICON: dict[str, float] = {
    # speed
    "quick": 1.5, "quickly": 1.5, "fast": 1.5, "faster": 1.5, "prompt": 1.5,
    "promptly": 1.5, "speedy": 1.5, "swift": 1.5, "swiftly": 1.5,
    "instantly": 1.2, "immediately": 1.0, "slow": -1.5, "slowly": -1.2,
    "slower": -1.5, "late": -1.2, "delayed": -1.2, "delay": -1.0, "delays": -1.2,
    "waited": -1.0, "waiting": -0.5, "forever": -1.2, "ages": -1.0,
    # people
    "patient": 1.8, "patience": 1.5, "polite": 1.8, "politely": 1.5,
    "knowledgeable": 1.8, "professional": 1.5, "professionally": 1.5,
    "courteous": 2.0, "attentive": 1.8, "impolite": -2.0, "unhelpful": -2.0,
    "unresponsive": -2.0, "dismissive": -2.0, "unprofessional": -2.2,
    "condescending": -2.0, "arrogant": -2.0, "impatient": -1.5,
    "interrupting": -1.2, "listened": 1.0, "charming": 2.0,
    # outcome
    "solved": 1.8, "resolved": 1.8, "fixed": 1.5, "sorted": 1.3,
    "sorting": 1.0, "unresolved": -2.0, "unsolved": -2.0, "refunded": 1.0,
    "smooth": 1.5, "smoothly": 1.5, "seamless": 1.8, "hassle": -1.5,
    "nightmare": -2.5, "joke": -1.5, "chase": -1.0, "chasing": -1.2,
    "downhill": -1.5, "impossible": -1.5, "confusing": -1.5, "unclear": -1.3,
    "soaked": -1.2, "dropped": -0.8, "ignored": -1.5,
    # product and money
    "overpriced": -2.0, "overcharged": -2.2, "expensive": -1.2, "pricey": -1.0,
    "cheap": -0.8, "affordable": 1.5, "reasonable": 1.2, "decent": 1.0,
    "faulty": -1.8, "flimsy": -1.5, "crash": -1.7, "crashes": -1.7,
    "crashing": -1.7, "crashed": -1.7, "buggy": -1.5, "bug": -1.0, "bugs": -1.0,
    "glitch": -1.3, "glitchy": -1.5, "faded": -1.0, "superb": 3.0,
    # lukewarm words are weaker here than in VADER: "ok" is not praise
    "ok": 0.4, "okay": 0.4, "alright": 0.5, "acceptable": 0.6, "fine": 0.8,
    # words VADER reads as feelings that are mostly requests or fillers here
    "please": 0.0, "like": 0.8, "sure": 0.0, "well": 0.5, "hope": 0.5,
    "help": 0.8, "helped": 0.8, "care": 1.0, "no": 0.0, "support": 0.0,
    "supports": 0.0, "supported": 0.5, "promised": 0.0, "charge": 0.0,
    "charges": 0.0, "charged": 0.0, "increase": 0.0, "increased": 0.0,
    "problem": -0.5, "problems": -0.5, "issue": -0.3, "issues": -0.5,
    "explained": 0.8, "corrected": 1.0, "replaced": 0.8, "empty": -1.0,
    "clearly": 0.3, "wish": 0.0,
    # general service vocabulary VADER lacks
    "star": 2.0, "gem": 2.0, "legend": 2.0, "early": 1.0, "clunky": -1.5,
    "cumbersome": -1.5, "laggy": -1.5, "sluggish": -1.5, "outdated": -1.0,
    "complicated": -1.2, "tedious": -1.5, "intuitive": 1.8, "effortless": 1.8,
    "painless": 1.5, "straightforward": 1.2, "informative": 1.2,
    "thorough": 1.5, "reliable": 1.5, "unreliable": -1.8, "inconsistent": -1.0,
    "incorrect": -1.5, "inaccurate": -1.5, "misinformed": -1.5, "rushed": -1.0,
    "accommodating": 1.5, "empathetic": 1.5, "reassuring": 1.5,
    "reassured": 1.5, "headache": -1.5, "steep": -1.0, "overdue": -1.5,
    "fuming": -2.5, "livid": -2.5, "gutted": -2.0, "shambles": -2.5,
    "incompetence": -2.2, "runaround": -1.8, "break": -1.2, "breaks": -1.2,
    "userfriendly": 1.8, "ripoff": -2.5, "misled": -2.0, "mislead": -1.8,
    "cancel": 0.0, "cancelled": -0.8, "canceled": -0.8, "again": -0.6,
    "informed": 0.5, "works": 0.8, "worked": 0.8, "hassle-free": 2.0,
    "user-friendly": 1.8, "lower": 0.0, "slick": 1.8, "dropping": -1.0,
    "understanding": 1.0,
}

# Expected acts of service: saying nothing alone, a complaint when denied
# ("nobody answered", "never called back", "it doesn't work").
SERVICE_ACT_VERBS = (
    "answer", "respond", "reply", "help", "work", "arrive", "listen", "call",
    "pick", "explain", "bother", "apologise", "apologize", "update", "happen",
    "change", "care", "return", "fix", "solve", "resolve", "sort", "log",
    "load", "open", "connect", "reach", "pay", "find", "refund", "deliver",
    "receive", "follow", "contact", "acknowledge", "show", "turn", "understand",
    "order", "handle", "process", "move", "inform",
)
IRREGULAR_ACTS = (
    "told", "tell", "came", "come", "got", "get", "heard", "hear", "login",
)
# Nouns of the same acts: "no callback", "without explanation".
ACT_NOUNS = (
    "callback", "response", "confirmation", "acknowledgement", "explanation",
    "apology", "solution", "progress",
)
SERVICE_ACTS = frozenset(
    {
        form
        for verb in SERVICE_ACT_VERBS
        for form in (
            verb,
            verb + "s",
            verb.removesuffix("e") + "ed",
            verb.removesuffix("e") + "ing",
            verb + "ed",
            verb + "ing",
            verb.removesuffix("y") + "ied",
            verb.removesuffix("y") + "ies",
        )
    }
    | set(IRREGULAR_ACTS)
    | set(ACT_NOUNS)
)
DENIED_ACT = -1.5

# Phrases scored as one unit, before their words.
SERVICE_PHRASES: dict[tuple[str, ...], float] = {
    ("on", "hold"): -1.0,
    ("hung", "up"): -2.0,
    ("hang", "up"): -1.5,
    ("cut", "off"): -1.2,
    ("took", "forever"): -2.0,
    ("took", "ages"): -1.8,
    ("for", "ages"): -1.5,
    ("still", "waiting"): -1.8,
    ("never", "again"): -2.0,
    ("a", "joke"): -2.0,
    ("yeah", "right"): -1.5,
    ("thanks", "for", "nothing"): -2.5,
    ("got", "nothing"): -1.5,
    ("heard", "nothing"): -1.5,
    ("less", "so"): -1.5,
    ("nothing", "special"): -0.5,
    ("no", "sense"): -1.5,
    ("stopped", "working"): -2.0,
    ("fell", "apart"): -2.2,
    ("falls", "apart"): -2.2,
    ("well", "made"): 2.0,
    ("poorly", "made"): -2.0,
    ("badly", "made"): -2.0,
    ("well", "done"): 2.0,
    ("well", "explained"): 1.8,
    ("works", "well"): 1.8,
    ("above", "and", "beyond"): 2.8,
    ("value", "for", "money"): 1.5,
    ("as", "described"): 1.0,
    ("on", "time"): 1.2,
    ("straight", "away"): 1.0,
    ("right", "away"): 1.0,
    ("same", "day"): 0.8,
    ("in", "seconds"): 1.0,
    ("looked", "after"): 1.5,
    ("too", "high"): -1.2,
    ("too", "much"): -1.0,
    ("too", "long"): -1.2,
    ("went", "up"): -0.8,
    ("going", "up"): -0.8,
    ("hard", "to"): -1.2,
    ("waiting", "time"): 0.0,
    ("wait", "time"): 0.0,
    ("customer", "care"): 0.0,
    ("would", "like"): 0.0,
    ("id", "like"): 0.0,
    ("wed", "like"): 0.0,
    ("went", "wrong"): -0.8,
    ("takes", "seconds"): 1.2,
    ("took", "seconds"): 1.2,
    ("still", "no"): -1.5,
    ("what", "it", "used", "to", "be"): -1.8,
    ("only", "half"): -1.2,
    ("makes", "up", "for"): 1.2,
    ("same", "problem"): -1.5,
    ("same", "issue"): -1.5,
    ("talked", "over"): -1.8,
    ("talks", "over"): -1.8,
    ("fed", "up"): -2.0,
    ("passed", "from"): -1.2,
    ("pay", "extra"): -1.2,
    ("paid", "extra"): -1.2,
    ("i", "like"): 1.5,
    ("we", "like"): 1.5,
    ("i", "liked"): 1.5,
    ("third", "time"): -1.0,
    ("second", "time"): -0.8,
    ("again", "and", "again"): -1.5,
    ("needs", "work"): -1.2,
    ("needs", "improvement"): -1.5,
    ("needs", "improving"): -1.5,
    ("room", "for", "improvement"): -0.8,
    ("and", "nothing"): -1.2,
    ("getting", "longer"): -1.2,
    ("getting", "worse"): -2.0,
    ("still", "nothing"): -1.5,
    ("why", "does", "it", "take"): -1.2,
    ("why", "did", "it", "take"): -1.2,
    ("logged", "me", "out"): -1.0,
    ("logs", "me", "out"): -1.0,
    ("is", "down"): -1.5,
    ("was", "down"): -1.5,
    ("different", "answer"): -1.2,
    ("different", "answers"): -1.2,
    ("different", "story"): -1.2,
    ("kept", "informed"): 1.5,
    ("kept", "me", "informed"): 1.5,
    ("kept", "us", "informed"): 1.5,
    ("kept", "me", "updated"): 1.5,
    ("kept", "us", "updated"): 1.5,
    ("does", "the", "job"): 1.2,
    ("did", "the", "job"): 1.2,
    ("five", "stars"): 2.5,
    ("5", "stars"): 2.5,
    ("one", "star"): -2.0,
    ("1", "star"): -2.0,
    ("zero", "stars"): -2.5,
    ("use", "again"): 1.5,
    ("order", "again"): 1.2,
    ("buy", "again"): 1.2,
    ("shop", "again"): 1.2,
    ("works", "again"): 1.2,
    ("working", "again"): 1.2,
    ("thanks", "again"): 1.5,
    ("no", "idea"): -1.5,
    ("no", "clue"): -1.5,
    ("nobody", "knows"): -1.5,
    ("not", "knows"): -1.5,
    ("nobody", "seems", "to", "know"): -1.5,
    ("not", "seems", "to", "know"): -1.5,
    ("let", "down"): -2.0,
    ("fobbed", "off"): -2.0,
    ("back", "and", "forth"): -1.0,
    ("passed", "around"): -1.2,
    ("spot", "on"): 2.0,
    ("top", "notch"): 2.5,
    ("first", "class"): 2.0,
    ("second", "to", "none"): 2.5,
    ("ahead", "of", "schedule"): 1.5,
    ("rip", "off"): -2.5,
    ("had", "to"): -1.0,
    ("not", "have", "had", "to"): -1.2,
    ("nt", "have", "had", "to"): -1.2,
    ("all", "clear"): 0.3,
    ("charged", "twice"): -1.5,
    ("half", "empty"): -1.2,
    ("thank", "you"): 1.5,
}
# "I called five times", "it took four calls": a customer counting
# attempts is complaining.
SERVICE_PHRASES.update(
    {
        (count, *attempts): -0.8
        for count in (
            "three", "four", "five", "six", "several", "multiple", "many",
            "numerous", "countless", "3", "4", "5", "6", "7", "8", "9", "10",
        )
        for attempts in (
            ("times",), ("calls",), ("emails",), ("attempts",), ("tries",),
            ("phone", "calls"),
        )
    }
)
LONGEST_PHRASE = max(len(phrase) for phrase in SERVICE_PHRASES)

# Emoji customers use, scored directly: VADER describes emoji in words
# ("pouting face") that its lexicon mostly does not score.
EMOJI_LEXICON: dict[str, float] = {
    "😀": 2.0, "😃": 2.0, "😄": 2.0, "😁": 2.0, "😊": 2.0, "🙂": 1.2, "😍": 3.0,
    "🥰": 3.0, "😘": 2.0, "🤩": 3.0, "😎": 1.5, "👍": 2.0, "👌": 1.8, "👏": 2.0,
    "🙌": 2.0, "🙏": 1.5, "💯": 2.0, "🎉": 2.0, "⭐": 1.5, "🌟": 1.8, "❤": 2.5,
    "💕": 2.5, "💖": 2.5, "💙": 2.0, "💚": 2.0, "✅": 1.2, "🥳": 2.5, "😇": 1.8,
    "😂": 1.0, "🤣": 1.0, "😉": 1.0, "😡": -3.0, "😠": -2.5, "🤬": -3.2, "👎": -2.0,
    "😤": -2.0, "😞": -2.0, "😔": -1.8, "😟": -1.5, "😢": -2.0, "😭": -2.5,
    "😩": -2.0, "😫": -2.0, "🙄": -1.8, "😒": -1.8, "😑": -1.0, "😐": -0.5,
    "😕": -1.2, "🙁": -1.5, "☹": -1.8, "💩": -2.5, "🤮": -3.0, "🤢": -2.5,
    "😖": -2.0, "😣": -1.8, "😬": -0.8, "🤦": -1.8, "💔": -2.5, "❌": -1.2,
    "⚠": -0.5, "😱": -1.5, "😰": -1.5,
}

# fmt: on

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
