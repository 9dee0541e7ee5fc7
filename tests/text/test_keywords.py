from text.analysis.keywords import extract_keywords
from text.analysis.types import CHINESE, ENGLISH, UNKNOWN


def test_english_keywords_are_the_most_frequent_words_without_stopwords():
    text = "The refund was late. The refund is still late and the invoice is wrong."
    assert extract_keywords(text, language=ENGLISH, count=3) == (
        "refund",
        "late",
        "invoice",
    )


def test_inflections_count_together_under_their_commonest_form():
    text = "Delays, delays, delayed again, and the courier"
    assert extract_keywords(text, language=ENGLISH, count=2) == ("delays", "courier")


def test_a_comment_of_stopwords_has_no_keywords():
    assert extract_keywords("It was all of them, and so on.", language=ENGLISH) == ()


def test_chinese_keywords_come_from_jieba():
    keywords = extract_keywords("快递太慢了，快递员态度也很差", language=CHINESE)
    assert "快递" in keywords
    assert len(keywords) <= 5


def test_an_unknown_language_has_no_keywords():
    assert extract_keywords("Merci beaucoup", language=UNKNOWN) == ()


def test_chinese_function_words_are_not_keywords():
    keywords = extract_keywords("客服态度也不是很好，不是第一次了", language=CHINESE)
    assert "不是" not in keywords
    assert "态度" in keywords
