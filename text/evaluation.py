"""How well the analysers read comments, measured on hand-labelled rows.

Pure computation: reading a gold file, scoring predictions against it and
formatting the report. `manage.py evaluate_text` and the admin's figures on
staff corrections both use it.

Sentiment: accuracy, per-class precision, recall and F1, their unweighted
mean (macro-F1, over the labels that occur in the gold rows or the
predictions, as scikit-learn does) and the confusion matrix. Themes: for each
theme, precision (of the rows tagged with it, the share the gold rows agree
with) and recall (of the gold rows with it, the share found), and the same
over all theme assignments together.
"""

import csv
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from text.analysis.types import LABELS

GOLD_COLUMNS = ("text", "sentiment")
OPTIONAL_COLUMNS = ("themes",)
THEME_SEPARATOR = ";"


class GoldFileError(ValueError):
    """A gold file that cannot be read, with the line at fault."""

    def __init__(self, message: str, *, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass(frozen=True)
class GoldRow:
    text: str
    sentiment: str
    themes: frozenset[str]
    line: int = 0


@dataclass(frozen=True)
class Prediction:
    sentiment: str
    themes: frozenset[str]


@dataclass(frozen=True)
class Scores:
    precision: float | None  # None when nothing was predicted
    recall: float | None  # None when nothing was expected
    f1: float
    support: int  # gold rows with it
    predicted: int


@dataclass(frozen=True)
class Report:
    n: int
    accuracy: float
    macro_f1: float
    labels: tuple[str, ...]
    per_label: dict[str, Scores]
    confusion: dict[tuple[str, str], int]  # (gold, predicted) -> rows
    has_themes: bool
    per_theme: dict[str, Scores]
    themes_overall: Scores


def read_gold(
    lines: Iterable[str], *, theme_names: Iterable[str] | None = None
) -> list[GoldRow]:
    """Rows of a gold CSV (header `text,sentiment` and optionally `themes`).
    With theme_names, a theme outside them is an error."""
    known_themes = frozenset(theme_names) if theme_names is not None else None
    reader = csv.reader(lines)
    try:
        header = [column.strip().lower() for column in next(reader)]
    except StopIteration:
        raise GoldFileError("the file is empty; expected a header", line=1) from None
    except csv.Error as error:
        raise GoldFileError(str(error), line=1) from None
    _check_header(header)
    rows: list[GoldRow] = []
    line = reader.line_num
    while True:
        start = line + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise GoldFileError(str(error), line=start) from None
        line = reader.line_num
        if not any(field.strip() for field in record):
            continue
        rows.append(_gold_row(record, header, line=start, known_themes=known_themes))
    if not rows:
        raise GoldFileError("the file has a header but no rows", line=line + 1)
    return rows


def _check_header(header: list[str]) -> None:
    allowed = set(GOLD_COLUMNS) | set(OPTIONAL_COLUMNS)
    missing = [column for column in GOLD_COLUMNS if column not in header]
    unexpected = [column for column in header if column not in allowed]
    duplicated = len(set(header)) != len(header)
    if missing or unexpected or duplicated:
        raise GoldFileError(
            f"the header must be text,sentiment or text,sentiment,themes, "
            f"not {','.join(header)}",
            line=1,
        )


def _gold_row(
    record: list[str],
    header: list[str],
    *,
    line: int,
    known_themes: frozenset[str] | None,
) -> GoldRow:
    if len(record) != len(header):
        raise GoldFileError(
            f"expected {len(header)} fields, found {len(record)}", line=line
        )
    fields = dict(zip(header, record, strict=True))
    text = fields["text"]
    if not text.strip():
        raise GoldFileError("the text is empty", line=line)
    label = fields["sentiment"].strip().lower()
    if label not in LABELS:
        raise GoldFileError(
            f"the sentiment must be one of {', '.join(LABELS)}, "
            f"not {fields['sentiment']!r}",
            line=line,
        )
    themes = frozenset(
        name.strip()
        for name in fields.get("themes", "").split(THEME_SEPARATOR)
        if name.strip()
    )
    unknown = sorted(themes - known_themes) if known_themes is not None else []
    if unknown:
        raise GoldFileError(
            f"unknown theme {unknown[0]!r}; known themes: "
            f"{', '.join(sorted(known_themes or ()))}",
            line=line,
        )
    return GoldRow(text=text, sentiment=label, themes=themes, line=line)


def evaluate(rows: Sequence[GoldRow], analyse: Callable[[str], Prediction]) -> Report:
    predictions = [analyse(row.text) for row in rows]
    return score(rows, predictions)


def score(rows: Sequence[GoldRow], predictions: Sequence[Prediction]) -> Report:
    if len(rows) != len(predictions):
        raise ValueError("one prediction per gold row")
    gold = [row.sentiment for row in rows]
    predicted = [prediction.sentiment for prediction in predictions]
    labels = tuple(label for label in LABELS if label in gold or label in predicted)
    per_label = {
        label: _scores(
            true_positives=sum(
                1 for g, p in zip(gold, predicted, strict=True) if g == p == label
            ),
            expected=gold.count(label),
            found=predicted.count(label),
        )
        for label in labels
    }
    theme_names = sorted(
        {name for row in rows for name in row.themes}
        | {name for prediction in predictions for name in prediction.themes}
    )
    per_theme = {
        name: _theme_scores(rows, predictions, name=name) for name in theme_names
    }
    return Report(
        n=len(rows),
        accuracy=_ratio(
            sum(1 for g, p in zip(gold, predicted, strict=True) if g == p), len(rows)
        )
        or 0.0,
        macro_f1=(
            sum(scores.f1 for scores in per_label.values()) / len(per_label)
            if per_label
            else 0.0
        ),
        labels=labels,
        per_label=per_label,
        confusion=dict(Counter(zip(gold, predicted, strict=True))),
        has_themes=any(row.themes for row in rows),
        per_theme=per_theme,
        themes_overall=_scores(
            true_positives=sum(
                len(row.themes & prediction.themes)
                for row, prediction in zip(rows, predictions, strict=True)
            ),
            expected=sum(len(row.themes) for row in rows),
            found=sum(len(prediction.themes) for prediction in predictions),
        ),
    )


def _theme_scores(
    rows: Sequence[GoldRow],
    predictions: Sequence[Prediction],
    *,
    name: str,
) -> Scores:
    pairs = list(zip(rows, predictions, strict=True))
    return _scores(
        true_positives=sum(1 for row, p in pairs if name in row.themes & p.themes),
        expected=sum(1 for row, _ in pairs if name in row.themes),
        found=sum(1 for _, p in pairs if name in p.themes),
    )


def _scores(*, true_positives: int, expected: int, found: int) -> Scores:
    precision = _ratio(true_positives, found)
    recall = _ratio(true_positives, expected)
    # scikit-learn's convention: an undefined precision or recall counts 0.
    p, r = precision or 0.0, recall or 0.0
    return Scores(
        precision=precision,
        recall=recall,
        f1=2 * p * r / (p + r) if p + r else 0.0,
        support=expected,
        predicted=found,
    )


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def format_report(report: Report) -> str:
    lines = [f"sentiment, {report.n} comments", ""]
    lines.append(f"{'label':<10} {'precision':>9} {'recall':>7} {'F1':>5} {'n':>5}")
    for label in report.labels:
        scores = report.per_label[label]
        lines.append(
            f"{label:<10} {_figure(scores.precision):>9} {_figure(scores.recall):>7} "
            f"{scores.f1:>5.2f} {scores.support:>5}"
        )
    lines += ["", "confusion (rows: gold, columns: predicted)"]
    lines.append(" " * 10 + "".join(f"{label:>10}" for label in report.labels))
    for gold in report.labels:
        counts = "".join(
            f"{report.confusion.get((gold, predicted), 0):>10}"
            for predicted in report.labels
        )
        lines.append(f"{gold:<10}{counts}")
    if report.has_themes:
        lines += [
            "",
            f"{'theme':<20} {'precision':>9} {'recall':>7} {'gold':>5} {'found':>6}",
        ]
        for name, scores in report.per_theme.items():
            lines.append(
                f"{_padded(name, 20)} {_figure(scores.precision):>9} "
                f"{_figure(scores.recall):>7} {scores.support:>5} "
                f"{scores.predicted:>6}"
            )
        overall = report.themes_overall
        lines.append(
            f"themes precision {_figure(overall.precision)}, "
            f"recall {_figure(overall.recall)}"
        )
    lines += [
        "",
        f"sentiment macro-F1 {report.macro_f1:.2f}, accuracy {report.accuracy:.2f}, "
        f"n {report.n}",
    ]
    return "\n".join(lines)


def _padded(text: str, width: int) -> str:
    """Left-aligned in a column of width, counting a Chinese character as two
    columns, as a terminal shows it."""
    shown = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - shown)


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
