import pytest

from text.analysis import analyse
from text.analysis.clean import MAX_ANALYSED_CHARS, clean
from text.analysis.types import ENGLISH, LABELS, NEUTRAL, UNKNOWN, Analysis
from text.taxonomy import starter_theme_specs

THEMES = starter_theme_specs()


def assert_spans_inside(comment, analysis):
    spans = [*analysis.sentiment.spans]
    spans += [span for match in analysis.themes for span in match.spans]
    for span in spans:
        assert 0 <= span.start < span.end <= len(comment)


@pytest.mark.parametrize(
    "comment",
    ["", "   ", "\n\t\r\n", "😡😡😡", "👍", "12345", "....", "\x00\x01\x02"],
)
def test_a_comment_without_words_is_unknown_and_neutral(comment):
    analysis = analyse(comment, themes=THEMES)
    assert analysis == Analysis(
        language=UNKNOWN,
        sentiment=analysis.sentiment,
        themes=(),
        keywords=(),
    )
    assert (analysis.sentiment.label, analysis.sentiment.score) == (NEUTRAL, 0.0)
    assert analysis.sentiment.spans == ()


def test_html_is_read_as_text_with_spans_in_the_original():
    comment = "<p>The agent was <b>rude</b> &amp; the <i>delivery</i> late</p>"

    analysis = analyse(comment, themes=THEMES)

    assert analysis.language == ENGLISH
    assert analysis.sentiment.label == "negative"
    words = [comment[s.start : s.end] for s in analysis.sentiment.spans]
    assert "rude" in words
    themes = {
        match.key: [comment[s.start : s.end] for s in match.spans]
        for match in analysis.themes
    }
    assert themes["delivery"] == ["delivery"]
    assert "b" not in analysis.keywords


def test_a_script_element_is_not_read():
    comment = "<script>alert('terrible awful')</script>Great service"
    analysis = analyse(comment, themes=THEMES)
    assert analysis.sentiment.label == "positive"
    assert [comment[s.start : s.end] for s in analysis.sentiment.spans] == ["Great"]


def test_control_characters_separate_words_and_keep_offsets():
    comment = "Not\x00happy\x07at all with the\x1brefund"
    analysis = analyse(comment, themes=THEMES)
    assert analysis.sentiment.label == "negative"
    assert [comment[s.start : s.end] for s in analysis.sentiment.spans] == ["happy"]
    assert [m.key for m in analysis.themes] == ["billing"]


def test_an_entity_span_covers_the_whole_entity():
    cleaned = clean("a&amp;b")
    assert cleaned.text == "a&b"
    assert cleaned.original_span(1, 2) == (1, 6)


def test_only_a_bounded_prefix_of_a_long_comment_is_read():
    comment = "The staff were rude. " + "x" * MAX_ANALYSED_CHARS + " wonderful"

    analysis = analyse(comment, themes=THEMES)

    assert clean(comment).is_truncated
    assert analysis.sentiment.label == "negative"
    assert_spans_inside(comment, analysis)


def test_a_long_english_comment_is_analysed():
    comment = "The delivery was late and the agent was rude. " * 200
    analysis = analyse(comment, themes=THEMES)
    assert analysis.language == ENGLISH
    assert analysis.sentiment.label == "negative"
    assert_spans_inside(comment, analysis)


@pytest.mark.parametrize(
    "comment",
    [
        "The app 很好用",
        "Merci, le service était excellent",
        "I <3 it :)",
        "a < b > c",
        "<<<>>>",
        "&notanentity; &#99999999;",
        "\ud800 lone surrogate",
        "ok" * 3000,
        "😀" * 6000,
        "Thx!!!!!!!!!!!!!!!!!!!!!!",
        "NOT HAPPY",
    ],
)
def test_odd_comments_give_a_result_never_an_error(comment):
    analysis = analyse(comment, themes=THEMES)
    assert analysis.language in {"en", "zh", "unknown"}
    assert analysis.sentiment.label in LABELS
    assert -1 <= analysis.sentiment.score <= 1
    assert_spans_inside(comment, analysis)


def test_a_comment_in_another_language_gets_no_themes_or_keywords():
    analysis = analyse("Le service de livraison était lent", themes=THEMES)
    assert (analysis.language, analysis.themes, analysis.keywords) == (
        UNKNOWN,
        (),
        (),
    )
