"""The Chinese sentiment analyser: negation, intensity, contrast, spans, odd
input, and its accuracy on the hand-labelled gold set."""

import csv
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from text.analysis import chinese_lexicon
from text.analysis.chinese import sentiment
from text.analysis.types import LABELS, MIXED, NEGATIVE, NEUTRAL, POSITIVE

GOLD = Path(__file__).resolve().parents[2] / "text" / "gold" / "zh.csv"
GOLD_THEMES = {
    "响应速度",
    "服务态度",
    "问题解决",
    "价格",
    "质量",
    "物流",
    "账单",
    "网站与应用",
    "沟通",
}


def words(text):
    """Each sentiment span as (the characters it covers, its sign)."""
    return [
        (text[span.start : span.end], (span.weight > 0) - (span.weight < 0))
        for span in sentiment(text).spans
    ]


# negation


def test_a_negated_word_counts_against():
    assert sentiment("满意").label == POSITIVE
    assert sentiment("不满意").label == NEGATIVE


def test_not_very_satisfied_is_a_milder_complaint_than_not_satisfied():
    mild, plain = sentiment("不是很满意"), sentiment("不满意")
    assert mild.label == NEGATIVE
    assert plain.score < mild.score < 0


def test_not_bad_is_praise():
    assert sentiment("不错").label == POSITIVE


def test_no_problem_is_never_a_complaint():
    assert sentiment("没问题").label in (POSITIVE, NEUTRAL)


@pytest.mark.parametrize(
    "text",
    ["没有解决", "并不专业", "别再敷衍了", "客服一点耐心都没有", "邮件一直没有回复"],
)
def test_negated_or_missing_help_reads_negative(text):
    assert sentiment(text).label == NEGATIVE


def test_a_negated_complaint_reads_as_praise():
    assert sentiment("退货很顺利，没有任何刁难").label == POSITIVE


def test_a_double_negation_cancels_out():
    assert sentiment("没有不满意的地方").label == POSITIVE


# intensity and exclamation


def test_an_intensifier_strengthens_the_word():
    assert sentiment("非常满意").score > sentiment("满意").score > 0
    assert sentiment("非常不满意").score < sentiment("不满意").score < 0


def test_a_softener_weakens_the_word():
    assert sentiment("有点慢").score > sentiment("慢").score
    assert sentiment("有点慢").label == NEGATIVE


def test_an_intensifier_jieba_fused_to_the_word_still_counts():
    # jieba keeps 很快 as one word; the praise is 快, made stronger by 很.
    assert sentiment("很快").score > sentiment("快").score > 0


def test_an_exclamation_mark_strengthens_the_clause():
    assert sentiment("太慢了！").score < sentiment("太慢了").score < 0


# contrast and mixed


@pytest.mark.parametrize(
    "text",
    [
        "客服态度很好，但是问题还是没解决",
        "东西不错，就是物流太慢了",
        "等了很久，不过客服很耐心",
        "价格便宜，可是质量很差",
    ],
)
def test_clauses_that_disagree_strongly_are_mixed(text):
    assert sentiment(text).label == MIXED


def test_a_faint_reservation_does_not_make_praise_mixed():
    assert sentiment("非常满意，客服很专业也很耐心，就是稍微有点慢").label == POSITIVE


def test_the_past_counts_for_less_than_now():
    assert sentiment("以前服务挺好的，现在越来越差").label == NEGATIVE


def test_waiting_and_unanswered_calls_are_complaints_without_a_sentiment_word():
    assert sentiment("打了一下午电话都打不通").label == NEGATIVE
    assert sentiment("等了两个小时才有人接").label == NEGATIVE


def test_never_with_nothing_named_after_it_is_a_complaint():
    text = "客服根本没看我写了什么"
    assert words(text) == [("根本没", -1)]
    assert sentiment("我一直没时间用").label == NEUTRAL


def test_never_this_satisfied_before_is_praise():
    assert sentiment("从来没有这么满意过").label == POSITIVE


def test_several_is_not_praise():
    assert words("打了好几次电话") == [("好几次", -1)]


def test_a_negation_after_a_duration_negates_what_follows_it():
    assert words("说了半天也没说明白") == [("半天", -1), ("说明白", -1)]


def test_scare_quotes_turn_praise_into_sarcasm():
    assert sentiment("真是“高效”，拖了两周").label == NEGATIVE


def test_a_polite_request_is_not_a_complaint():
    assert sentiment("麻烦帮我查一下订单").label == NEUTRAL


def test_a_plain_question_is_neutral():
    assert sentiment("请问发票怎么开？").label == NEUTRAL


# spans


def test_spans_point_at_the_sentiment_words_with_their_sign():
    assert words("服务很好，但是物流太慢了") == [("好", 1), ("慢", -1)]


def test_a_negated_word_has_a_negative_span():
    assert words("不是很满意") == [("满意", -1)]


def test_a_lexicon_word_that_includes_its_negation_is_one_span():
    assert words("非常不满意") == [("不满意", -1)]


def test_a_span_after_a_fused_intensifier_covers_the_word_alone():
    assert words("回复很快") == [("快", 1)]


def test_span_offsets_are_offsets_into_the_original_text():
    text = "<p>订单 #１２３：客服\u200b态度很差！</p>"
    (span,) = sentiment(text).spans
    assert (span.start, span.end) == (text.index("差"), text.index("差") + 1)
    assert span.weight < 0


def test_letters_that_lengthen_when_lower_cased_do_not_shift_offsets():
    text = "İİ ＡＰＰ很好用"
    (span,) = sentiment(text).spans
    assert text[span.start : span.end] == "好用"


