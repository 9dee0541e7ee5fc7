"""Streaming CSV in constant memory, safe to open in a spreadsheet: the
dashboard's answers export and the exports of customers, answers and cases."""

from collections.abc import Iterable, Iterator

# A streamed response is sent a piece per item yielded: lines are gathered
# into pieces of about this many characters, not sent (and flushed) one by one.
CSV_PIECE = 64 * 1024
# Spreadsheets run a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Echo:
    """A file that hands back what is written, for csv.writer to stream."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula, quoted to stay text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def in_pieces(lines: Iterable[str]) -> Iterator[str]:
    """The lines joined into pieces of about CSV_PIECE characters: memory
    stays one piece, however many lines."""
    piece: list[str] = []
    size = 0
    for line in lines:
        piece.append(line)
        size += len(line)
        if size >= CSV_PIECE:
            yield "".join(piece)
            piece, size = [], 0
    if piece:
        yield "".join(piece)
