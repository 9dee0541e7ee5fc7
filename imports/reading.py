"""Reading a CSV file people export from spreadsheets and other tools.

UTF-8 with or without a byte-order mark (Excel writes one), comma or
semicolon (Excel in much of Europe writes semicolons), quoted fields holding
newlines. The file is read line by line, never decoded whole, so a large
upload costs the memory of one record. Each record carries the physical line
of the file it starts on, which is what a person sees in their editor.
"""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

BOM = b"\xef\xbb\xbf"
DELIMITERS = (",", ";")
# A header longer than this is no spreadsheet's: refused while it is parsed,
# whether on one line or over many (a quoted name may hold line breaks), since
# the column-mapping page grows with it.
MAX_HEADER_BYTES = 64 * 1024
# A column's name is a label on the mapping page and in every row error.
MAX_COLUMN_NAME_LENGTH = 200


class UnreadableFileError(Exception):
    """The file as a whole cannot be read: not UTF-8, no header, broken quoting."""


@dataclass(frozen=True)
class Record:
    line: int
    values: dict[str, str]
    error: str = ""


def decoded_lines(raw_lines: Iterable[bytes]) -> Iterator[str]:
    for number, raw in enumerate(raw_lines, start=1):
        if number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise UnreadableFileError(
                _(
                    "Line %(line)d is not UTF-8 (byte 0x%(byte)02x at position "
                    "%(position)d). Save the file as CSV UTF-8 and upload it again."
                )
                % {
                    "line": number,
                    "byte": raw[error.start],
                    "position": error.start + 1,
                }
            ) from None


def sniff_delimiter(header_line: str) -> str:
    """Comma or semicolon, whichever the header line holds more of outside
    quotes; a one-column file is read with commas."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for character in header_line:
        if character == '"':
            quoted = not quoted
        elif not quoted and character in counts:
            counts[character] += 1
    return ";" if counts[";"] > counts[","] else ","


class CsvFile:
    """A file's header and its records, read once, in order.

    `raw_lines` yields the file's lines as bytes with their endings (a Django
    `File` iterates so, splitting on \\n, \\r\\n and \\r).
    """

    def __init__(self, raw_lines: Iterable[bytes]) -> None:
        self.lines = decoded_lines(raw_lines)
        first = next(self.lines, None)
        if first is None or not first.strip():
            raise UnreadableFileError(
                _("The file is empty: its first line must name the columns.")
            )
        if len(first.encode()) > MAX_HEADER_BYTES:
            raise UnreadableFileError(
                _(
                    "Line 1 is longer than %(kilobytes)d KB: it must name the "
                    "columns, one cell each."
                )
                % {"kilobytes": MAX_HEADER_BYTES // 1024}
            )
        self.delimiter = sniff_delimiter(first)
        self.is_reading_header = True
        self.reader = csv.reader(self.chained(first), delimiter=self.delimiter)
        header = self.next_row()
        self.is_reading_header = False
        self.header = [name.strip() for name in header or []]
        most = settings.IMPORT_MAX_COLUMNS
        if len(self.header) > most:
            raise UnreadableFileError(
                _(
                    "Line 1 names %(count)d columns; a file may have at most "
                    "%(most)d (IMPORT_MAX_COLUMNS). Leave out the columns you "
                    "do not import."
                )
                % {"count": len(self.header), "most": most}
            )
        if "\0" in "".join(self.header):
            raise UnreadableFileError(_("Line 1 contains a NUL byte."))
        self.check_name_lengths()
        names = [name for name in self.header if name]
        if len(set(names)) != len(names):
            raise UnreadableFileError(_("Line 1 names a column twice."))

    def chained(self, first: str) -> Iterator[str]:
        """The lines for the reader. Those the header runs on to are counted
        as they come, so that a header too long is refused before the next
        line is even read."""
        yield first
        size = len(first.encode())
        for number, line in enumerate(self.lines, start=2):
            if self.is_reading_header:
                size += len(line.encode())
                if size > MAX_HEADER_BYTES:
                    raise UnreadableFileError(
                        _(
                            "The header goes on to line %(line)d and is longer "
                            "than %(kilobytes)d KB: it must name the columns, one "
                            "cell each. Is a quote left open?"
                        )
                        % {"line": number, "kilobytes": MAX_HEADER_BYTES // 1024}
                    )
            yield line

    def check_name_lengths(self) -> None:
        for number, name in enumerate(self.header, start=1):
            if len(name) > MAX_COLUMN_NAME_LENGTH:
                raise UnreadableFileError(
                    _(
                        "The name of column %(number)d has %(length)d characters; "
                        "a column's name may have at most %(most)d."
                    )
                    % {
                        "number": number,
                        "length": len(name),
                        "most": MAX_COLUMN_NAME_LENGTH,
                    }
                )

    def next_row(self) -> list[str] | None:
        try:
            return next(self.reader, None)
        except csv.Error as error:
            raise UnreadableFileError(
                _("Line %(line)d cannot be read: %(error)s.")
                % {"line": self.reader.line_num, "error": error}
            ) from None

    def __iter__(self) -> Iterator[Record]:
        width = len(self.header)
        while True:
            start = self.reader.line_num + 1
            row = self.next_row()
            if row is None:
                return
            if not any(cell.strip() for cell in row):
                continue  # blank lines between records, or a trailing one
            if len(row) > width and not "".join(row[width:]).strip():
                row = row[:width]  # a trailing delimiter on every line
            values = dict(zip(self.header, row, strict=False))
            if any("\0" in cell for cell in row):
                yield Record(start, values, _("The row contains a NUL byte."))
            elif len(row) != width:
                yield Record(
                    start,
                    values,
                    _("The row has %(found)d fields; the header has %(width)d.")
                    % {"found": len(row), "width": width},
                )
            else:
                yield Record(start, values)