def test_full_width_english_is_read_like_ascii():
    assert sentiment("客服很ＮＩＣＥ").label == POSITIVE


def test_a_span_weight_includes_negation_and_intensity():
    (plain,) = sentiment("满意").spans
    (strong,) = sentiment("非常满意").spans
    (negated,) = sentiment("不是很满意").spans
    assert strong.weight == pytest.approx(plain.weight * 1.5)
    assert -plain.weight < negated.weight < 0


def test_emoji_carry_sentiment_and_spans():
    assert words("👍👍") == [("👍", 1), ("👍", 1)]
    assert sentiment("😡").label == NEGATIVE


def test_a_comment_without_sentiment_words_has_no_spans():
    result = sentiment("我想咨询一下账户绑定")
    assert (result.score, result.label, result.spans) == (0.0, NEUTRAL, ())


# odd input


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "🙂🙃🤔",
        "<div><b></b></div>",
        "\x00\x01\x1b[31m\x7f",
        "客服很nice but the app keeps crashing 😡",
        "好" * 5000,
        "慢，" * 2500,
        "&nbsp;&lt;script&gt;",
        "\ud800",
    ],
)
def test_odd_input_never_raises(text):
    result = sentiment(text)
    assert -1 <= result.score <= 1
    assert result.label in LABELS
    assert all(0 <= span.start < span.end <= len(text) for span in result.spans)


def test_repeated_intensifiers_stop_adding_up():
    (span,) = sentiment("非常" * 50 + "满意").spans
    assert span.weight == pytest.approx(sentiment("满意").spans[0].weight * 3)


def test_empty_and_emoji_without_meaning_are_neutral():
    assert sentiment("").label == NEUTRAL
    assert sentiment("   ").label == NEUTRAL
    assert sentiment("🤔").label == NEUTRAL


def test_a_very_long_comment_is_read_only_to_the_limit():
    result = sentiment("很满意。" * 5000)
    assert result.label == POSITIVE
    assert max(span.end for span in result.spans) <= 10_000


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_any_text_gets_a_valid_result_with_spans_inside_it(text):
    result = sentiment(text)
    assert -1 <= result.score <= 1
    assert result.label in LABELS
    assert all(0 <= span.start < span.end <= len(text) for span in result.spans)
    assert all(math.isfinite(span.weight) for span in result.spans)
    assert list(result.spans) == sorted(result.spans, key=lambda span: span.start)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["满意", "专业", "耐心", "及时", "给力"]))
def test_negating_praise_always_lowers_the_score(word):
    assert sentiment("不" + word).score < 0 < sentiment(word).score


def test_the_same_comment_always_gets_the_same_result():
    text = "客服态度很好，但是问题还是没解决，等了三天"
    assert sentiment(text) == sentiment(text)


# the lexicon and the gold set


def test_the_lexicon_is_general_vocabulary_of_several_hundred_words():
    weights = chinese_lexicon.SENTIMENT_WORDS
    assert len(weights) >= 500
    assert all(-1 <= weight <= 1 for weight in weights.values())
    assert sum(weight > 0 for weight in weights.values()) >= 200
    assert sum(weight < 0 for weight in weights.values()) >= 200


def read_gold():
    with GOLD.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_the_gold_set_is_large_labelled_and_uses_only_the_starter_themes():
    rows = read_gold()
    assert len(rows) >= 160
    assert list(rows[0]) == ["text", "sentiment", "themes"]
    assert {row["sentiment"] for row in rows} == set(LABELS)
    for row in rows:
        themes = [theme for theme in row["themes"].split(";") if theme]
        assert set(themes) <= GOLD_THEMES, row


def macro_f1(pairs):
    scores = []
    for label in LABELS:
        hits = sum(1 for gold, got in pairs if gold == label and got == label)
        predicted = sum(1 for _, got in pairs if got == label)
        actual = sum(1 for gold, _ in pairs if gold == label)
        precision = hits / predicted if predicted else 0.0
        recall = hits / actual if actual else 0.0
        total = precision + recall
        scores.append(2 * precision * recall / total if total else 0.0)
    return sum(scores) / len(scores)


def test_macro_f1_by_hand_matches_a_known_case():
    pairs = [
        (POSITIVE, POSITIVE),
        (POSITIVE, NEGATIVE),
        (NEGATIVE, NEGATIVE),
        (NEUTRAL, NEUTRAL),
        (MIXED, MIXED),
    ]
    # positive 2/3, negative 2/3, neutral 1, mixed 1
    assert macro_f1(pairs) == pytest.approx((2 / 3 + 2 / 3 + 1 + 1) / 4)


def test_the_gold_sets_macro_f1_stays_at_or_above_the_target():
    pairs = [(row["sentiment"], sentiment(row["text"]).label) for row in read_gold()]
    assert macro_f1(pairs) >= 0.85


# The first rows were written before the analyser; every fourth of them
# (3, 7, 11, ... counted from 0) was never looked at while the lexicon and the
# rules were tuned. The rows after them were written later, scored once
# unseen, and then used for tuning like the other three quarters.
ROWS_WRITTEN_FIRST = 222


def test_the_quarter_held_aside_while_tuning_also_meets_the_target():
    first = read_gold()[:ROWS_WRITTEN_FIRST]
    held = [row for index, row in enumerate(first) if index % 4 == 3]
    pairs = [(row["sentiment"], sentiment(row["text"]).label) for row in held]
    assert macro_f1(pairs) >= 0.85
