"""The files of the access export (privacy.services.export): one CSV per kind
of record and the ZIP that holds them.

The CSVs are for people, so they open in a spreadsheet: UTF-8 with a byte
order mark (Excel reads a CSV without one in the system's code page, and
Chinese comes out garbled), and a cell a spreadsheet would run as a formula
quoted (lib.csv_stream.safe_cell). subject.json holds the exact values.
"""

import csv
import io
import json
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lib.csv_stream import BOM, safe_cell

Row = dict[str, Any]


def csv_bytes(section: str, rows: list[Row]) -> bytes:
    """One row per record, the kind's COLUMNS (its header even with no
    record); a list or an object as JSON."""
    names = COLUMNS[section]
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(names)
    for row in rows:
        writer.writerow([safe_cell(csv_cell(row.get(column))) for column in names])
    return out.getvalue().encode()


def csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


# Each kind's columns, in order: the keys its reader in privacy.services.export
# writes (tests/privacy/test_export.py checks they are the same).
COLUMNS: dict[str, tuple[str, ...]] = {
    "profile": columns(
        "id name email phone company segment stage language timezone "
        "owner_role external_id tags email_opted_out_at created_at "
        "updated_at"
    ),
    "interactions": columns(
        "id occurred_at touchpoint channel direction subject notes "
        "status survey_mode resolved_at logged_by_role created_at"
    ),
    "invitations": columns(
        "id survey survey_kind interaction_id status "
        "suppressed_reason scheduled_for sent_at opened_at "
        "reminders_sent answered_at expires_at created_at"
    ),
    "answers": columns(
        "id invitation_id survey kind score band comment language "
        "answered_at updated_at channel touchpoint stage segment "
        "staff_role sentiment sentiment_score themes"
    ),
    "cases": columns(
        "id opened_at reason priority status survey_kind answer_id "
        "interaction_id owner_role due_at first_contact_at "
        "contact_channel closed_at closed_as root_cause resolution "
        "escalation_level outcome"
    ),
    "case_events": columns("id case_id at kind actor_role note details"),
    "consent_events": columns(
        "id recorded_at purpose granted source policy_version "
        "ip_network user_agent staff_role"
    ),
    "unsubscribes": columns("scope unsubscribed_at"),
    "pilot_assignments": columns("pilot group assigned_at"),
    "access_log": columns("at action record record_id via actor_role changed_fields"),
    "privacy_requests": columns("id kind status received_at due_at completed_at"),
}


def zip_files(files: Mapping[str, bytes], *, now: datetime) -> bytes:
    """The files, each dated `now`: the same records at the same time make
    the same bytes (and the same sha256)."""
    stamp = now.astimezone(UTC).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()
