"""What the comments say, as the dashboard prints it: the sentiment shares
per period, the themes by volume and by impact, a journey cell's top
negative theme and a pain point's driving theme, each linked to the answers
behind it."""

from typing import Any

from django.http import QueryDict
from django.utils.translation import ngettext

from feedback import charts
from feedback.metrics import themes
from feedback.metrics.filters import Interval
from feedback.metrics.periods import period_end
from feedback.views.forms import url_with
from text.models import Label


def sentiment_name(label: str) -> str:
    return str(Label(label).label) if label in Label.values else label


def points(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return ""
    return f"{value:+.1f}" if signed else charts.number(value)


def plus_minus(margin: float | None) -> str:
    return "" if margin is None else f"±{points(margin)}"


def percent(value: float | None) -> str:
    return "" if value is None else f"{charts.number(value)}%"


def sentiment_table(
    periods: list[themes.SentimentPeriod], *, interval: Interval, query: QueryDict
) -> dict[str, Any]:
    """Periods as rows, sentiments as columns; each share links to the
    period's answers with that sentiment."""
    return {
        "columns": [sentiment_name(label) for label in themes.SENTIMENTS],
        "rows": [
            {
                "label": period.label,
                "n": period.n,
                "is_low_sample": period.low_sample,
                "shares": [
                    {
                        "label": share.label,
                        "share": percent(share.share),
                        "margin": plus_minus(share.margin),
                        "count": share.count,
                        "url": url_with(
                            "dashboard:answers",
                            query,
                            from_=period.start.isoformat(),
                            to=period_end(period.start, interval).isoformat(),
                            sentiment=share.label,
                        )
                        if share.count
                        else "",
                    }
                    for share in period.shares
                ],
            }
            for period in periods
        ],
        "has_answers": any(period.n for period in periods),
    }


def theme_row(figure: themes.ThemeFigure, *, query: QueryDict) -> dict[str, Any]:
    each = figure.figures
    return {
        "id": figure.id,
        "name": figure.name,
        "n": each.n,
        "share": percent(each.share),
        "score_with": points(each.score_with),
        "score_without": points(each.score_without),
        "impact": points(each.impact, signed=True),
        "margin": plus_minus(each.margin),
        "is_low_sample": each.low_sample,
        "is_negative": each.impact is not None and each.impact < 0,
        "url": url_with("dashboard:answers", query, theme=str(figure.id))
        if each.n
        else "",
    }


def theme_tables(
    figures: list[themes.ThemeFigure], *, query: QueryDict
) -> dict[str, Any]:
    return {
        "by_volume": [theme_row(each, query=query) for each in figures],
        "by_impact": [
            theme_row(each, query=query) for each in themes.by_impact(figures)
        ],
    }


def cell_theme(found: themes.CellThemes | None, *, url: str) -> dict[str, Any] | None:
    """A journey cell's top negative theme, linked to the cell's negative
    comments that mention it (`url`: the cell's answers, "" when it has no
    link)."""
    if found is None or found.top_negative is None:
        return None
    theme = found.top_negative
    return {
        "name": theme.name,
        "count": found.negative_count,
        "url": _narrowed(url, theme=str(theme.id), sentiment=str(Label.NEGATIVE)),
        "title": ngettext(
            "%(theme)s: %(count)s negative comment",
            "%(theme)s: %(count)s negative comments",
            found.negative_count,
        )
        % {"theme": theme.name, "count": found.negative_count},
    }


def driving_theme(
    found: themes.CellThemes | None, *, url: str
) -> dict[str, Any] | None:
    """The theme that pulls a pain point's score down most, with its
    impact."""
    if found is None or found.driver is None:
        return None
    theme = found.driver
    return {
        "name": theme.name,
        "impact": points(theme.figures.impact, signed=True),
        "margin": plus_minus(theme.figures.margin),
        "url": _narrowed(url, theme=str(theme.id)),
    }


def _narrowed(url: str, **changes: str) -> str:
    """A cell's answers URL with more filters; "" stays "" (no link)."""
    if not url:
        return ""
    path, _question, encoded = url.partition("?")
    params = QueryDict(encoded, mutable=True)
    for key, value in changes.items():
        params[key] = value
    return f"{path}?{params.urlencode()}"
