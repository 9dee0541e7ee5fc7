import json

import pytest
from django.core.management import CommandError, call_command

from customers.models import Customer

pytestmark = pytest.mark.django_db


def run(*args: str) -> dict:
    from io import StringIO

    out = StringIO()
    call_command("import_csv", *args, stdout=out)
    return json.loads(out.getvalue())


def test_the_command_imports_with_a_mapping_and_prints_the_report(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes("\ufeffWho;Mail\nAda;ada@example.com\nBad;bad\n".encode())

    report = run("customers", str(path), "--map", "Who=name", "--map", "Mail=email")

    assert {key: report[key] for key in ("delimiter", "rows", "created", "failed")} == {
        "delimiter": ";",
        "rows": 2,
        "created": 1,
        "failed": 1,
    }
    assert report["errors"] == [
        {"line": 3, "column": "Mail", "message": "Enter a valid email address."}
    ]
    assert list(Customer.objects.values_list("name", flat=True)) == ["Ada"]


def test_a_dry_run_from_the_command_writes_nothing(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(b"name,email\nAda,ada@example.com\n")

    report = run("customers", str(path), "--dry-run")

    assert (report["dry_run"], report["created"]) == (True, 1)
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (b"name\nAda\n", ["--map", "name"], "--map takes column=field, not 'name'."),
        ("name\nJosé\n".encode("latin-1"), [], "Line 2 is not UTF-8"),
    ],
)
def test_the_command_refuses_what_it_cannot_import(tmp_path, content, args, message):
    path = tmp_path / "people.csv"
    path.write_bytes(content)

    with pytest.raises(CommandError) as error:
        run("customers", str(path), *args)

    assert str(error.value).startswith(message)
    assert Customer.objects.count() == 0


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run("customers", str(tmp_path / "missing.csv"))
