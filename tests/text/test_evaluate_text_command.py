import re
import sys
import types
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

import text.analysis
from text.analysis.types import NEGATIVE, POSITIVE, Sentiment

# The themes are the installation's, which the migrations start.
pytestmark = pytest.mark.django_db


def evaluate_text(*arguments):
    stdout = StringIO()
    call_command("evaluate_text", *arguments, stdout=stdout)
    return stdout.getvalue()


def gold_file(tmp_path, content, *, encoding="utf-8"):
    path = tmp_path / "gold.csv"
    path.write_bytes(content.encode(encoding))
    return str(path)


def test_the_last_line_gives_macro_f1_accuracy_and_size(tmp_path):
    path = gold_file(
        tmp_path,
        "text,sentiment,themes\n"
        "The agent was rude.,negative,staff attitude\n"
        "Great service!,positive,\n"
        "I called about my invoice.,neutral,billing\n"
        "Nice people,negative,\n",
    )

    output = evaluate_text("--language", "en", "--gold", path)

    # "Nice people" reads positive: negative P 1, R 1/2; positive P 1/2,
    # R 1; both F1 2/3; neutral F1 1: macro 7/9.
    assert output.splitlines()[-1] == "sentiment macro-F1 0.78, accuracy 0.75, n 4"
    # "Nice people" is also about the staff, though not so labelled.
    assert "staff attitude            0.50    1.00     1      2" in output
    assert "billing                   1.00    1.00     1      1" in output


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = gold_file(
        tmp_path, "text,sentiment\nGreat!,positive\n", encoding="utf-8-sig"
    )
    assert evaluate_text("--language", "en", "--gold", path).endswith(
        "sentiment macro-F1 1.00, accuracy 1.00, n 1\n"
    )


def test_a_missing_file_is_a_clear_error(tmp_path):
    missing = str(tmp_path / "nowhere.csv")
    with pytest.raises(
        CommandError, match=f"^{re.escape(f'There is no file {missing}.')}$"
    ):
        evaluate_text("--language", "en", "--gold", missing)


def test_a_bad_header_names_line_one(tmp_path):
    path = gold_file(tmp_path, "comment,label\nx,positive\n")
    with pytest.raises(CommandError) as raised:
        evaluate_text("--language", "en", "--gold", path)
    assert str(raised.value) == (
        f"{path}, line 1: the header must be text,sentiment or "
        "text,sentiment,themes, not comment,label."
    )


def test_a_bad_label_names_its_line(tmp_path):
    path = gold_file(tmp_path, "text,sentiment\nfine,positive\nmeh,so-so\n")
    with pytest.raises(CommandError) as raised:
        evaluate_text("--language", "en", "--gold", path)
    assert str(raised.value) == (
        f"{path}, line 3: the sentiment must be one of negative, neutral, "
        "positive, mixed, not 'so-so'."
    )


def test_a_theme_outside_the_taxonomy_names_its_line(tmp_path):
    path = gold_file(tmp_path, "text,sentiment,themes\nlate,negative,shipping\n")
    with pytest.raises(CommandError, match="line 2: unknown theme 'shipping'"):
        evaluate_text("--language", "en", "--gold", path)


def test_a_file_that_is_not_utf8_is_a_clear_error(tmp_path):
    path = gold_file(tmp_path, "text,sentiment\ncafé,positive\n", encoding="latin-1")
    with pytest.raises(CommandError, match="is not UTF-8 text"):
        evaluate_text("--language", "en", "--gold", path)


def test_a_directory_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match=f"^{re.escape(f'Cannot read {tmp_path}')}"):
        evaluate_text("--language", "en", "--gold", str(tmp_path))


def test_chinese_goes_to_the_chinese_analyser_and_chinese_theme_names(
    tmp_path, monkeypatch
):
    def sentiment(text):
        return Sentiment(
            score=-0.5 if "慢" in text else 0.5,
            label=NEGATIVE if "慢" in text else POSITIVE,
        )

    stub = types.ModuleType("text.analysis.chinese")
    stub.sentiment = sentiment  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "text.analysis.chinese", stub)
    monkeypatch.setattr(text.analysis, "chinese", stub, raising=False)
    path = gold_file(
        tmp_path,
        "text,sentiment,themes\n快递太慢了,negative,物流\n客服很好,positive,服务态度\n",
    )

    output = evaluate_text("--language", "zh", "--gold", path)

    assert output.splitlines()[-1] == "sentiment macro-F1 1.00, accuracy 1.00, n 2"
    # A Chinese character takes two columns: the figures stay aligned.
    assert "物流                      1.00    1.00     1      1" in output.splitlines()
