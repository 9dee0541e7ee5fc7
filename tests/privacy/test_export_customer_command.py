"""manage.py export_customer CUSTOMER_ID --output FILE.zip."""

import hashlib
import json
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command

from privacy.services.erasure import erase_customer
from tests.factories import CustomerFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db


def export(*args: str) -> str:
    out = StringIO()
    call_command("export_customer", *args, stdout=out)
    return out.getvalue()


def test_the_command_writes_the_zip_and_prints_what_it_holds(tmp_path):
    customer = CustomerFactory.create()
    SurveyResponseFactory.create(
        invitation__interaction__customer=customer, comment="Fine."
    )
    output = tmp_path / "export.zip"

    printed = export(str(customer.pk), "--output", str(output)).splitlines()

    data = output.read_bytes()
    assert printed[0] == (
        f"Customer #{customer.pk} exported to {output} ({len(data)} bytes)."
    )
    assert "answers: 1" in printed
    assert "interactions: 1" in printed
    assert "withheld: 0" in printed
    assert printed[-1] == f"sha256: {hashlib.sha256(data).hexdigest()}"
    with zipfile.ZipFile(output) as archive:
        subject = json.loads(archive.read("subject.json"))
    assert subject["answers"][0]["comment"] == "Fine."
    assert output.stat().st_mode & 0o777 == 0o600
    assert [path.name for path in tmp_path.iterdir()] == ["export.zip"]


def test_the_export_is_recorded_in_the_access_log(tmp_path):
    customer = CustomerFactory.create()

    export(str(customer.pk), "--output", str(tmp_path / "export.zip"))

    entry = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).get()
    assert entry.object_pk == str(customer.pk)
    assert entry.additional_data == {"via": "export"}


def test_an_unknown_customer_is_a_clear_error_and_writes_nothing(tmp_path):
    output = tmp_path / "export.zip"

    with pytest.raises(CommandError, match=r"^No customer has the id 999999\.$"):
        export("999999", "--output", str(output))

    assert not output.exists()


def test_an_erased_customer_has_no_one_to_export(tmp_path):
    customer = CustomerFactory.create()
    SurveyResponseFactory.create(invitation__interaction__customer=customer)
    tombstone_id = erase_customer(customer).tombstone_id

    with pytest.raises(CommandError, match="was erased"):
        export(str(tombstone_id), "--output", str(tmp_path / "export.zip"))
    with pytest.raises(CommandError, match="No customer has the id"):
        export(str(customer.pk), "--output", str(tmp_path / "export.zip"))


def test_a_missing_directory_is_a_clear_error(tmp_path):
    customer = CustomerFactory.create()
    output = tmp_path / "nowhere" / "export.zip"

    with pytest.raises(CommandError, match="does not exist"):
        export(str(customer.pk), "--output", str(output))


def test_a_directory_given_as_the_output_is_a_clear_error(tmp_path):
    customer = CustomerFactory.create()

    with pytest.raises(CommandError, match="is a directory"):
        export(str(customer.pk), "--output", str(tmp_path))


def test_a_path_that_cannot_be_written_is_a_clear_error():
    """/proc takes no new file, even from root (who passes every permission
    check of a plain directory)."""
    customer = CustomerFactory.create()
    output = Path("/proc/touchloop-export.zip")

    with pytest.raises(CommandError, match=r"^/proc/touchloop-export\.zip cannot be"):
        export(str(customer.pk), "--output", str(output))

    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


def test_the_output_is_required():
    with pytest.raises(CommandError, match="--output"):
        call_command("export_customer", "1")
