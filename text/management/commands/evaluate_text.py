"""`manage.py evaluate_text --language en|zh --gold FILE.csv`: how well the
analyser of one language reads a hand-labelled file.

The file's language is given, so the language detector is not what is
measured: every row goes to that language's sentiment analyser and theme
matcher. Themes are this installation's active themes (the dictionary
managers edit; at first the starter taxonomy), named in the file's language.
"""

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from text.analysis.themes import match_themes
from text.analysis.types import CHINESE, ENGLISH, Sentiment
from text.evaluation import (
    GoldFileError,
    Prediction,
    evaluate,
    format_report,
    read_gold,
)
from text.models import Theme


class Command(BaseCommand):
    help = (
        "Measure the sentiment and theme analysis of one language on a gold "
        "file: a UTF-8 CSV with the header text,sentiment[,themes] (sentiment "
        "negative, neutral, positive or mixed; themes by their names in the "
        "file's language, separated by ;). Prints accuracy, macro-F1, "
        "per-class figures, the confusion matrix and precision/recall per theme."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--language",
            required=True,
            choices=(ENGLISH, CHINESE),
            help="The language of the gold file: en or zh.",
        )
        parser.add_argument(
            "--gold",
            required=True,
            metavar="FILE.csv",
            help="The hand-labelled comments.",
        )

    def handle(self, *args: Any, language: str, gold: str, **options: Any) -> None:
        names = theme_names(language)
        try:
            with open(gold, encoding="utf-8-sig", newline="") as file:
                rows = read_gold(file, theme_names=names)
        except FileNotFoundError:
            raise CommandError(f"There is no file {gold}.") from None
        except OSError as error:
            raise CommandError(f"Cannot read {gold}: {error.strerror}.") from None
        except UnicodeDecodeError as error:
            raise CommandError(
                f"{gold} is not UTF-8 text (byte {error.start} cannot be read)."
            ) from None
        except GoldFileError as error:
            raise CommandError(f"{gold}, {error}.") from None
        report = evaluate(rows, predictor(language, names=names))
        self.stdout.write(format_report(report))


def active_themes() -> list[Theme]:
    return list(Theme.objects.filter(is_active=True).select_related("parent"))


def theme_names(language: str) -> dict[str, str]:
    """Theme name in the file's language -> theme key."""
    return {
        (theme.name_en if language == ENGLISH else theme.name_zh): theme.key
        for theme in active_themes()
    }


def predictor(language: str, *, names: dict[str, str]) -> Callable[[str], Prediction]:
    sentiment = sentiment_analyser(language)
    specs = [theme.spec() for theme in active_themes()]
    name_of = {key: name for name, key in names.items()}

    def predict(text: str) -> Prediction:
        matches = match_themes(text, specs, language=language)
        return Prediction(
            sentiment=sentiment(text).label,
            themes=frozenset(name_of[match.key] for match in matches),
        )

    return predict


def sentiment_analyser(language: str) -> Callable[[str], Sentiment]:
    if language == ENGLISH:
        from text.analysis import english

        return english.sentiment
    try:
        from text.analysis import chinese
    except ImportError:
        raise CommandError("The Chinese analyser is not installed.") from None
    analyser: Callable[[str], Sentiment] = chinese.sentiment
    return analyser
