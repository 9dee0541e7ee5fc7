"""The English analyser's vocabulary (text/analysis/english.py): negators,
boosters and the customer-service words and phrases laid over VADER's
lexicon, with their weights on VADER's scale. Data only; general words,
never picked for one sentence."""

from vaderSentiment.vaderSentiment import BOOSTER_DICT, NEGATE

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
