"""Recurring topics that no theme covers (text.analysis.suggestions): pure
code, no database. A planted topic is found, the same comments give the same
topics, and a topic a theme or a dismissal already answers is dropped."""

import subprocess
import sys

import pytest

from text.analysis.suggestions import Comment, Topic, suggest_topics

PARKING = [
    "There is never any parking near the store.",
    "Parking was impossible, I drove around for ages.",
    "No parking spaces left at noon.",
    "The parking was full again on Saturday.",
    "Parking costs too much here.",
    "Could not find parking anywhere.",
    "The parking is tiny for a shop this size.",
    "Please add more parking.",
    "Parking attendant waved me away.",
    "Paid for parking twice because the machine ate my ticket.",
    "The parking garage is dark and smells.",
    "Parking on Saturdays takes half an hour.",
]
# Comments about one thing each: nothing in them recurs.
SCATTERED = [
    "My grandmother loved the knitted scarf.",
    "Umbrella stand by the door was broken.",
    "Music in the fitting rooms was loud.",
    "Elevator smelled of paint.",
    "Christmas decorations went up in October.",
    "A dog barked through my whole visit.",
    "Toilets had no soap.",
    "Receipt printer jammed twice.",
    "Window display is dusty.",
    "Heating was off in January.",
]
PARKING_IDS = set(range(100, 100 + len(PARKING)))


def comments() -> list[Comment]:
    return [Comment(id=100 + i, text=text) for i, text in enumerate(PARKING)] + [
        Comment(id=200 + i, text=text) for i, text in enumerate(SCATTERED)
    ]


def test_a_planted_topic_is_found_with_its_comments():
    topics = suggest_topics(comments(), language="en")

    assert len(topics) == 1
    [topic] = topics
    assert topic.terms[0] == "parking"
    assert topic.count == len(PARKING)
    assert len(topic.examples) == 3
    assert set(topic.examples) <= PARKING_IDS


def test_the_same_comments_give_the_same_topics():
    first = suggest_topics(comments(), language="en")
    second = suggest_topics(comments(), language="en")

    assert first == second
    assert first != ()


def test_a_topic_whose_top_term_is_a_theme_keyword_is_not_suggested():
    # "parked" stems as "parking" does: the keyword covers the topic.
    assert suggest_topics(comments(), language="en", keywords=["parked"]) == ()


def test_a_dismissed_topic_is_not_suggested_again_worded_a_little_differently():
    [topic] = suggest_topics(comments(), language="en")
    assert topic.terms == ("parking",)
    reworded = ["parked", "lot"]

    assert suggest_topics(comments(), language="en", dismissed=[reworded]) == ()
    assert suggest_topics(
        comments(), language="en", dismissed=[["refund", "voucher"]]
    ) == (topic,)


def test_a_topic_needs_the_minimum_number_of_comments():
    few = [Comment(id=i, text=text) for i, text in enumerate(PARKING[:4])]

    assert suggest_topics(few + comments()[12:], language="en") == ()
    assert suggest_topics(
        [Comment(id=i, text=text) for i, text in enumerate(PARKING[:6])],
        language="en",
        min_comments=6,
    ) == (Topic(terms=("parking",), count=6, examples=(0, 1, 2)),)


def test_sentiment_words_and_stopwords_are_no_topic():
    praise = [
        Comment(id=i, text=text)
        for i, text in enumerate(
            ["Great, just great!", "Great job.", "It was great.", "Great!!"] * 2
        )
    ]

    assert suggest_topics(praise, language="en") == ()


def test_a_chinese_topic_is_made_of_the_analysers_words():
    texts = [
        "停车场太小了，根本停不下",
        "停车场收费太贵",
        "找不到停车场入口",
        "停车场的灯坏了",
        "停车场排队半小时",
        "周末停车场总是满的",
        "停车场指示牌看不清",
        "我奶奶喜欢这条围巾",
        "门口的伞架坏了",
        "试衣间音乐太吵",
        "电梯里有油漆味",
    ]
    found = suggest_topics(
        [Comment(id=i, text=text) for i, text in enumerate(texts)], language="zh"
    )

    assert [topic.terms[0] for topic in found] == ["停车场"]
    assert found[0].count == 7


def test_comments_in_another_language_are_refused():
    with pytest.raises(ValueError, match="no topics in language 'unknown'"):
        suggest_topics(comments(), language="unknown")


def test_importing_the_module_does_not_load_scikit_learn():
    code = (
        "import sys, text.analysis.suggestions; "
        "print(any(m.split('.')[0] == 'sklearn' for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"
