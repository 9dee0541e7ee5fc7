"""The access export's ZIP (privacy.services.export.build_export)."""

import csv
import hashlib
import io
import json
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from privacy.models import RetentionRule
from privacy.services import export_files
from privacy.services.export import SECTIONS, build_export
from privacy.services.withholding import WITHHELD
from tests.factories import CustomerFactory
from tests.privacy.export_history import (
    history,
    other_customer,
    shared_case_note,
    staff_members,
)

pytestmark = pytest.mark.django_db


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads it as UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.fixture
def staff(db):
    return staff_members()


def test_the_zip_holds_every_kind_of_record_once_with_a_readme(staff):
    now = timezone.now()
    customer = CustomerFactory.create(name="Ada Lovelace", phone="+44 20 7000 0001")
    history(customer, staff, now=now)

    export = build_export(customer, now=now)

    files = unzip(export.data)
    assert sorted(files) == sorted(
        ["README.txt", "subject.json", *(f"{kind}.csv" for kind in SECTIONS)]
    )
    assert export.sha256 == hashlib.sha256(export.data).hexdigest()
    assert export.counts == {
        "profile": 1,
        "interactions": 2,  # the onboarding call, and the answered one
        "invitations": 1,
        "answers": 1,
        "cases": 1,
        "case_events": 2,
        "consent_events": 1,
        "unsubscribes": 0,
        "pilot_assignments": 1,
        # The change history's creations (the customer, two interactions, the
        # answer, the case) and the manager's look at the customer's page.
        "access_log": 6,
        "privacy_requests": 1,
    }
    assert export.withheld == 0


def test_subject_json_has_one_key_per_kind_with_stable_fields(staff):
    now = timezone.now()
    customer = CustomerFactory.create(name="Ada Lovelace")
    response = history(customer, staff, now=now)[0]

    subject = json.loads(unzip(build_export(customer, now=now).data)["subject.json"])

    assert list(subject) == ["export", *SECTIONS]
    assert subject["export"]["customer_id"] == customer.pk
    assert subject["export"]["withheld"] == 0
    for kind in SECTIONS:
        for row in subject[kind]:
            assert tuple(row) == export_files.COLUMNS[kind], kind
    (profile,) = subject["profile"]
    assert profile["name"] == "Ada Lovelace"
    assert profile["email"] == customer.email
    (answer,) = subject["answers"]
    assert answer["score"] == 3
    assert answer["comment"] == response.comment
    assert answer["sentiment"] == "negative"
    assert answer["themes"] == ["delivery"]
    assert answer["answered_at"].endswith("Z")
    assert answer["staff_role"] == "support"
    # Staff by role, and the system as such; never a name or a username.
    events = {event["kind"]: event for event in subject["case_events"]}
    assert events["opened"]["actor_role"] == "system"
    assert events["assigned"]["actor_role"] == "support"
    assert events["assigned"]["details"]["to"] == "manager"
    assert subject["cases"][0]["owner_role"] == "manager"
    assert subject["consent_events"][0]["staff_role"] == "support"
    (access,) = [row for row in subject["access_log"] if row["action"] == "access"]
    assert (access["action"], access["via"], access["actor_role"]) == (
        "access",
        "admin",
        "manager",
    )
    assert (access["record"], access["record_id"]) == ("customer", str(customer.pk))


def test_no_staff_name_username_or_address_is_in_the_zip(staff):
    now = timezone.now()
    customer = CustomerFactory.create()
    history(customer, staff, now=now)

    export = build_export(customer, now=now)

    for name, data in unzip(export.data).items():
        text = data.decode("utf-8-sig")
        for user in (staff.manager, staff.support):
            for value in (user.username, user.email, user.first_name, user.last_name):
                assert value not in text, (name, value)


def test_every_csv_parses_with_its_header_even_when_empty(staff):
    now = timezone.now()
    customer = CustomerFactory.create(name="王小明", language="zh-hans")
    history(customer, staff, now=now)

    export = build_export(customer, now=now)

    files = unzip(export.data)
    for kind in SECTIONS:
        data = files[f"{kind}.csv"]
        header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert tuple(header) == export_files.COLUMNS[kind]
        assert len(read_csv(data)) == export.counts[kind]
    assert read_csv(files["profile.csv"])[0]["name"] == "王小明"
    assert read_csv(files["answers.csv"])[0]["themes"] == '["delivery"]'


