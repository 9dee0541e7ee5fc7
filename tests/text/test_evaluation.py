import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from text.analysis.types import LABELS
from text.evaluation import (
    GoldFileError,
    GoldRow,
    Prediction,
    evaluate,
    format_report,
    read_gold,
    score,
)

THEMES = ("price", "delivery", "billing")


def row(sentiment, *themes, text="a comment"):
    return GoldRow(text=text, sentiment=sentiment, themes=frozenset(themes))


def prediction(sentiment, *themes):
    return Prediction(sentiment=sentiment, themes=frozenset(themes))


labelled = st.lists(
    st.tuples(
        st.sampled_from(LABELS),
        st.sampled_from(LABELS),
        st.frozensets(st.sampled_from(THEMES)),
        st.frozensets(st.sampled_from(THEMES)),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(labelled)
def test_sentiment_figures_agree_with_scikit_learn(pairs):
    rows = [row(gold, *gold_themes) for gold, _, gold_themes, _ in pairs]
    predictions = [prediction(found, *themes) for _, found, _, themes in pairs]
    gold = [pair[0] for pair in pairs]
    found = [pair[1] for pair in pairs]

    report = score(rows, predictions)

    assert report.accuracy == pytest.approx(accuracy_score(gold, found))
    assert report.macro_f1 == pytest.approx(
        f1_score(gold, found, average="macro", zero_division=0)
    )
    labels = list(report.labels)
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, found, labels=labels, zero_division=0
    )
    for index, label in enumerate(labels):
        scores = report.per_label[label]
        assert (scores.precision or 0.0) == pytest.approx(precision[index])
        assert (scores.recall or 0.0) == pytest.approx(recall[index])
        assert scores.f1 == pytest.approx(f1[index])
        assert scores.support == support[index]
    assert sum(report.confusion.values()) == len(pairs)


@settings(max_examples=150, deadline=None)
@given(labelled)
def test_theme_figures_agree_with_a_plain_count(pairs):
    rows = [row(gold, *gold_themes) for gold, _, gold_themes, _ in pairs]
    predictions = [prediction(found, *themes) for _, found, _, themes in pairs]

    report = score(rows, predictions)

    for theme in THEMES:
        both = sum(1 for _, _, g, p in pairs if theme in g and theme in p)
        expected = sum(1 for _, _, g, _ in pairs if theme in g)
        found = sum(1 for _, _, _, p in pairs if theme in p)
        if not expected and not found:
            assert theme not in report.per_theme
            continue
        scores = report.per_theme[theme]
        assert scores.precision == (both / found if found else None)
        assert scores.recall == (both / expected if expected else None)


def test_a_small_example_gives_the_figures_worked_out_by_hand():
    rows = [
        row("negative", "price"),
        row("negative", "price", "delivery"),
        row("positive"),
        row("mixed", "billing"),
    ]
    predictions = [
        prediction("negative", "price"),
        prediction("neutral", "delivery"),
        prediction("positive", "price"),
        prediction("mixed"),
    ]

    report = score(rows, predictions)

    assert report.accuracy == 0.75
    assert report.labels == ("negative", "neutral", "positive", "mixed")
    # F1: negative 2/3, neutral 0, positive 1, mixed 1.
    assert report.macro_f1 == pytest.approx((2 / 3 + 0 + 1 + 1) / 4)
    assert report.confusion == {
        ("negative", "negative"): 1,
        ("negative", "neutral"): 1,
        ("positive", "positive"): 1,
        ("mixed", "mixed"): 1,
    }
    assert report.per_theme["price"].precision == 0.5
    assert report.per_theme["price"].recall == 0.5
    assert report.per_theme["billing"].precision is None
    assert report.per_theme["billing"].recall == 0.0
    assert report.themes_overall.precision == pytest.approx(2 / 3)
    assert report.themes_overall.recall == pytest.approx(2 / 4)


def test_the_report_ends_with_the_summary_line():
    rows = [row("negative"), row("positive"), row("positive")]
    report = evaluate(rows, lambda text: prediction("positive"))

    text = format_report(report)

    # positive F1 0.8, negative F1 0: macro 0.4; two of three right.
    assert text.splitlines()[-1] == "sentiment macro-F1 0.40, accuracy 0.67, n 3"


def test_the_report_lists_the_confusion_matrix_and_the_themes():
    report = score(
        [row("negative", "price"), row("positive")],
        [prediction("negative", "price"), prediction("negative")],
    )

    lines = format_report(report).splitlines()

    assert "negative           1         0" in lines
    assert "positive           1         0" in lines
    assert "price                     1.00    1.00     1      1" in lines
    assert "themes precision 1.00, recall 1.00" in lines


def test_read_gold_reads_rows_and_themes():
    lines = [
        "text,sentiment,themes\n",
        '"Late, again",Negative,delivery; price\n',
        "Fine,neutral,\n",
    ]
    assert read_gold(lines, theme_names=["delivery", "price"]) == [
        GoldRow("Late, again", "negative", frozenset({"delivery", "price"}), 2),
        GoldRow("Fine", "neutral", frozenset(), 3),
    ]


def test_the_themes_column_is_optional_and_blank_lines_are_skipped():
    lines = ["sentiment,text\n", "positive,Great\n", "\n", "negative,Bad\n"]
    rows = read_gold(lines)
    assert [(r.text, r.sentiment, r.line) for r in rows] == [
        ("Great", "positive", 2),
        ("Bad", "negative", 4),
    ]


def test_a_line_number_counts_the_lines_of_a_multi_line_text():
    lines = ["text,sentiment\n", '"two\n', 'lines",positive\n', "x,happy\n"]
    with pytest.raises(GoldFileError, match=r"^line 4: the sentiment must be one"):
        read_gold(lines)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "line 1: the file is empty; expected a header"),
        (
            ["text,label\n", "x,positive\n"],
            "line 1: the header must be text,sentiment or text,sentiment,themes, "
            "not text,label",
        ),
        (["text,sentiment\n"], "line 2: the file has a header but no rows"),
        (
            ["text,sentiment\n", "x,positive\n", "y,happy\n"],
            "line 3: the sentiment must be one of negative, neutral, positive, "
            "mixed, not 'happy'",
        ),
        (
            ["text,sentiment\n", "x,positive,extra\n"],
            "line 2: expected 2 fields, found 3",
        ),
        (["text,sentiment\n", " ,positive\n"], "line 2: the text is empty"),
        (
            ["text,sentiment,themes\n", "x,positive,shipping\n"],
            "line 2: unknown theme 'shipping'; known themes: delivery, price",
        ),
    ],
)
def test_a_bad_gold_file_names_the_line(lines, message):
    with pytest.raises(GoldFileError) as raised:
        read_gold(lines, theme_names=["price", "delivery"])
    assert str(raised.value) == message
