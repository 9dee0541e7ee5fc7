"""A comment as HTML with the words that triggered its reading marked:
negative words, positive words and theme keywords each in their own class."""

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def highlighted(comment: str, spans: Sequence[Sequence[float]]) -> SafeString:
    """`spans` are [start, end, weight] triples (weight 0 for a theme's
    keyword); overlapping spans keep the first that starts."""
    parts: list[str] = []
    position = 0
    for start, end, weight in sorted(
        (int(s), int(e), float(w)) for s, e, w in (tuple(span) for span in spans)
    ):
        if start < position or end <= start or end > len(comment):
            continue
        parts.append(escape(comment[position:start]))
        parts.append(
            f'<mark class="{css_class(weight)}">{escape(comment[start:end])}</mark>'
        )
        position = end
    parts.append(escape(comment[position:]))
    # Every piece of the comment went through escape() above.
    return mark_safe("".join(parts))  # noqa: S308


def css_class(weight: float) -> str:
    if weight < 0:
        return "comment-negative"
    if weight > 0:
        return "comment-positive"
    return "comment-theme"