def test_a_comment_a_spreadsheet_would_run_stays_text_in_the_csv(staff):
    now = timezone.now()
    customer = CustomerFactory.create()
    response = history(customer, staff, now=now)[0]
    response.comment = "=HYPERLINK(1)"
    response.save()

    files = unzip(build_export(customer, now=now).data)

    assert read_csv(files["answers.csv"])[0]["comment"] == "'=HYPERLINK(1)"
    assert json.loads(files["subject.json"])["answers"][0]["comment"] == (
        "=HYPERLINK(1)"
    )


def test_an_english_customer_gets_an_english_readme(staff):
    now = timezone.now()
    customer = CustomerFactory.create(language="en")
    history(customer, staff, now=now)

    readme = unzip(build_export(customer, now=now).data)["README.txt"].decode()

    assert readme.startswith("Your personal data held by Touchloop\n")
    assert "Why we keep this data" in readme
    assert "interactions.csv: Interactions (2 records)" in readme
    assert "profile.csv: Your profile (1 record)" in readme
    assert "互动记录" not in readme


def test_a_chinese_customer_gets_the_readme_through_the_chinese_catalogue(staff):
    now = timezone.now()
    customer = CustomerFactory.create(language="zh-hans")
    history(customer, staff, now=now)

    readme = unzip(build_export(customer, now=now).data)["README.txt"].decode()

    # The kinds' names the catalogue holds already ("interactions",
    # "invitations", "privacy requests").
    assert "interactions.csv: 互动记录" in readme
    assert "invitations.csv: 调查邀请" in readme
    assert "privacy_requests.csv: 隐私请求" in readme
    assert "Interactions" not in readme


def test_the_readme_names_the_receivers_and_the_mail_relay(
    staff, settings, subscription_factory
):
    now = timezone.now()
    settings.SMTP_URL = "smtp://mailer:secret@relay.example.net:587"
    settings.EMAIL_HOST = "relay.example.net"
    subscription_factory.create(url="https://hooks.crm.example/in/SECRET-PATH")
    subscription_factory.create(url="https://gone.example/x", is_active=False)
    customer = CustomerFactory.create()

    readme = unzip(build_export(customer, now=now).data)["README.txt"].decode()

    assert "through the mail relay relay.example.net." in readme
    assert "receive events about you: hooks.crm.example." in readme
    assert "SECRET-PATH" not in readme
    assert "gone.example" not in readme
    assert "mailer" not in readme
    assert "secret" not in readme


def test_another_customers_details_in_a_shared_case_note_are_withheld(staff):
    now = timezone.now()
    customer = CustomerFactory.create(name="Ada Lovelace")
    other = other_customer()
    history(customer, staff, now=now)
    history(other, staff, now=now)
    shared_case_note(customer, other, staff, now=now)

    export = build_export(customer, now=now)

    # Otto's name, address and phone, and Sam Sutton's name.
    assert export.withheld == 4
    subject = json.loads(unzip(export.data)["subject.json"])
    assert subject["export"]["withheld"] == 4
    (note,) = [event for event in subject["case_events"] if event["kind"] == "note"]
    assert note["note"] == (
        f"Spoke with {customer.email}. Same issue as {WITHHELD} "
        f"({WITHHELD}, {WITHHELD}); {WITHHELD} will call back."
    )


def test_nothing_of_another_customer_is_anywhere_in_the_zip(staff):
    now = timezone.now()
    customer = CustomerFactory.create(name="Ada Lovelace")
    other = other_customer()
    history(customer, staff, now=now)
    history(other, staff, now=now)
    shared_case_note(customer, other, staff, now=now)

    export = build_export(customer, now=now)

    assert other.email.encode() not in export.data  # not even compressed away
    for name, data in unzip(export.data).items():
        text = data.decode("utf-8-sig")
        for value in (other.name, other.email, other.phone, "Otto", "7946"):
            assert value not in text, (name, value)


def test_the_customers_own_address_and_phone_stay(staff):
    now = timezone.now()
    customer = CustomerFactory.create(phone="138 0013 8000")
    history(customer, staff, now=now)
    response = customer.responses.get()
    response.comment = f"Call me on +86 138 0013 8000 or write to {customer.email}"
    response.save()

    export = build_export(customer, now=now)

    subject = json.loads(unzip(export.data)["subject.json"])
    assert subject["answers"][0]["comment"] == response.comment
    assert export.withheld == 0


