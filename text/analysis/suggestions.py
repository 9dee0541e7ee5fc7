"""Recurring topics among comments that no theme covers, offered to managers
as new themes.

The comments are weighed with TF-IDF and factorised with NMF (non-negative
matrix factorisation): each topic is a weighted set of terms. A topic's
comments are those that use its leading term, and those that lean on it more
than on any other topic and use one of its top terms. A topic is kept when it
gathers enough comments that no bigger topic already gathers; one whose top
terms are already a theme's keywords, or that a manager dismissed before, is
dropped.

English terms are words and two-word phrases, stemmed as theme keywords are
("parking" and "parked" count together, so that a term adopted as a keyword
finds the comments it came from), without stopwords or sentiment words
("great" says how, not what). Chinese terms are the words of the Chinese
analyser's own jieba tokenizer, without stopwords, negators, intensifiers and
sentiment words, as for keywords.

Deterministic: the same comments and dictionary give the same topics (a fixed
random_state, ties broken by term and comment id). scikit-learn is imported
only while fitting, so a web process that imports this module never loads it.
"""

import re
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from text.analysis import english
from text.analysis.clean import clean
from text.analysis.keywords import (
    CHINESE_STOPWORDS,
    CHINESE_WORD,
    ENGLISH_WORD,
    MIN_WORD_LENGTH,
    STOPWORDS,
)
from text.analysis.themes import WORD, stem
from text.analysis.types import CHINESE, ENGLISH

MIN_COMMENTS = 5
MAX_TOPICS = 10
TERM_COUNT = 5
EXAMPLE_COUNT = 3
# A term must occur in at least this many comments: a word one customer used
# once is no recurring topic, and it keeps the vocabulary small.
MIN_DOCUMENT_FREQUENCY = 2
# A top term weighs at least this share of the topic's leading term: below
# it, a word only happens to share a few comments with the topic.
MIN_TERM_SHARE = 0.1
RANDOM_STATE = 0
MAX_ITERATIONS = 400
# English phrases do not run across punctuation ("no parking. Car…").
CLAUSE_BREAK = re.compile(r"[.!?,;:()\[\]\n]+")


@dataclass(frozen=True)
class Comment:
    id: int
    text: str


@dataclass(frozen=True)
class Topic:
    """A suggested theme: its top terms (as customers wrote them, strongest
    first), how many comments it gathers and the ids of the most typical."""

    terms: tuple[str, ...]
    count: int
    examples: tuple[int, ...]


