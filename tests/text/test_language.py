import pytest

from text.analysis.language import detect_language
from text.analysis.types import CHINESE, ENGLISH, UNKNOWN


@pytest.mark.parametrize(
    "comment",
    [
        "The agent was very helpful.",
        "Excellent!",
        "not happy at all",
        "teh agent was realy helpfull",
        "Thank you Mark for explaining everything so clearly 😊",
    ],
)
def test_english_comments_are_english(comment):
    assert detect_language(comment) == ENGLISH


@pytest.mark.parametrize(
    "comment",
    ["客服态度很好", "好", "物流太慢了，等了一个星期", "我的iPhone订单还没到，很着急"],
)
def test_chinese_comments_are_chinese_even_with_a_brand_name(comment):
    assert detect_language(comment) == CHINESE


@pytest.mark.parametrize(
    "comment",
    [
        "",
        "   \n\t ",
        "12345 678",
        "😡😡😡",
        "👍",
        "!!! ???",
        "Merci beaucoup, le service était excellent",
        "Der Service war sehr gut",
        "El servicio fue muy malo",
        "Très bien",
        "サービスはとても良かったです",
        "Обслуживание отличное",
    ],
)
def test_no_words_or_another_language_is_unknown(comment):
    assert detect_language(comment) == UNKNOWN


def test_mixed_chinese_and_english_goes_to_the_dominant_language():
    assert detect_language("服务很好，物流也很快，就是 app 有点卡") == CHINESE
    assert (
        detect_language("The delivery was quick and the driver was kind 谢谢")
        == ENGLISH
    )


def test_mixed_chinese_and_english_with_no_dominant_language_is_unknown():
    assert detect_language("The app 很好用") == UNKNOWN
