"""Streaming CSV in constant memory, safe to open in a spreadsheet: the
dashboard's answers export and the exports of customers, answers and cases."""

import itertools
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

# A streamed response is sent a piece per item yielded: lines are gathered
# into pieces of about this many characters, not sent (and flushed) one by one.
CSV_PIECE = 64 * 1024
# Spreadsheets run a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# UTF-8's byte order mark. Excel reads a CSV file without it in the system's
# code page (GBK, Windows-1252): Chinese comments would come out garbled.
BOM = "\ufeff"


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


def csv_download(
    pieces: Iterable[str], *, filename: str, bom: bool
) -> StreamingHttpResponse:
    """The CSV as a download named `filename`. `bom` for the files people
    open in a spreadsheet (the admin's and the dashboard's), not for a
    program reading the API, which would find the BOM in its first column's
    name."""
    if bom:
        pieces = with_bom(pieces)
    return StreamingHttpResponse(
        pieces,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def with_bom(pieces: Iterable[str]) -> Iterator[str]:
    """The pieces, the first led by the BOM (a small file stays one piece)."""
    pieces = iter(pieces)
    first = next(pieces, "")
    return itertools.chain([BOM + first], pieces)
