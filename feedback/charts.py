"""The dashboard's charts, drawn here as SVG: no script, no CDN, and every
point a plain link, so that a chart works in any browser, prints, and shows
in a screenshot.

Numbers are formatted here (one decimal, no thousands separator) so that a
chart reads the same in every language; texts come in already translated.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# The bands' colours, the same in every chart and in the page's legends.
PROMOTER_COLOR = "#2e7d32"
PASSIVE_COLOR = "#b0b7bf"
DETRACTOR_COLOR = "#c62828"
LINE_COLOR = "#1f5f8b"
BAND_COLOR = "#1f5f8b"
GRID_COLOR = "#d9dee3"
TEXT_COLOR = "#4a5560"
LOW_SAMPLE_COLOR = "#9aa3ab"

FONT = 'font-family="system-ui, \'Noto Sans CJK SC\', sans-serif" font-size="11"'


@dataclass(frozen=True)
class Point:
    """One point of a line chart. Without a value (no answers in the period)
    the line breaks there; `low`/`high` are the margin band's ends."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    url: str = ""
    title: str = ""
    is_low_sample: bool = False


@dataclass(frozen=True)
class Segment:
    label: str
    count: int
    color: str


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    color: str
    # Indented under the bar before it (the reasons of a suppressed total).
    is_detail: bool = False


