"""A matched control compares customers one by one (their own score,
volume, segment and channels): profiling. A customer who may not be
profiled is neither matched nor matched to."""

from datetime import timedelta

import pytest

from customers import consent
from customers.models import Customer
from pilots.models import Formula, Kpi, Unit
from pilots.services.groups import matched_control
from tests.factories import SurveyFactory
from tests.pilots.seeding import bulk_answers, companies, customers_of, noon, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def test_customers_who_may_not_be_profiled_are_left_out_of_matching():
    start = today() - timedelta(days=30)
    end = today() - timedelta(days=1)
    people = customers_of(companies(1)[0], 7)
    treated, chinese, consenting, withdrawn, plain, more, treated_cn = people
    Customer.objects.filter(pk__in=[chinese.pk, consenting.pk, treated_cn.pk]).update(
        jurisdiction="CN"
    )
    for customer, purpose_granted in ((consenting, True), (withdrawn, False)):
        consent.record_consent(
            customer,
            purpose=consent.Purpose.PROFILING,
            granted=purpose_granted,
            source=consent.Source.STAFF,
        )
    survey = SurveyFactory.create(kind="nps")
    bulk_answers(
        survey,
        [
            {
                "customer": person,
                "score": score,
                "answered_at": noon(start + timedelta(day)),
            }
            for person in people
            for day, score in enumerate((9, 7, 3, 10))
        ],
    )
    kpi = Kpi.objects.create(name="NPS", formula=Formula.NPS)

    matching = matched_control(
        kpi,
        unit=Unit.CUSTOMER,
        treated=[treated.pk, treated_cn.pk],
        start=start,
        end=end,
    )

    assert set(matching.matches) == {treated.pk}
    assert set(matching.control) <= {consenting.pk, plain.pk, more.pk}
    assert set(matching.control)
