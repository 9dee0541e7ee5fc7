"""After an erasure, a full dump of the database holds nothing of the
person: not their name, address, phone, external id, comments, or what
staff wrote about them, in any table (webhook events, idempotency records,
the admin's log, the change history and access log, comment readings and
rollups included)."""

import subprocess

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.utils.timezone import now

from customers import consent
from privacy.access_log import accesses_about, entries_about
from privacy.models import ExportArchive
from privacy.services import requests
from privacy.services.erasure import erase_customer
from surveys.models import SurveyResponse
from tests.api import bearer
from tests.privacy.history import (
    CASE_NOTE,
    COMMENT,
    EMAIL,
    PERSONAL,
    build_history,
)
from text import services as text
from text.models import CommentAnalysis

ACCESS = LogEntry.Action.ACCESS
# Committed, so that pg_dump (another session) sees the rows.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def private_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


USER_AGENT = "Mozilla/5.0 (TestPhone; AdaOwnBuild)"


def database_dump() -> str:
    if connection.vendor == "sqlite":
        return "\n".join(connection.connection.iterdump())
    database = connection.settings_dict
    command = ["pg_dump", "--data-only", "--no-owner", "-d", database["NAME"]]
    for option, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
        if database.get(key):
            command += [option, str(database[key])]
    environment = {"PGPASSWORD": str(database.get("PASSWORD") or "")}
    return subprocess.run(
        command, capture_output=True, check=True, text=True, env=environment
    ).stdout


def test_a_database_dump_after_erasure_holds_nothing_of_the_person(support, manager):
    history = build_history(support, manager)
    for response_id in SurveyResponse.objects.filter(
        customer=history.customer
    ).values_list("pk", flat=True):
        text.read_comments_from(response_id)
    assert CommentAnalysis.objects.exclude(keywords=[]).exists()
    # Reads of the person (a retrieve, a search by their address, an answer)
    # join the change history the builder's doors wrote.
    read_by_support = bearer(support)
    read_by_support.get(f"/api/v1/customers/{history.customer.pk}/")
    read_by_support.get("/api/v1/customers/", {"search": EMAIL})
    read_by_support.get(f"/api/v1/cases/{history.case.pk}/")
    assert accesses_about(history.customer).count() == 2
    assert entries_about(history.customer).exclude(action=ACCESS).count() > 2
    # A consent with its evidence, and an access request served (its ZIP
    # waiting for the download, its verification quoting the address).
    consent.record_consent(
        history.customer,
        purpose="marketing",
        granted=True,
        source="survey_page",
        ip_address="203.0.113.77",
        user_agent=USER_AGENT,
    )
    access = requests.record(kind="access", customer=history.customer, now=now())
    requests.verify(access, by=manager, how=f"Reply from {EMAIL}", now=now())
    requests.ask_fulfil(access, now=now())
    requests.fulfil(access.pk, now=now())
    assert ExportArchive.objects.count() == 1
    before = database_dump()
    # The dump finds what it looks for: each string is there before.
    for needle in [*PERSONAL, CASE_NOTE, USER_AGENT, "203.0.113"]:
        assert needle in before, needle

    erase_customer(history.customer)

    after = database_dump()
    found = [
        needle
        for needle in [*PERSONAL, CASE_NOTE, USER_AGENT, "203.0.113"]
        if needle in after
    ]
    assert found == []
    assert ExportArchive.objects.count() == 0
    assert "teapot" not in after  # a keyword of the comment
    assert COMMENT not in after
    # The readings stay, without the comment's words.
    assert CommentAnalysis.objects.count() == 2
    assert list(CommentAnalysis.objects.values_list("keywords", flat=True)) == [[], []]
