"""Numbers and the table: pure functions, no Django."""

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which `fraction` of the values fall (linear interpolation).

    The same definition as numpy's default and `statistics.quantiles(...,
    method="inclusive")`: the median of 1, 2, 3, 4 is 2.5.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    below, above = math.floor(position), math.ceil(position)
    weight = position - below
    return ordered[below] + (ordered[above] - ordered[below]) * weight


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: text left-aligned, numbers right-aligned."""
    cells = [[format_cell(value) for value in row] for row in rows]
    widths = [
        max(len(header), *(len(row[i]) for row in cells))
        for i, header in enumerate(headers)
    ]
    numeric = [
        bool(rows) and all(isinstance(row[i], int | float) for row in rows)
        for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            value.rjust(width) if is_number else value.ljust(width)
            for value, width, is_number in zip(values, widths, numeric, strict=True)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in cells)])


def format_cell(value: object) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)
