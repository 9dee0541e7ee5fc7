import random
import threading

import pytest
from django.db import connection
from django.utils import timezone

from customers.models import Customer
from imports import pipeline, services
from imports.reading import Record
from tests.factories import CompanyFactory, CustomerFactory
from tests.imports.conftest import csv_bytes

pytestmark = pytest.mark.django_db


def import_customers(text: str, *, dry_run: bool = False, **kwargs):
    return services.import_customers(
        csv_bytes(text, bom=kwargs.pop("bom", False)),
        dry_run=dry_run,
        user=None,
        **kwargs,
    )


def test_valid_rows_are_created_with_every_field(staff_owner):
    company = CompanyFactory.create(name="Acme", external_id="acme-1")
    text = (
        "name,email,phone,company,segment,stage,language,timezone,owner,"
        "external_id,tags\n"
        "Ada,Ada@Example.com,+44 1,Acme,enterprise,Usage,zh-hans,Asia/Shanghai,"
        'owen-owner,crm-1,"vip, beta"\n'
    )

    report = import_customers(text)

    assert (report.rows, report.created, report.updated, report.failed) == (1, 1, 0, 0)
    customer = Customer.objects.get()
    assert (
        customer.name,
        customer.email,
        customer.phone,
        customer.company_id,
        customer.segment,
        customer.stage,
        customer.language,
        customer.timezone,
        customer.owner_id,
        customer.external_id,
        customer.tags,
    ) == (
        "Ada",
        "Ada@Example.com",
        "+44 1",
        company.pk,
        "enterprise",
        "usage",
        "zh-hans",
        "Asia/Shanghai",
        staff_owner.pk,
        "crm-1",
        ["vip", "beta"],
    )


def test_bom_semicolons_quoted_newlines_and_chinese_names():
    # A quoted line break is read as part of its cell; a name must be one
    # line, so that row is refused with its line and column.
    text = (
        "name;email;external_id\n"
        '"王小明\n（北京）";wang@example.com;cn-1\n'
        "李雷;li@example.com;cn-2\n"
        "王芳（上海）;wang.fang@example.com;cn-3\n"
    )

    report = import_customers(text, bom=True)

    assert (report.delimiter, report.created, report.failed) == (";", 2, 1)
    assert [(e.line, e.column, e.message) for e in report.errors] == [
        (2, "name", "Use one line without control characters (line breaks, tabs…).")
    ]
    assert list(
        Customer.objects.order_by("external_id").values_list("name", flat=True)
    ) == ["李雷", "王芳（上海）"]


def test_each_bad_value_is_reported_with_its_line_and_column():
    CompanyFactory.create(name="Twin")
    CompanyFactory.create(name="Twin")
    text = (
        "name,email,stage,language,timezone,owner,company,tags\n"
        "Ok,ok@example.com,,,,,,\n"
        "Bad email,not-an-email,,,,,,\n"
        "Bad stage,s@example.com,sleeping,,,,,\n"
        "Bad language,l@example.com,,fr,,,,\n"
        "Bad zone,z@example.com,,,Mars/Base,,,\n"
        "Bad owner,o@example.com,,,,nobody,,\n"
        "Twin company,t@example.com,,,,,Twin,\n"
        "Unknown company,u@example.com,,,,,Nowhere,\n"
        "Nul,n@exa\x00mple.com,,,,,,\n"
        f"{'x' * 201},long@example.com,,,,,,\n"
        ",noname@example.com,,,,,,\n"
    )

    report = import_customers(text)

    assert (report.rows, report.created, report.failed) == (11, 1, 10)
    assert [(e.line, e.column, e.message) for e in report.errors] == [
        (3, "email", "Enter a valid email address."),
        (
            4,
            "stage",
            "'sleeping' is not one of: awareness, consideration, decision, "
            "purchase, usage, repurchase, advocacy.",
        ),
        (5, "language", "'fr' is not one of: en, zh-hans."),
        (
            6,
            "timezone",
            "Mars/Base is not a known time zone (use a name like Asia/Shanghai).",
        ),
        (7, "owner", "No staff user is called 'nobody'."),
        (8, "company", "Several companies are called 'Twin'; use their external id."),
        (9, "company", "No company is called 'Nowhere'."),
        (10, "", "The row contains a NUL byte."),
        (
            11,
            "name",
            "Ensure this value has at most 200 characters (it has 201).",
        ),
        (12, "name", "A new customer needs a name."),
    ]
    assert list(Customer.objects.values_list("email", flat=True)) == ["ok@example.com"]


