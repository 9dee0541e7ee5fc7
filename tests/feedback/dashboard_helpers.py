"""What the tests of the manager dashboard share (test_dashboard_*.py): the
moment they run at (their `pytestmark` pins it), its addresses, the answers
they make and the helpers that read its lists; their fixtures are in
conftest.py."""

import csv
import io
from datetime import UTC, date, datetime, time

from customers.models import Customer, Stage
from surveys.models import Survey, SurveyResponse
from tests.factories import CustomerFactory, SurveyResponseFactory

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday in 2026-W47
TODAY = NOW.date()
# The default range: the 90 days up to today.
DEFAULT_START = date(2026, 8, 21)
INDEX = "/dashboard/"
ANSWERS = "/dashboard/answers/"
CSV_URL = "/dashboard/answers.csv"


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def answer(
    survey: Survey,
    score: int,
    *,
    day: date = date(2026, 11, 16),
    customer: Customer | None = None,
    **fields,
) -> SurveyResponse:
    customer = customer or CustomerFactory.create()
    fields.setdefault("stage", Stage.PURCHASE)
    fields.setdefault("segment", "smb")
    return SurveyResponseFactory.create(
        invitation__survey=survey,
        invitation__answered_at=at_noon(day),
        invitation__customer=customer,
        invitation__interaction__customer=customer,
        company=customer.company,
        score=score,
        answered_at=at_noon(day),
        **fields,
    )


def listed_ids(client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200
    return [answer.pk for answer in response.context["page"].rows]


def read_csv(response) -> list[list[str]]:
    assert response.streaming is True
    # Without the BOM that Excel needs (test_the_csv_opens_in_excel_…).
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))
