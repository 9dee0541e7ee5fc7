import io

import pytest
from django.core.files import File

from imports.reading import CsvFile, UnreadableFileError


def read(data: bytes) -> CsvFile:
    return CsvFile(iter(File(io.BytesIO(data))))


def test_a_byte_order_mark_is_not_part_of_the_first_column():
    csv_file = read(b"\xef\xbb\xbfname,email\r\nAda,ada@example.com\r\n")

    assert csv_file.header == ["name", "email"]
    assert [record.values for record in csv_file] == [
        {"name": "Ada", "email": "ada@example.com"}
    ]


def test_semicolons_are_sniffed_from_the_header():
    csv_file = read(b'name;email;"notes, with a comma"\nAda;ada@example.com;x\n')

    assert csv_file.delimiter == ";"
    assert csv_file.header == ["name", "email", "notes, with a comma"]


def test_a_record_starts_on_its_physical_line_even_after_quoted_newlines():
    data = b'name,notes\nAda,"line one\nline two\r\nline three"\nBob,plain\n\nCy,x\n'

    records = list(read(data))

    assert [(record.line, record.values["name"]) for record in records] == [
        (2, "Ada"),
        (5, "Bob"),
        (7, "Cy"),
    ]
    assert records[0].values["notes"] == "line one\nline two\r\nline three"


def test_a_nul_byte_fails_its_row_only():
    records = list(read(b"name,email\nA\x00da,a@example.com\nBob,b@example.com\n"))

    assert [(record.line, record.error) for record in records] == [
        (2, "The row contains a NUL byte."),
        (3, ""),
    ]


def test_a_row_with_too_few_fields_is_a_row_error():
    records = list(read(b"name,email\nAda\n"))

    assert records[0].error == "The row has 1 fields; the header has 2."


def test_a_trailing_delimiter_is_tolerated():
    records = list(read(b"name,email\nAda,a@example.com,\n"))

    assert records[0].error == ""


def test_a_file_in_another_encoding_is_refused_naming_the_line():
    with pytest.raises(UnreadableFileError) as error:
        list(read("name\nAda\nJosé\n".encode("latin-1")))

    assert str(error.value).startswith("Line 3 is not UTF-8 (byte 0xe9 at position 4).")


def test_utf16_is_refused_on_the_first_line():
    with pytest.raises(UnreadableFileError, match=r"^Line 1 is not UTF-8"):
        read("name\nAda\n".encode("utf-16"))


def test_an_empty_file_is_refused():
    with pytest.raises(UnreadableFileError, match="empty"):
        read(b"")


def test_a_column_named_twice_is_refused():
    with pytest.raises(UnreadableFileError, match="names a column twice"):
        read(b"email,email\n")


def test_a_file_with_more_columns_than_allowed_is_refused(settings):
    settings.IMPORT_MAX_COLUMNS = 3

    assert read(b"a,b,c\n1,2,3\n").header == ["a", "b", "c"]
    with pytest.raises(
        UnreadableFileError,
        match=r"^Line 1 names 4 columns; a file may have at most 3 ",
    ):
        read(b"a,b,c,d\n1,2,3,4\n")


def test_a_header_line_over_64_kilobytes_is_refused_before_it_is_parsed():
    header = b",".join(b"c%d" % number for number in range(20_000))  # ~128 KB

    with pytest.raises(UnreadableFileError, match=r"^Line 1 is longer than 64 KB"):
        read(header + b"\n")