def test_an_existing_customer_is_updated_by_email_ignoring_case():
    customer = CustomerFactory.create(
        email="ada@example.com", name="Ada", phone="1", segment="smb"
    )

    report = import_customers("email,phone,segment\nADA@example.COM,2,\n")

    assert (report.created, report.updated, report.merged) == (0, 1, 0)
    customer.refresh_from_db()
    # A non-empty cell overwrites; an empty one leaves the field alone.
    assert (customer.name, customer.phone, customer.segment) == ("Ada", "2", "smb")
    assert Customer.objects.count() == 1


def test_an_existing_customer_is_updated_by_external_id():
    customer = CustomerFactory.create(external_id="ext-7", name="Old")

    report = import_customers("external_id,name,email\next-7,New,new@example.com\n")

    assert (report.created, report.updated) == (0, 1)
    customer.refresh_from_db()
    assert (customer.name, customer.email) == ("New", "new@example.com")


def test_duplicates_within_the_file_merge_into_one_customer():
    text = (
        "name,email,external_id,phone,segment\n"
        "Ada,ada@example.com,,111,\n"
        ",ADA@example.com,ext-1,,gold\n"
        "Ada L,,ext-1,222,\n"
    )

    report = import_customers(text)

    assert (report.rows, report.created, report.updated, report.merged) == (3, 1, 0, 2)
    customer = Customer.objects.get()
    assert (
        customer.name,
        customer.email,
        customer.external_id,
        customer.phone,
        customer.segment,
    ) == ("Ada L", "ada@example.com", "ext-1", "222", "gold")


def test_duplicates_merge_across_chunks(monkeypatch):
    monkeypatch.setattr(pipeline, "CHUNK", 2)
    text = "name,email\nA,a@example.com\nB,b@example.com\nA2,A@example.com\n"

    report = import_customers(text)

    assert (report.created, report.merged) == (2, 1)
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["A2", "B"]


def test_an_email_and_an_external_id_of_two_customers_is_a_row_error():
    first = CustomerFactory.create(email="a@example.com", external_id="")
    second = CustomerFactory.create(email="b@example.com", external_id="ext-b")

    report = import_customers("name,email,external_id\nX,a@example.com,ext-b\n")

    assert report.failed == 1
    assert report.errors[0].message == (
        "The email and the external id belong to two different customers "
        f"(#{first.pk} and #{second.pk})."
    )
    assert Customer.objects.filter(name="X").exists() is False


def test_a_dry_run_reports_the_same_and_writes_nothing():
    CustomerFactory.create(email="old@example.com")
    text = (
        "name,email\n"
        "Old,old@example.com\n"
        "New,new@example.com\n"
        "New again,NEW@example.com\n"
        "Bad,bad\n"
    )
    before = list(Customer.objects.values_list("id", "name", "updated_at"))

    report = import_customers(text, dry_run=True)

    assert (
        report.dry_run,
        report.created,
        report.updated,
        report.merged,
        report.failed,
    ) == (
        True,
        1,
        1,
        1,
        1,
    )
    assert [(row["line"], row["action"]) for row in report.preview] == [
        (2, "update"),
        (3, "create"),
        (4, "merge"),
        (5, "error"),
    ]
    assert list(Customer.objects.values_list("id", "name", "updated_at")) == before


def test_a_mapping_renames_and_leaves_out_columns():
    report = import_customers(
        "Full name,E-mail,Notes\nAda,ada@example.com,ignore me\n",
        mapping={"Full name": "name", "E-mail": "email", "Notes": ""},
    )

    assert report.mapping == {"Full name": "name", "E-mail": "email"}
    assert list(Customer.objects.values_list("name", "email")) == [
        ("Ada", "ada@example.com")
    ]


