import pytest

from text.analysis.themes import match_themes
from text.analysis.types import CHINESE, ENGLISH, UNKNOWN, Span, ThemeSpec

DELIVERY = ThemeSpec(
    key="delivery", keywords={ENGLISH: ("delay", "on hold"), CHINESE: ("物流", "快递")}
)
APP = ThemeSpec(key="app", keywords={ENGLISH: ("app",), CHINESE: ("应用",)})


def keys_and_texts(text, themes, language=ENGLISH):
    return [
        (match.key, [text[span.start : span.end] for span in match.spans])
        for match in match_themes(text, themes, language=language)
    ]


@pytest.mark.parametrize("word", ["delay", "Delays", "DELAYED", "delaying"])
def test_english_keywords_match_any_inflection_and_case(word):
    assert keys_and_texts(f"Sorry for the {word}.", [DELIVERY]) == [
        ("delivery", [word])
    ]


def test_english_keywords_match_whole_words_only():
    assert keys_and_texts("I am happy with my apples", [APP]) == []
    assert keys_and_texts("The app's menu", [APP]) == [("app", ["app's"])]


def test_a_keyword_of_several_words_matches_them_in_sequence():
    assert keys_and_texts("I was on hold.", [DELIVERY]) == [("delivery", ["on hold"])]
    assert keys_and_texts("Hold on, I was on the phone.", [DELIVERY]) == []


def test_every_hit_is_a_span_with_no_weight():
    text = "Delay after delay."
    (match,) = match_themes(text, [DELIVERY], language=ENGLISH)
    assert match.spans == (Span(0, 5, 0.0), Span(12, 17, 0.0))


def test_chinese_keywords_match_as_substrings():
    text = "快递很慢，物流信息也不更新"
    assert keys_and_texts(text, [DELIVERY, APP], CHINESE) == [
        ("delivery", ["快递", "物流"])
    ]


def test_only_the_keywords_of_the_comment_language_count():
    assert keys_and_texts("物流 delay", [DELIVERY], ENGLISH) == [
        ("delivery", ["delay"])
    ]
    assert match_themes("delay", [DELIVERY], language=UNKNOWN) == ()


def test_a_child_theme_implies_its_parent_with_the_child_spans():
    parent = ThemeSpec(key="service", keywords={ENGLISH: ()})
    child = ThemeSpec(key="waiting", keywords={ENGLISH: ("queue",)}, parent="service")
    assert keys_and_texts("A long queue.", [parent, child]) == [
        ("service", ["queue"]),
        ("waiting", ["queue"]),
    ]


def test_a_parent_alone_does_not_imply_its_children():
    parent = ThemeSpec(key="service", keywords={ENGLISH: ("service",)})
    child = ThemeSpec(key="waiting", keywords={ENGLISH: ("queue",)}, parent="service")
    assert keys_and_texts("Good service.", [parent, child]) == [
        ("service", ["service"])
    ]


def test_a_cycle_of_parents_ends():
    first = ThemeSpec(key="a", keywords={ENGLISH: ("alpha",)}, parent="b")
    second = ThemeSpec(key="b", keywords={ENGLISH: ("beta",)}, parent="a")
    assert keys_and_texts("alpha", [first, second]) == [
        ("a", ["alpha"]),
        ("b", ["alpha"]),
    ]


def test_empty_keywords_match_nothing():
    blank = ThemeSpec(key="blank", keywords={ENGLISH: ("", "  "), CHINESE: ("",)})
    assert match_themes("anything", [blank], language=ENGLISH) == ()
    assert match_themes("任何", [blank], language=CHINESE) == ()
