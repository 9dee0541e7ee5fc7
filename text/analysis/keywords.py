"""A few keywords of a comment: the words that say what it is about.

Both languages: the most frequent words once stopwords are gone; ties go
to the longer word, which usually says more, then to the earlier one.
English counts inflections together ("delays" and "delayed"); Chinese words
come from the Chinese analyser's own jieba tokenizer (its dictionary ships
in the wheel), so a worker holds one dictionary, and nothing is downloaded
at run time.
"""

import re
from collections import Counter

from text.analysis.themes import stem
from text.analysis.types import CHINESE, ENGLISH

KEYWORD_COUNT = 5
MIN_WORD_LENGTH = 3
ENGLISH_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
# English function words (the usual stop list; not scikit-learn's, whose
# import would cost every web process a hundred megabytes).
# fmt: off
ENGLISH_STOPWORDS = frozenset({
    "about", "above", "after", "again", "against", "all", "also", "although", "am",
    "among", "and", "another", "any", "anyone", "anything", "are", "around", "because",
    "been", "before", "being", "below", "between", "both", "but", "can", "could",
    "did", "does", "doing", "done", "down", "during", "each", "either", "else",
    "enough", "even", "ever", "every", "few", "for", "from", "further", "had", "has",
    "have", "having", "her", "here", "hers", "herself", "him", "himself", "his",
    "how", "however", "into", "its", "itself", "let", "many", "may", "might", "more",
    "most", "much", "must", "myself", "neither", "never", "nobody", "none", "nor",
    "not", "nothing", "now", "off", "often", "once", "one", "only", "other", "others",
    "our", "ours", "ourselves", "out", "over", "own", "per", "perhaps", "quite",
    "rather", "same", "several", "she", "should", "since", "some", "someone",
    "something", "such", "than", "that", "the", "their", "theirs", "them",
    "themselves", "then", "there", "these", "they", "this", "those", "though",
    "through", "thus", "too", "toward", "towards", "under", "until", "upon", "very",
    "was", "were", "what", "whatever", "when", "where", "whether", "which", "while",
    "who", "whom", "whose", "why", "will", "with", "within", "without", "would",
    "yet", "you", "your", "yours", "yourself", "yourselves", "ago", "almost",
    "already", "always", "anyway", "became", "become", "becomes", "beside", "besides",
    "cannot", "etc", "everyone", "everything", "less", "made", "make", "makes",
    "me", "mine", "my", "no", "put", "see", "seem", "seemed", "seems", "so",
    "take", "thing", "to", "us", "we", "well", "went", "go", "goes",
})
# fmt: on
# Words of every support conversation, which say nothing about this one.
# fmt: off
CONVERSATION_WORDS = frozenset({
    "just", "got", "get", "really", "dont", "didnt", "doesnt", "cant", "couldnt",
    "isnt", "wasnt", "ive", "im", "thanks", "thank", "please", "hi", "hello", "ok",
    "okay", "yes", "told", "said", "asked", "lot", "bit", "way", "thing", "things",
    "time", "today", "yesterday", "guess", "still",
})
# fmt: on
STOPWORDS = ENGLISH_STOPWORDS | CONVERSATION_WORDS
CHINESE_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")
# jieba's own stopword list is short; these function words and intensifiers
# are frequent in comments and say nothing about the topic.
# fmt: off
CHINESE_STOPWORDS = frozenset({
    "不是", "没有", "什么", "这个", "那个", "我们", "你们", "他们", "就是", "还是",
    "已经", "一个", "可以", "因为", "所以", "但是", "然后", "而且", "如果", "虽然",
    "这么", "那么", "怎么", "真的", "非常", "特别", "有点", "一直", "还有", "现在",
    "今天", "一下", "知道", "觉得", "感觉", "不过", "可是", "只是", "这样", "那样",
})
# fmt: on


def extract_keywords(
    text: str, *, language: str, count: int = KEYWORD_COUNT
) -> tuple[str, ...]:
    if language == ENGLISH:
        return _english_keywords(text, count)
    if language == CHINESE:
        return _chinese_keywords(text, count)
    return ()


def _english_keywords(text: str, count: int) -> tuple[str, ...]:
    by_stem: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    first_seen: dict[str, int] = {}
    for position, match in enumerate(ENGLISH_WORD.finditer(text)):
        word = match.group().lower().replace("'", "")
        if len(word) < MIN_WORD_LENGTH or word in STOPWORDS:
            continue
        root = stem(word)
        by_stem[root] += 1
        forms.setdefault(root, Counter())[word] += 1
        first_seen.setdefault(root, position)
    ranked = sorted(
        by_stem,
        key=lambda root: (-by_stem[root], -len(root), first_seen[root]),
    )
    return tuple(forms[root].most_common(1)[0][0] for root in ranked[:count])


def _chinese_keywords(text: str, count: int) -> tuple[str, ...]:
    # Imported on first use: loading jieba's dictionary takes about a second,
    # which an English-only worker need not pay.
    from text.analysis import chinese, chinese_lexicon

    # Sentiment words say how the customer felt, not what about.
    not_topics = (
        CHINESE_STOPWORDS
        | frozenset(chinese_lexicon.NEGATORS)
        | frozenset(chinese_lexicon.INTENSIFIERS)
        | frozenset(chinese_lexicon.SENTIMENT_WORDS)
    )
    counts: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    for word, start, _end in chinese.tokenizer().tokenize(text, HMM=False):
        if CHINESE_WORD.fullmatch(word) and word not in not_topics:
            counts[word] += 1
            first_seen.setdefault(word, start)
    ranked = sorted(
        counts, key=lambda word: (-counts[word], -len(word), first_seen[word])
    )
    return tuple(ranked[:count])
