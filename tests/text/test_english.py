from text.analysis.english import sentiment
from text.analysis.types import MIXED, NEGATIVE, NEUTRAL, POSITIVE


def weight_of(text, word):
    found = sentiment(text)
    start = text.index(word)
    return next(span.weight for span in found.spans if span.start == start)


def test_a_negated_word_counts_against():
    found = sentiment("I am not happy at all.")
    assert found.label == NEGATIVE
    assert weight_of("I am not happy at all.", "happy") < 0


def test_not_at_all_weighs_more_than_a_plain_negation():
    assert weight_of("not happy at all", "happy") < weight_of("not happy", "happy")


def test_a_negated_complaint_is_faint_praise():
    assert sentiment("not bad").label == POSITIVE


def test_very_makes_a_word_stronger():
    assert weight_of("very helpful", "helpful") > weight_of("helpful", "helpful") > 0
    assert weight_of("very rude", "rude") < weight_of("rude", "rude") < 0


def test_the_clause_after_but_decides_when_the_other_is_faint():
    found = sentiment("It was okay but the wait was ridiculous.")
    assert found.label == NEGATIVE


def test_strongly_disagreeing_clauses_are_mixed():
    assert sentiment("Nice people, awful product.").label == MIXED
    assert sentiment("The staff were lovely but the wait was terrible.").label == MIXED


def test_thanks_does_not_make_a_complaint_mixed():
    assert sentiment("Thanks, but my problem is still not fixed.").label == NEGATIVE


def test_a_comment_with_no_feeling_is_neutral():
    found = sentiment("I called about my invoice on Tuesday.")
    assert (found.label, found.score, found.spans) == (NEUTRAL, 0.0, ())


def test_spans_cover_the_sentiment_words_with_their_signed_weights():
    text = "The agent was rude, the chat was great."
    found = sentiment(text)
    words = [(text[span.start : span.end], span.weight > 0) for span in found.spans]
    assert words == [("rude", False), ("great", True)]


def test_a_denied_act_of_service_is_a_complaint():
    text = "Nobody answered my emails."
    found = sentiment(text)
    assert found.label == NEGATIVE
    assert [text[span.start : span.end] for span in found.spans] == ["answered"]


def test_bare_praise_among_complaints_is_read_as_sarcasm():
    assert sentiment("Great, another hour on hold. Just wonderful.").label == NEGATIVE


def test_praise_alone_is_praise():
    assert sentiment("Great!").label == POSITIVE


def test_common_misspellings_still_count():
    assert weight_of("the agent was helpfull", "helpfull") > 0


def test_emoji_carry_sentiment():
    assert sentiment("😡😡").label == NEGATIVE
    assert sentiment("Delivered on time 👍").label == POSITIVE


def test_a_fixed_complaint_is_not_a_complaint():
    assert sentiment("They fixed the billing mistake quickly.").label == POSITIVE


def test_the_score_stays_within_minus_one_and_one():
    loud = "TERRIBLE!!!! " * 50
    assert -1 <= sentiment(loud).score < -0.9
    assert 0.9 < sentiment("EXCELLENT!!!! " * 50).score <= 1


def test_an_elliptical_negation_denies_the_clause_before():
    assert sentiment("The staff were polite, the bill was not.").label == MIXED


def test_thank_you_does_not_make_a_complaint_mixed_either():
    assert sentiment("Thank you, but the invoice is still wrong.").label == NEGATIVE