def test_the_default_mapping_matches_header_names():
    assert services.default_mapping(
        ["Name", "E-mail", "External ID", "Time zone", "Whatever"],
        services.CUSTOMER_FIELDS,
    ) == {
        "Name": "name",
        "E-mail": "email",
        "External ID": "external_id",
        "Time zone": "timezone",
    }


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"Nope": "name"}, "The file has no column 'Nope'."),
        ({"name": "password"}, "'password' is not a field you can import"),
        ({"name": "name", "email": "name"}, "Two columns map to name."),
        ({"name": "phone"}, "Map a column to name, email or external_id."),
    ],
)
def test_a_mapping_that_does_not_fit_is_refused(mapping, message):
    with pytest.raises(services.MappingError) as error:
        import_customers("name,email\nAda,a@example.com\n", mapping=mapping)

    assert str(error.value).startswith(message)
    assert Customer.objects.count() == 0


def test_five_percent_bad_rows_the_rest_imported_the_bad_listed():
    rng = random.Random(5)
    bad_lines = set(rng.sample(range(2, 2002), 100))
    lines = ["name,email"]
    for line in range(2, 2002):
        email = "broken-at-line" if line in bad_lines else f"c{line}@example.com"
        lines.append(f"Customer {line},{email}")

    report = import_customers("\n".join(lines) + "\n")

    assert (report.rows, report.created, report.failed) == (2000, 1900, 100)
    assert {error.line for error in report.errors} == bad_lines
    assert {error.column for error in report.errors} == {"email"}
    assert Customer.objects.count() == 1900


def test_a_ten_megabyte_file_is_imported_in_chunks(django_assert_max_num_queries):
    row = "Customer {n},customer{n}@example.com,ext-{n},{pad}\n"
    pad = "x" * 100
    lines = ["name,email,external_id,segment\n"]
    size, n = len(lines[0]), 0
    while size < 10 * 1024 * 1024:
        line = row.format(n=n, pad=pad[:50])
        lines.append(line)
        size += len(line)
        n += 1
    data = "".join(lines)

    # A few queries per chunk of 2,000 rows, not one per row (SQLite splits
    # a bulk insert by its limit of variables per statement: more, still few).
    chunks = n // services.CHUNK + 1
    limit = 6 * chunks if connection.vendor == "postgresql" else n // 20
    with django_assert_max_num_queries(limit):
        report = import_customers(data)

    assert (report.rows, report.created, report.failed) == (n, n, 0)
    assert Customer.objects.count() == n


# serialized_rollback: the flush after the test must not take the roles and
# root causes that migrations made from the tests that run later.
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a second connection writing meanwhile: SQLite locks the file",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_row_lost_to_a_concurrent_save_is_merged_on_the_retry(monkeypatch):
    importer = services.CustomerImport(
        columns={"name": "name", "email": "email"}, dry_run=False
    )
    original = services.CustomerImport.existing
    calls = []

    def save_elsewhere():
        CustomerFactory.create(email="race@example.com", name="Theirs")
        connection.close()

    def existing_then_a_concurrent_save(self, rows):
        found = original(self, rows)
        calls.append(len(found))
        if len(calls) == 1:
            # Another connection commits this customer after the chunk read
            # its keys and before it writes.
            thread = threading.Thread(target=save_elsewhere)
            thread.start()
            thread.join()
        return found

    monkeypatch.setattr(
        services.CustomerImport, "existing", existing_then_a_concurrent_save
    )

    result = importer.run([Record(2, {"name": "Ours", "email": "race@example.com"})])

    assert calls == [0, 1]
    assert [(row.action, row.errors) for row in result.rows] == [("update", [])]
    assert list(Customer.objects.values_list("name", flat=True)) == ["Ours"]


def test_an_erased_customer_is_not_filled_again():
    customer = CustomerFactory.create(
        email="gone@example.com", name="", erased_at=timezone.now()
    )

    report = import_customers("name,email\nBack,gone@example.com\n")

    assert [(e.line, e.message) for e in report.errors] == [
        (2, "This customer was erased; their data stays erased.")
    ]
    customer.refresh_from_db()
    assert customer.name == ""
