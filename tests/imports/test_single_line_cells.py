"""A CSV import checks a row with the models' own rules, so a phone, segment
or external id over two lines (a quoted cell holding a line break) fails its
row, naming the line and the column, while the other rows go in."""

import pytest

from customers.models import Customer
from imports import services
from tests.imports.conftest import csv_bytes

pytestmark = pytest.mark.django_db

MESSAGE = "Use one line without control characters (line breaks, tabs…)."


def test_a_phone_segment_or_external_id_over_two_lines_fails_its_row():
    text = (
        "name,email,phone,segment,external_id\n"
        'Eve,eve@example.com,"+44 20\r\nBcc: victim@example.com",smb,crm-1\n'
        'Mal,mal@example.com,+44 21,"smb\nBcc",crm-2\n'
        'Oz,oz@example.com,+44 22,smb,"crm\t3"\n'
        "Ada,ada@example.com,+44 23,smb,crm-4\n"
    )

    report = services.import_customers(csv_bytes(text), dry_run=False, user=None)

    assert (report.rows, report.created, report.failed) == (4, 1, 3)
    assert [(e.line, e.column, e.message) for e in report.errors] == [
        (2, "phone", MESSAGE),
        (4, "segment", MESSAGE),
        (6, "external_id", MESSAGE),
    ]
    assert list(Customer.objects.values_list("name", "phone")) == [("Ada", "+44 23")]
