"""The header of a CSV file is bounded however it is written: at most 64 KB in
all, whether on one line or over many (a quoted name may hold line breaks),
and each column's name at most 200 characters. The same rule holds in the
admin, the API and `manage.py import_csv`, since all three read with
`imports.reading.CsvFile`."""

import io
import json
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from customers.models import Customer
from imports.reading import CsvFile, UnreadableFileError
from tests.api import session

LIMIT = 65_536  # 64 KB, counted in bytes of the file with their line endings
LONGEST_NAME = 200
NAMES = ["name", "email", *(f"extra {number}" for number in range(2, 100))]
# The reader's own figures: the 101 lines of a header spread by `spread`.
SPREAD_LINES = len(NAMES) + 1


def spread(size: int) -> bytes:
    """A header of exactly `size` bytes naming NAMES, each name quoted and
    running on to the next line: `"name<spaces>\\n","email<spaces>\\n",…"\\n`.
    The spaces and line breaks are inside the quotes, so the reader strips
    them and the names are NAMES again; no line is longer than a few KB."""
    cells = [f'"{name}\n"' for name in NAMES]
    bare = len(",".join(cells).encode()) + len(b"\n")
    share, rest = divmod(size - bare, len(cells))
    padded = [
        f'"{name}{" " * (share + (index < rest))}\n"'
        for index, name in enumerate(NAMES)
    ]
    header = (",".join(padded) + "\n").encode()
    assert len(header) == size
    return header


def one_line(size: int) -> bytes:
    """A header on one line of exactly `size` bytes: NAMES padded with spaces."""
    bare = len(",".join(NAMES).encode()) + len(b"\n")
    share, rest = divmod(size - bare, len(NAMES))
    padded = [name + " " * (share + (index < rest)) for index, name in enumerate(NAMES)]
    header = (",".join(padded) + "\n").encode()
    assert len(header) == size
    assert header.count(b"\n") == 1
    return header


# A row for the 100 columns: Ada, her address, and 98 empty cells.
ROW = ("Ada,ada@example.com" + "," * (len(NAMES) - 2) + "\n").encode()
SPREAD_OVER = (
    "The header goes on to line 101 and is longer than 64 KB: it must name the "
    "columns, one cell each. Is a quote left open?"
)


def read(data: bytes) -> CsvFile:
    return CsvFile(iter(File(io.BytesIO(data))))


def named(*names: str) -> bytes:
    """A header of these names, and a row: Ada's address, her name, the rest
    empty."""
    row = "ada@example.com,Ada" + "," * (len(names) - 2)
    return (",".join(names) + "\n" + row + "\n").encode()


def test_a_header_of_exactly_64_kilobytes_over_many_lines_is_read():
    csv_file = read(spread(LIMIT) + ROW)

    assert csv_file.header == NAMES
    assert [record.line for record in csv_file] == [SPREAD_LINES + 1]


def test_a_header_one_byte_over_64_kilobytes_over_many_lines_is_refused():
    with pytest.raises(UnreadableFileError) as error:
        read(spread(LIMIT + 1) + ROW)

    assert str(error.value) == SPREAD_OVER


def test_a_header_of_exactly_64_kilobytes_on_one_line_is_read():
    assert read(one_line(LIMIT) + ROW).header == NAMES


def test_a_header_one_byte_over_64_kilobytes_on_one_line_is_refused():
    with pytest.raises(UnreadableFileError) as error:
        read(one_line(LIMIT + 1) + ROW)

    assert str(error.value) == (
        "Line 1 is longer than 64 KB: it must name the columns, one cell each."
    )


def test_a_quote_left_open_stops_the_reading_at_64_kilobytes():
    first = b'"name,email\n'
    line = b"Ada,ada@example.com,a row the open quote swallows\n"
    read_lines: list[int] = []

    def lines() -> Iterator[bytes]:
        yield first
        for number in range(2, 100_002):
            read_lines.append(number)
            yield line

    with pytest.raises(UnreadableFileError) as error:
        CsvFile(lines())

    # 12 bytes and 1,310 lines of 50 are 65,512; the 1,311th makes 65,562:
    # line 1,312 of the file, and the reader takes no line after it.
    assert str(error.value).startswith(
        "The header goes on to line 1312 and is longer than 64 KB"
    )
    assert read_lines[-1] == 1312


@pytest.mark.parametrize("letter", ["x", "张"])
def test_a_column_name_of_200_characters_is_read(letter):
    name = letter * LONGEST_NAME

    assert read(named("email", name)).header == ["email", name]


@pytest.mark.parametrize("letter", ["x", "张"])
def test_a_column_name_of_201_characters_is_refused_naming_the_column(letter):
    with pytest.raises(UnreadableFileError) as error:
        read(named("email", letter * (LONGEST_NAME + 1)))

    assert str(error.value) == (
        "The name of column 2 has 201 characters; a column's name may have at most 200."
    )