def number(value: float) -> str:
    """One decimal, as in the page's figures ("-0.0" reads as "0.0")."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def line_chart(
    points: Sequence[Point],
    *,
    low: float,
    high: float,
    ticks: Sequence[float],
    title: str,
    width: int = 1100,
    height: int = 260,
) -> SafeString:
    """A line with its margin as a shaded band (clipped to [low, high]), one
    link per point with a value, and at most ~10 labels on the x axis."""
    left, right, top, bottom = 44, 12, 12, 28
    plot_width, plot_height = width - left - right, height - top - bottom
    step = plot_width / max(len(points), 1)

    def x(index: int) -> float:
        return left + (index + 0.5) * step

    def y(value: float) -> float:
        clipped = min(max(value, low), high)
        return top + (high - clipped) / (high - low) * plot_height

    parts: list[str] = [
        format_html(
            '<svg class="chart line-chart" viewBox="0 0 {} {}" width="100%" '
            'role="img" xmlns="http://www.w3.org/2000/svg"><title>{}</title>',
            width,
            height,
            title,
        )
    ]
    for tick in ticks:
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"/>'
                '<text x="{}" y="{}" text-anchor="end" fill="{}" {}>{}</text>',
                left,
                width - right,
                _coordinate(y(tick)),
                _coordinate(y(tick)),
                GRID_COLOR,
                left - 6,
                _coordinate(y(tick) + 4),
                TEXT_COLOR,
                mark_safe(FONT),  # noqa: S308 (a constant)
                number(tick).removesuffix(".0"),
            )
        )
    for run in _runs(points):
        parts.append(_band(run, x=x, y=y))
        if len(run) > 1:
            coordinates = " ".join(
                f"{_coordinate(x(index))},{_coordinate(y(value))}"
                for index, value in _values(run)
            )
            parts.append(
                format_html(
                    '<polyline class="trend-line" points="{}" fill="none" '
                    'stroke="{}" stroke-width="2"/>',
                    coordinates,
                    LINE_COLOR,
                )
            )
    every = max(1, math.ceil(len(points) / max(1, plot_width // 70)))
    for index, point in enumerate(points):
        if index % every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" fill="{}" {}>{}</text>',
                    _coordinate(x(index)),
                    height - 8,
                    TEXT_COLOR,
                    mark_safe(FONT),  # noqa: S308 (a constant)
                    point.label,
                )
            )
        if point.value is not None:
            parts.append(_point(point, cx=x(index), cy=y(point.value)))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every part is escaped above)


def _runs(points: Sequence[Point]) -> list[list[tuple[int, Point]]]:
    """The stretches of consecutive points with a value."""
    runs: list[list[tuple[int, Point]]] = []
    current: list[tuple[int, Point]] = []
    for index, point in enumerate(points):
        if point.value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((index, point))
    if current:
        runs.append(current)
    return runs


def _values(run: list[tuple[int, Point]]) -> list[tuple[int, float]]:
    return [(index, point.value) for index, point in run if point.value is not None]


def _band(
    run: list[tuple[int, Point]],
    *,
    x: Callable[[int], float],
    y: Callable[[float], float],
) -> str:
    margins = [
        (index, point.low, point.high)
        for index, point in run
        if point.low is not None and point.high is not None
    ]
    if not margins:
        return ""
    if len(margins) == 1:
        index, lower, upper = margins[0]
        return format_html(
            '<rect class="margin-band" x="{}" y="{}" width="8" height="{}" '
            'fill="{}" fill-opacity="0.18"/>',
            _coordinate(x(index) - 4),
            _coordinate(y(upper)),
            _coordinate(y(lower) - y(upper)),
            BAND_COLOR,
        )
    upper_edge = [f"{_coordinate(x(i))},{_coordinate(y(u))}" for i, _l, u in margins]
    lower_edge = [
        f"{_coordinate(x(i))},{_coordinate(y(lo))}" for i, lo, _u in reversed(margins)
    ]
    return format_html(
        '<polygon class="margin-band" points="{}" fill="{}" fill-opacity="0.18"/>',
        " ".join(upper_edge + lower_edge),
        BAND_COLOR,
    )


def _point(point: Point, *, cx: float, cy: float) -> str:
    color = LOW_SAMPLE_COLOR if point.is_low_sample else LINE_COLOR
    circle = format_html(
        '<circle class="trend-point{}" cx="{}" cy="{}" r="5" fill="#fff" '
        'stroke="{}" stroke-width="2"><title>{}</title></circle>',
        " low-sample" if point.is_low_sample else "",
        _coordinate(cx),
        _coordinate(cy),
        color,
        point.title,
    )
    if not point.url:
        return circle
    return format_html('<a href="{}">{}</a>', point.url, circle)


def stacked_bar(
    segments: Sequence[Segment], *, title: str, width: int = 540, height: int = 32
) -> SafeString:
    """One bar split in proportion to the counts, each share written on its
    segment when there is room."""
    total = sum(segment.count for segment in segments)
    parts: list[str] = [
        format_html(
            '<svg class="chart band-bar" viewBox="0 0 {} {}" width="100%" '
            'role="img" xmlns="http://www.w3.org/2000/svg"><title>{}</title>',
            width,
            height,
            title,
        )
    ]
    if total == 0:
        parts.append(
            format_html(
                '<rect x="0" y="0" width="{}" height="{}" fill="{}"/>',
                width,
                height,
                GRID_COLOR,
            )
        )
    offset = 0.0
    for segment in segments if total else []:
        share = segment.count / total
        segment_width = share * width
        if segment_width <= 0:
            continue
        parts.append(
            format_html(
                '<rect class="band-segment" x="{}" y="0" width="{}" height="{}" '
                'fill="{}"><title>{}: {} ({}%)</title></rect>',
                _coordinate(offset),
                _coordinate(segment_width),
                height,
                segment.color,
                segment.label,
                segment.count,
                number(100 * share),
            )
        )
        if segment_width >= 44:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" fill="#fff" '
                    'font-weight="600" {}>{}%</text>',
                    _coordinate(offset + segment_width / 2),
                    _coordinate(height / 2 + 4),
                    mark_safe(FONT),  # noqa: S308 (a constant)
                    number(100 * share),
                )
            )
        offset += segment_width
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every part is escaped above)


def funnel_bars(
    bars: Sequence[Bar], *, title: str, width: int = 540, row_height: int = 22
) -> SafeString:
    """Horizontal bars, each as long as its share of the longest, with the
    label on the left and the count at the bar's end."""
    label_width, count_width = 180, 50
    bar_space = width - label_width - count_width
    longest = max((bar.value for bar in bars), default=0) or 1
    height = row_height * len(bars) + 4
    parts: list[str] = [
        format_html(
            '<svg class="chart funnel" viewBox="0 0 {} {}" width="100%" '
            'role="img" xmlns="http://www.w3.org/2000/svg"><title>{}</title>',
            width,
            height,
            title,
        )
    ]
    for row, bar in enumerate(bars):
        top = row * row_height + 2
        indent = 16 if bar.is_detail else 0
        bar_width = bar_space * bar.value / longest
        parts.append(
            format_html(
                '<g class="funnel-row"><text x="{}" y="{}" fill="{}" {}>{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" rx="2"/>'
                '<text x="{}" y="{}" fill="{}" {}>{}</text></g>',
                indent,
                _coordinate(top + row_height / 2 + 2),
                TEXT_COLOR,
                mark_safe(FONT),  # noqa: S308 (a constant)
                bar.label,
                label_width,
                top + 3,
                _coordinate(max(bar_width, 1)),
                row_height - 6,
                bar.color,
                _coordinate(label_width + max(bar_width, 1) + 6),
                _coordinate(top + row_height / 2 + 2),
                TEXT_COLOR,
                mark_safe(FONT),  # noqa: S308 (a constant)
                bar.value,
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every part is escaped above)


def heat_color(score: float, *, low: float, high: float) -> str:
    """A light background from red (low) through yellow to green (high)."""
    share = (min(max(score, low), high) - low) / (high - low)
    return f"hsl({round(share * 120)}, 70%, 82%)"


def legend(segments: Sequence[Segment]) -> SafeString:
    return format_html_join(
        "",
        '<span class="legend-item"><span class="swatch" style="background:{}">'
        "</span>{}</span>",
        ((segment.color, segment.label) for segment in segments),
    )


def _coordinate(value: float) -> str:
    return escape(f"{value:.1f}".removesuffix(".0"))