def test_a_chinese_name_of_another_customer_is_withheld_inside_chinese_text(staff):
    now = timezone.now()
    customer = CustomerFactory.create(name="王小明", language="zh-hans")
    CustomerFactory.create(name="李华")
    history(customer, staff, now=now)
    response = customer.responses.get()
    response.comment = "我和李华都觉得送货太慢了"
    response.save()

    export = build_export(customer, now=now)

    subject = json.loads(unzip(export.data)["subject.json"])
    assert subject["answers"][0]["comment"] == f"我和{WITHHELD}都觉得送货太慢了"
    assert export.withheld == 1


def test_the_same_records_at_the_same_time_make_the_same_bytes(staff):
    now = timezone.now()
    customer = CustomerFactory.create()
    history(customer, staff, now=now)

    assert build_export(customer, now=now).sha256 == (
        build_export(customer, now=now).sha256
    )


def test_building_an_export_writes_nothing(staff):
    now = timezone.now()
    customer = CustomerFactory.create()
    history(customer, staff, now=now)

    with CaptureQueriesContext(connection) as queries:
        build_export(customer, now=now)

    statements = [query["sql"].lstrip().split()[0].upper() for query in queries]
    assert set(statements) == {"SELECT"}


def queries_for(customer, now) -> int:
    with CaptureQueriesContext(connection) as queries:
        build_export(customer, now=now)
    return len(queries)


def test_the_query_count_does_not_grow_with_the_history(staff):
    now = timezone.now()
    small = CustomerFactory.create()
    large = CustomerFactory.create()
    history(small, staff, now=now, answers=1)
    history(large, staff, now=now, answers=30)
    queries_for(small, now)  # content types and the like, cached after

    assert build_export(large, now=now).counts["answers"] == 30
    assert queries_for(large, now) == queries_for(small, now)


def test_the_readme_gives_the_retention_rules_as_they_are_set(staff):
    now = timezone.now()
    RetentionRule.objects.filter(category="closed_cases").update(age_days=200)
    RetentionRule.objects.filter(category="webhook_logs").update(is_enabled=False)
    customer = CustomerFactory.create()

    readme = unzip(build_export(customer, now=now).data)["README.txt"].decode()

    assert "- Comments on answers: 730 days, then: anonymise." in readme
    assert "- Closed cases: 200 days, then: anonymise." in readme
    assert "- Webhook events and delivery logs: kept until erased." in readme
    assert "- Suppressed address hashes: kept until erased." in readme


def test_a_name_written_in_lower_case_is_withheld_too(staff):
    now = timezone.now()
    customer = CustomerFactory.create()
    other_customer()
    history(customer, staff, now=now)
    response = customer.responses.get()
    response.comment = "otto outsider told me about you"
    response.save()

    export = build_export(customer, now=now)

    subject = json.loads(unzip(export.data)["subject.json"])
    assert subject["answers"][0]["comment"] == f"{WITHHELD} told me about you"


def test_text_deep_in_a_timeline_entrys_details_is_withheld_too(staff):
    now = timezone.now()
    customer = CustomerFactory.create()
    other = other_customer()
    history(customer, staff, now=now)
    case = customer.cases.get()
    case.events.create(
        kind="note",
        data={"comment": f"ask {other.email}", "changes": [{"by": other.phone}]},
    )

    export = build_export(customer, now=now)

    subject = json.loads(unzip(export.data)["subject.json"])
    (note,) = [event for event in subject["case_events"] if event["kind"] == "note"]
    assert note["details"] == {
        "comment": f"ask {WITHHELD}",
        "changes": [{"by": WITHHELD}],
    }
    assert export.withheld == 2


def test_a_one_word_name_is_withheld_only_as_written(staff):
    now = timezone.now()
    customer = CustomerFactory.create()
    CustomerFactory.create(name="Will")
    history(customer, staff, now=now)
    response = customer.responses.get()
    response.comment = "Will said that you will call back"
    response.save()

    export = build_export(customer, now=now)

    subject = json.loads(unzip(export.data)["subject.json"])
    assert (
        subject["answers"][0]["comment"] == f"{WITHHELD} said that you will call back"
    )
    assert export.withheld == 1