def test_the_spaces_around_a_name_do_not_count_towards_its_length():
    name = "x" * LONGEST_NAME

    assert read(named("email", f"  {name}  ")).header == ["email", name]


# The admin: refused at upload, back to the form, the file removed.


def admin_upload(client, data: bytes):
    """The page the upload leads to: the mapping page, or the upload form
    again (with the redirect that brought it back)."""
    response = client.post(
        "/admin/csv/import/customers/",
        {"file": SimpleUploadedFile("wide.csv", data, content_type="text/csv")},
    )
    assert response.status_code == 302
    return client.get(response["Location"], follow=True)


def is_mapping_page(page) -> bool:
    return (
        page.status_code == 200
        and page.redirect_chain == []
        and "Map the columns" in page.content.decode()
    )


@pytest.mark.django_db
def test_the_admin_maps_a_header_of_exactly_64_kilobytes_over_many_lines(
    client, support
):
    client.force_login(support)

    page = admin_upload(client, spread(LIMIT) + ROW)

    body = page.content.decode()
    assert is_mapping_page(page)
    assert body.count('<select name="column_') == len(NAMES)
    assert "<td>extra 99</td>" in body


@pytest.mark.django_db
def test_the_admin_refuses_a_header_one_byte_over_64_kilobytes_over_many_lines(
    client, support
):
    client.force_login(support)

    page = admin_upload(client, spread(LIMIT + 1) + ROW)

    assert page.redirect_chain[-1][0] == "/admin/csv/import/customers/"
    assert SPREAD_OVER in page.content.decode()
    assert not is_mapping_page(page)
    assert list((settings.VAR_DIR / "imports").glob("*.csv")) == []


@pytest.mark.django_db
def test_the_widest_header_the_limits_allow_builds_a_bounded_mapping_page(
    client, support
):
    """200 columns of 200-character names, each character one the page
    escapes into five (&amp;): the most text the limits let onto the page.
    Before the limits, 200 names of 10 KB made a page of 2,149,296 bytes."""
    client.force_login(support)
    names = ["&" * (LONGEST_NAME - 3) + f"{number:03d}" for number in range(200)]

    page = admin_upload(client, named(*names))

    body = page.content.decode()
    assert is_mapping_page(page)
    assert body.count('<select name="column_') == 200
    assert f"<td>{'&amp;' * (LONGEST_NAME - 3)}199</td>" in body
    # The labels are 200 × (197 × 5 + 3) = 197,600 bytes; the rest is the
    # selects and the admin's frame.
    assert len(page.content) < 500_000


@pytest.mark.django_db
def test_the_admin_refuses_a_column_name_of_201_characters(client, support):
    client.force_login(support)

    page = admin_upload(client, named("email", "x" * (LONGEST_NAME + 1)))

    assert page.redirect_chain[-1][0] == "/admin/csv/import/customers/"
    assert "The name of column 2 has 201 characters" in page.content.decode()
    assert list((settings.VAR_DIR / "imports").glob("*.csv")) == []


# The API: a 400 naming the limit; the command: an error.


def api_import(user, data: bytes):
    return session(user).post(
        "/api/v1/imports/customers/",
        {
            "file": SimpleUploadedFile("wide.csv", data, content_type="text/csv"),
            "mapping": json.dumps({"name": "name", "email": "email"}),
        },
        format="multipart",
    )


@pytest.mark.django_db
def test_the_api_imports_under_a_header_of_exactly_64_kilobytes_over_many_lines(
    support,
):
    response = api_import(support, spread(LIMIT) + ROW)

    assert response.status_code == 201
    assert (response.json()["created"], response.json()["failed"]) == (1, 0)
    assert list(Customer.objects.values_list("name", "email")) == [
        ("Ada", "ada@example.com")
    ]


@pytest.mark.django_db
def test_the_api_refuses_a_header_one_byte_over_64_kilobytes_over_many_lines(
    support,
):
    response = api_import(support, spread(LIMIT + 1) + ROW)

    assert response.status_code == 400
    assert response.json() == {"file": [SPREAD_OVER]}
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_the_api_takes_a_column_name_of_200_characters_and_refuses_201(support):
    at_limit = api_import(support, named("email", "name", "x" * LONGEST_NAME))
    over = api_import(support, named("email", "name", "x" * (LONGEST_NAME + 1)))

    assert at_limit.status_code == 201
    assert over.status_code == 400
    assert over.json() == {
        "file": [
            "The name of column 3 has 201 characters; a column's name may "
            "have at most 200."
        ]
    }
    assert Customer.objects.count() == 1


@pytest.mark.django_db
def test_the_command_refuses_a_header_one_byte_over_64_kilobytes(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes(spread(LIMIT + 1) + ROW)

    with pytest.raises(CommandError) as error:
        call_command("import_csv", "customers", str(path), stdout=io.StringIO())

    assert str(error.value) == SPREAD_OVER
    assert not Customer.objects.exists()
