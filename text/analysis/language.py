"""Which language a comment is in: English, Chinese or unknown, never a guess.

Chinese is told by its script; English by its words, because French,
Spanish or German share its letters. A comment mixing the two scripts goes
to the one that clearly dominates (a Chinese sentence naming an "iPhone" is
Chinese); one with no words (digits, emoji, punctuation) or in any other
language is unknown.
"""

import re
from functools import cache

from text.analysis.types import CHINESE, ENGLISH, UNKNOWN

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
KANA_OR_HANGUL = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uac00-\ud7af\u1100-\u11ff]")
LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:'[A-Za-z]+)?")
# Greek, Cyrillic, Hebrew, Arabic, Indic and Thai letters.
OTHER_LETTER = re.compile(
    r"[\u0370-\u03ff\u0400-\u052f\u0590-\u06ff\u0900-\u0dff\u0e00-\u0eff]"
)
NON_ENGLISH_LETTER = re.compile(r"[\u00c0-\u024f]")

# A Chinese word is one to two characters, so a Latin word counts as 1.5.
LATIN_WORD_WEIGHT = 1.5
# The script with at least this share of the weight dominates.
DOMINANT_SHARE = 2 / 3
# English needs more English than foreign function words, and a fair share
# of its words known to be English.
MIN_ENGLISH_SHARE = 0.4

# fmt: off
ENGLISH_WORDS = frozenset(
    {
        "a", "about", "above", "after", "again", "against", "all", "also", "always",
        "am", "an", "and", "any", "are", "as", "at", "back", "be", "because", "been",
        "before", "being", "below", "between", "both", "but", "by", "can", "could",
        "did", "do", "does", "doing", "done", "down", "during", "each", "even", "ever",
        "every", "few", "for", "from", "get", "got", "had", "has", "have", "having",
        "he", "her", "here", "hers", "him", "his", "how", "i", "if", "in", "into", "is",
        "it", "its", "just", "me", "more", "most", "my", "myself", "never", "no", "nor",
        "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours",
        "out", "over", "own", "same", "she", "should", "so", "some", "still", "such",
        "than", "that", "the", "their", "them", "then", "there", "these", "they",
        "this", "those", "through", "to", "too", "under", "until", "up", "very", "was",
        "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why",
        "will", "with", "would", "you", "your", "yours", "im", "ive", "id", "dont",
        "didnt", "doesnt", "isnt", "wasnt", "cant", "couldnt", "wont", "thanks",
        "thank", "please", "hi", "hello", "yes", "ok", "okay", "service", "support",
        "customer", "order", "delivery", "product", "price", "invoice", "bill",
        "billing", "refund", "call", "called", "calls", "phone", "email", "chat",
        "agent", "staff", "team", "manager", "meeting", "help", "app", "website",
        "account", "issue", "problem", "time", "minutes", "hours", "days", "weeks",
        "wait", "waiting", "quick", "fast", "slow", "good", "bad", "great", "nice",
        "package", "parcel", "shipping", "payment", "quality", "today", "yesterday",
        "week", "month", "someone", "nobody", "anyone", "everyone",
        "everything", "nothing", "thing", "things", "people", "person", "one", "two",
        "three", "first", "last", "next", "new", "old",
    }
)
# Function words of the languages that share English letters, minus those
# that are English words too ("die", "in", "son", "van", "per").
FOREIGN_WORDS = frozenset(
    {
        "le", "la", "les", "des", "du", "un", "une", "est", "et", "je", "tu", "il",
        "elle", "nous", "vous", "ils", "elles", "ce", "cette", "ces", "mon", "ma",
        "mes", "ton", "ta", "votre", "vos", "leur", "qui", "que", "quoi", "pas", "tres",
        "avec", "pour", "sur", "dans", "mais", "ou", "donc", "car", "merci", "bonjour",
        "bien", "tout", "rien", "der", "das", "und", "ist", "nicht", "ich", "sehr",
        "mit", "fur", "ein", "eine", "einen", "auf", "zu", "von", "wir", "sie", "es",
        "aber", "danke", "gut", "schlecht", "kein", "keine", "noch", "auch", "nur",
        "schon", "el", "los", "las", "y", "muy", "con", "por", "para", "pero",
        "gracias", "del", "lo", "mi", "su", "esta", "bueno", "malo", "nada", "hola",
        "gli", "che", "non", "molto", "grazie", "della", "sono", "questo", "os",
        "um", "uma", "muito", "obrigado", "obrigada", "com", "voce", "nao", "het",
        "een", "niet", "heel", "goed", "dank", "bedankt", "ik",
    }
)
# fmt: on


def detect_language(text: str) -> str:
    han = len(HAN.findall(text))
    words = LATIN_WORD.findall(text)
    latin = len(words) * LATIN_WORD_WEIGHT
    other = len(KANA_OR_HANGUL.findall(text)) + len(OTHER_LETTER.findall(text))
    total = han + latin + other
    if not total:
        return UNKNOWN
    if han / total >= DOMINANT_SHARE and not KANA_OR_HANGUL.search(text):
        return CHINESE
    if latin / total >= DOMINANT_SHARE and _is_english(words):
        return ENGLISH
    return UNKNOWN


def _is_english(words: list[str]) -> bool:
    lowered = [word.lower().replace("'", "") for word in words]
    english = sum(1 for word in lowered if _is_english_word(word))
    foreign = sum(
        1
        for word, original in zip(lowered, words, strict=True)
        if word in FOREIGN_WORDS or NON_ENGLISH_LETTER.search(original)
    )
    return (
        english > 0
        and english >= 2 * foreign
        and english >= (MIN_ENGLISH_SHARE * len(words))
    )


def _is_english_word(word: str) -> bool:
    return word in ENGLISH_WORDS or word in _vader_words()


@cache
def _vader_words() -> frozenset[str]:
    # VADER's lexicon is some 7,500 English words and slang: a vocabulary
    # that ships offline with the analyser already in use.
    from text.analysis.english import vader_words

    return vader_words()
