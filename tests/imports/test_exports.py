import codecs
import csv
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from customers.models import Customer
from feedback.answers import CSV_COLUMNS
from imports import exports, services
from lib import csv_stream
from tests.api import session
from tests.factories import (
    CaseFactory,
    CompanyFactory,
    CustomerFactory,
    SurveyResponseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = response.getvalue().decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def test_customers_export_streams_one_row_per_customer(support):
    owner = UserFactory.create(username="owen", is_staff=True)
    company = CompanyFactory.create(name="Acme", external_id="acme-1")
    ada = CustomerFactory.create(
        name="王小明",
        email="wang@example.com",
        company=company,
        owner=owner,
        external_id="ext-1",
        tags=["vip", "beta"],
        language="zh-hans",
    )
    CustomerFactory.create(name="Bob", company=None)

    response = session(support).get("/api/v1/exports/customers/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = rows_of(response)
    assert rows[0] == exports.CUSTOMER_COLUMNS
    assert len(rows) == 3
    assert dict(zip(rows[0], rows[1], strict=True)) | {
        "created_at": "",
        "updated_at": "",
    } == {
        "id": str(ada.pk),
        "name": "王小明",
        "email": "wang@example.com",
        "phone": "",
        "company_id": str(company.pk),
        "company": "Acme",
        "company_external_id": "acme-1",
        "segment": "smb",
        "stage": "usage",
        "language": "zh-hans",
        "timezone": "UTC",
        "owner": "owen",
        "external_id": "ext-1",
        "tags": "vip,beta",
        "email_opted_out_at": "",
        "erased_at": "",
        "created_at": "",
        "updated_at": "",
    }
    assert rows[2][1] == "Bob"


def test_an_exported_file_imports_back_unchanged_chinese_names_included(support):
    CustomerFactory.create(name="李雷", email="li@example.com", external_id="li")
    response = session(support).get("/api/v1/exports/customers/")
    assert isinstance(response, StreamingHttpResponse)
    data = response.getvalue()

    report = services.import_customers(
        io.BytesIO(data),
        mapping={"name": "name", "email": "email", "external_id": "external_id"},
        dry_run=False,
        user=support,
    )

    assert (report.created, report.updated, report.failed) == (0, 1, 0)


def test_the_api_export_is_plain_utf8_unless_a_bom_is_asked_for(support):
    CustomerFactory.create(name="王小明")
    client = session(support)

    plain = client.get("/api/v1/exports/customers/")
    for_excel = client.get("/api/v1/exports/customers/", {"bom": "1"})

    assert isinstance(plain, StreamingHttpResponse)
    assert isinstance(for_excel, StreamingHttpResponse)
    plain_data = plain.getvalue()
    assert plain_data.startswith(b"id,name,")
    assert for_excel.getvalue() == codecs.BOM_UTF8 + plain_data


def test_a_bom_that_is_no_boolean_is_a_400(support):
    response = session(support).get("/api/v1/exports/cases/", {"bom": "maybe"})

    assert response.status_code == 400
    assert response.json()["bom"] == ["Must be a valid boolean."]


def test_the_schema_documents_the_bom_parameter(support):
    schema = session(support).get("/api/v1/schema/", {"format": "json"}).json()

    for name in ("customers", "responses", "cases"):
        parameters = schema["paths"][f"/api/v1/exports/{name}/"]["get"]["parameters"]
        [bom] = [parameter for parameter in parameters if parameter["name"] == "bom"]
        assert (bom["in"], bom["schema"]["type"]) == ("query", "boolean")


def test_the_export_honours_the_list_filters(support):
    CustomerFactory.create(email="a@example.com")
    CustomerFactory.create(email="b@example.com")

    response = session(support).get(
        "/api/v1/exports/customers/", {"email": "B@example.com"}
    )

    assert [row[2] for row in rows_of(response)[1:]] == ["b@example.com"]


def test_a_bad_filter_is_a_400(support):
    response = session(support).get("/api/v1/exports/customers/", {"company": "x"})

    assert response.status_code == 400


def test_formulas_are_quoted_to_stay_text(support):
    CustomerFactory.create(
        name='=HYPERLINK("http://evil")', phone="+1 555", segment="@x"
    )

    rows = rows_of(session(support).get("/api/v1/exports/customers/"))

    assert (rows[1][1], rows[1][3], rows[1][7]) == (
        '\'=HYPERLINK("http://evil")',
        "'+1 555",
        "'@x",
    )


def test_responses_export_is_the_dashboards_answers_csv(support):
    response = SurveyResponseFactory.create(score=3, comment="-bad")
    SurveyResponseFactory.create(score=10)

    rows = rows_of(session(support).get("/api/v1/exports/responses/"))

    assert rows[0] == CSV_COLUMNS
    assert len(rows) == 3
    by_id = {row[0]: dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert {
        key: by_id[str(response.pk)][key]
        for key in ("score", "band", "comment", "channel", "customer_id")
    } == {
        "score": "3",
        "band": "detractor",
        "comment": "'-bad",
        "channel": "phone",
        "customer_id": str(response.customer_id),
    }


def test_cases_export(support):
    case = CaseFactory.create()

    rows = rows_of(session(support).get("/api/v1/exports/cases/"))

    assert rows[0] == exports.CASE_COLUMNS
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (
        row["id"],
        row["status"],
        row["reason"],
        row["score"],
        row["customer_id"],
    ) == (
        str(case.pk),
        "open",
        "detractor",
        "3",
        str(case.customer_id),
    )


@pytest.mark.parametrize("name", ["customers", "responses", "cases"])
def test_an_outsider_may_not_export(outsider, name):
    response = session(outsider).get(f"/api/v1/exports/{name}/")

    assert response.status_code == 403


def test_the_export_takes_as_many_queries_for_fifty_rows_as_for_five(support):
    client = session(support)
    counts = []
    for total in (5, 50):
        while Customer.objects.count() < total:
            CustomerFactory.create()
        with CaptureQueriesContext(connection) as queries:
            rows = rows_of(client.get("/api/v1/exports/customers/"))
        assert len(rows) == total + 1
        counts.append(len(queries))

    assert counts[0] == counts[1]


@pytest.mark.parametrize("name", ["customers", "responses", "cases"])
@pytest.mark.parametrize("who", ["support", "outsider", "anonymous"])
def test_options_and_trace_on_an_export_never_fail(name, who, request):
    client = APIClient()
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    url = f"/api/v1/exports/{name}/"

    options = client.options(url)
    trace = client.generic("TRACE", url)

    signed_in = who != "anonymous"
    assert (options.status_code, trace.status_code) == (
        (200, 405) if signed_in else (401, 401)
    )


def test_the_export_honours_search(support):
    CustomerFactory.create(name="Ada Lovelace", email="ada@example.com")
    CustomerFactory.create(name="Bob", email="bob@example.com")

    response = session(support).get(
        "/api/v1/exports/customers/", {"search": "lovelace"}
    )

    assert [row[1] for row in rows_of(response)[1:]] == ["Ada Lovelace"]


def test_a_small_export_is_sent_in_one_piece(support):
    CustomerFactory.create_batch(3)

    response = session(support).get("/api/v1/exports/customers/")

    assert isinstance(response, StreamingHttpResponse)
    assert len(list(response.streaming_content)) == 1


def test_lines_are_sent_in_pieces_of_about_64_kilobytes():
    lines = [f"{n:09d}\n" for n in range(20_000)]  # 10 characters each

    pieces = list(csv_stream.in_pieces(iter(lines)))

    assert [len(piece) for piece in pieces] == [65_540, 65_540, 65_540, 3_380]
    assert "".join(pieces) == "".join(lines)