def suggest_topics(
    comments: Sequence[Comment],
    *,
    language: str,
    keywords: Iterable[str] = (),
    dismissed: Iterable[Sequence[str]] = (),
    min_comments: int = MIN_COMMENTS,
    max_topics: int = MAX_TOPICS,
) -> tuple[Topic, ...]:
    """Topics of the comments (all in `language`), most comments first.
    `keywords` are the active themes' keywords in that language; `dismissed`
    the terms of suggestions a manager dismissed."""
    vocabulary = _Vocabulary(language)
    documents = [(comment, vocabulary.terms(comment.text)) for comment in comments]
    documents = [(comment, terms) for comment, terms in documents if terms]
    if len(documents) < min_comments:
        return ()
    fitted = _fit(
        [terms for _, terms in documents],
        topic_count=min(max_topics, len(documents) // min_comments),
    )
    if fitted is None:
        return ()
    covered = [vocabulary.key(keyword) for keyword in keywords]
    refused = [frozenset(vocabulary.key(term) for term in terms) for terms in dismissed]
    ids = [comment.id for comment, _ in documents]
    candidates = []
    for index, term_keys in enumerate(fitted.top_terms()):
        if not term_keys or _is_covered(term_keys, covered):
            continue
        if any(_is_same_topic(frozenset(term_keys), earlier) for earlier in refused):
            continue
        candidates.append((term_keys, fitted.members(index, term_keys, ids=ids)))
    topics = []
    claimed: set[int] = set()
    # Biggest first; a topic most of whose comments a bigger one already
    # gathers says the same thing in other words ("saturday, parking" after
    # "parking").
    for term_keys, members in sorted(candidates, key=lambda c: (-len(c[1]), c[0])):
        if len(members) < min_comments or 2 * len(claimed & set(members)) > len(
            members
        ):
            continue
        claimed.update(members)
        topics.append(
            Topic(
                terms=tuple(vocabulary.shown(key) for key in term_keys),
                count=len(members),
                examples=tuple(members[:EXAMPLE_COUNT]),
            )
        )
    return tuple(topics)


class _Vocabulary:
    """Turns a comment into its terms (keys: stems joined by a space in
    English, words in Chinese) and remembers the form customers wrote most
    often for each key, to show it."""

    def __init__(self, language: str) -> None:
        if language not in (ENGLISH, CHINESE):
            raise ValueError(f"no topics in language {language!r}")
        self.language = language
        self.forms: dict[str, Counter[str]] = {}

    def terms(self, comment: str) -> list[str]:
        text = clean(comment).text
        found = list(
            _english_terms(text) if self.language == ENGLISH else _chinese_terms(text)
        )
        for key, form in found:
            self.forms.setdefault(key, Counter())[form] += 1
        return [key for key, _ in found]

    def key(self, term: str) -> str:
        if self.language == ENGLISH:
            return " ".join(stem(word) for word in WORD.findall(term))
        return term.strip().lower()

    def shown(self, key: str) -> str:
        forms = self.forms.get(key)
        if not forms:
            return key
        return min(forms, key=lambda form: (-forms[form], form))


def _english_terms(text: str) -> Iterator[tuple[str, str]]:
    """(key, form) of each word and of each pair of adjacent kept words."""
    not_topics = _english_non_topics()
    for clause in CLAUSE_BREAK.split(text):
        previous: tuple[str, str] | None = None
        for match in ENGLISH_WORD.finditer(clause):
            word = match.group().lower().replace("'", "")
            if len(word) < MIN_WORD_LENGTH or word in not_topics:
                previous = None
                continue
            current = (stem(word), word)
            yield current
            if previous is not None:
                yield f"{previous[0]} {current[0]}", f"{previous[1]} {current[1]}"
            previous = current


@cache
def _english_non_topics() -> frozenset[str]:
    # Words that carry sentiment (VADER's and the service lexicon's, with a
    # valence) say how the customer felt, not what about.
    feelings = {word for word, valence in english._lexicon().items() if valence}
    return STOPWORDS | frozenset(feelings)


def _chinese_terms(text: str) -> Iterator[tuple[str, str]]:
    # Imported on first use, as for keywords: jieba's dictionary takes a
    # second to load.
    from text.analysis import chinese, chinese_lexicon

    not_topics = (
        CHINESE_STOPWORDS
        | frozenset(chinese_lexicon.NEGATORS)
        | frozenset(chinese_lexicon.INTENSIFIERS)
        | frozenset(chinese_lexicon.SENTIMENT_WORDS)
    )
    for word, _start, _end in chinese.tokenizer().tokenize(text, HMM=False):
        if CHINESE_WORD.fullmatch(word) and word not in not_topics:
            yield word, word


class _Fitted:
    def __init__(
        self,
        *,
        weights: Any,
        components: Any,
        vocabulary: Iterable[str],
        documents: Sequence[list[str]],
    ) -> None:
        self.weights = weights  # comments × topics
        self.components = components  # topics × terms
        self.vocabulary = [str(term) for term in vocabulary]
        self.row_terms = [set(terms) for terms in documents]

    def top_terms(self) -> Iterator[tuple[str, ...]]:
        import numpy

        for component in self.components:
            # The vocabulary is sorted, and a stable sort keeps that order
            # among equal weights.
            order = numpy.argsort(-component, kind="stable")
            floor = component.max() * MIN_TERM_SHARE
            chosen: list[str] = []
            for index in order:
                if component[index] <= floor or len(chosen) == TERM_COUNT:
                    break
                term = self.vocabulary[index]
                # "car park" adds nothing to "park": both find the same
                # comments.
                if not any(_contains(term, earlier) for earlier in chosen):
                    chosen.append(term)
            yield tuple(chosen)

    def members(
        self, topic: int, term_keys: Sequence[str], *, ids: Sequence[int]
    ) -> list[int]:
        """Ids of the topic's comments, the most typical first: those that use
        its leading term (a theme named after it would tag them), and those
        that lean on it most and use another of its top terms."""
        import numpy

        strongest = numpy.argmax(self.weights, axis=1)
        leading, others = term_keys[0], set(term_keys[1:])
        rows = [
            row
            for row in range(len(ids))
            if leading in self.row_terms[row]
            or (
                strongest[row] == topic
                and self.weights[row, topic] > 0
                and others & self.row_terms[row]
            )
        ]
        typical_first = sorted(
            rows, key=lambda row: (-self.weights[row, topic], ids[row])
        )
        return [ids[row] for row in typical_first]


def _fit(documents: Sequence[list[str]], *, topic_count: int) -> _Fitted | None:
    """TF-IDF, then NMF. None when no term recurs."""
    import numpy
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        analyzer=_as_is,
        min_df=MIN_DOCUMENT_FREQUENCY,
        sublinear_tf=True,
    )
    try:
        matrix = vectorizer.fit_transform(documents)
    except ValueError:  # no term occurs in two comments
        return None
    topic_count = max(1, min(topic_count, matrix.shape[1]))
    model = NMF(
        n_components=topic_count,
        init="nndsvda",
        random_state=RANDOM_STATE,
        max_iter=MAX_ITERATIONS,
    )
    # Topics from a model short of full convergence are still topics; and
    # the error of a nearly exact fit may round below zero before its square
    # root is taken (only the reported error, not the factors).
    with warnings.catch_warnings(), numpy.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        weights = model.fit_transform(matrix)
    return _Fitted(
        weights=weights,
        components=model.components_,
        vocabulary=vectorizer.get_feature_names_out(),
        documents=documents,
    )


def _as_is(terms: list[str]) -> list[str]:
    return terms


def _contains(term: str, part: str) -> bool:
    """Whether the term holds the part: whole words in English keys (joined
    by spaces), characters in Chinese."""
    if term.isascii():
        return f" {part} " in f" {term} "
    return part in term


def _is_covered(term_keys: Sequence[str], keywords: Sequence[str]) -> bool:
    """A theme already says it: the leading term (a new theme would be named
    after it) or at least half the top terms hold a keyword."""
    held = [
        any(keyword and _contains(term, keyword) for keyword in keywords)
        for term in term_keys
    ]
    return held[0] or 2 * sum(held) >= len(held)


def _is_same_topic(terms: frozenset[str], dismissed: frozenset[str]) -> bool:
    """At least half the terms of the smaller set come back: a topic a
    manager dismissed, worded a little differently this week."""
    smaller = min(len(terms), len(dismissed))
    return bool(smaller) and 2 * len(terms & dismissed) >= smaller
