from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from feedback.metrics import MISSING_LABEL, LoopFigures, loop_metrics
from feedback.metrics.filters import AnswerFilter
from feedback.models import Case
from surveys.models import Kind
from tests.factories import (
    CaseFactory,
    CustomerFactory,
    InteractionFactory,
    RootCauseFactory,
    SurveyFactory,
    SurveyResponseFactory,
    TouchpointFactory,
    UserFactory,
)

NOW = datetime(2025, 3, 12, 12, 0, tzinfo=UTC)  # a Wednesday
T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)  # the Monday before
TOKYO = ZoneInfo("Asia/Tokyo")
HOUR = timedelta(hours=1)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def response_case(*, touchpoint=None, interaction=None, **fields) -> Case:
    """A case opened from a negative answer, its touchpoint frozen on it."""
    response = SurveyResponseFactory.create(score=3, touchpoint=touchpoint)
    return CaseFactory.create(response=response, interaction=interaction, **fields)


def manual_case(*, interaction=None, **fields) -> Case:
    return CaseFactory.create(
        response=None,
        customer=CustomerFactory.create(),
        interaction=interaction,
        reason=Case.Reason.MANUAL,
        **fields,
    )


def contacted_after(hours: float, *, created_at: datetime = T0) -> Case:
    return manual_case(
        created_at=created_at, first_contact_at=created_at + hours * HOUR
    )


@pytest.fixture
def loop():
    """Seven cases, each figure worked out by hand in the tests below.

    case  owner  from      touchpoint  contact  due    status     outcome
    A     alice  response  checkout    +2h      +24h   closed     recovered
    B     alice  response  checkout    +30h     +24h   closed     not recovered
    C     bob    response  onboarding  +4h      +24h   contacted  pending
                           (interaction's: the response has none)
    D     bob    response  onboarding  —        +24h   open       pending
                           (the response's wins over the interaction's)
    E     —      manual    —           —        +48h*  open       pending
    F     alice  manual    checkout    +1h      +24h   closed     recovered
                           (interaction's)
    G     —      response  checkout    —        +24h   closed     pending

    Times are from created_at (T0 plus one hour per letter); * E's deadline has
    not passed at NOW, every other one has.
    """
    alice = UserFactory.create(username="alice", first_name="Alice", last_name="Archer")
    bob = UserFactory.create(username="bob")
    billing = RootCauseFactory.create(name="Billing")
    delivery = RootCauseFactory.create(name="Delivery")
    checkout = TouchpointFactory.create(name="Checkout")
    onboarding = TouchpointFactory.create(name="Onboarding")

    def at(letter: str) -> dict:
        created_at = T0 + "ABCDEFG".index(letter) * HOUR
        return {"created_at": created_at, "due_at": created_at + 24 * HOUR}

    cases = {
        "A": response_case(
            touchpoint=checkout,
            owner=alice,
            **at("A"),
            first_contact_at=T0 + 2 * HOUR,
            status=Case.Status.CLOSED,
            root_cause=billing,
            resolution="Refunded",
            outcome=Case.Outcome.RECOVERED,
        ),
        "B": response_case(
            touchpoint=checkout,
            owner=alice,
            **at("B"),
            first_contact_at=T0 + 31 * HOUR,
            status=Case.Status.CLOSED,
            root_cause=billing,
            resolution="Apologised",
            outcome=Case.Outcome.NOT_RECOVERED,
        ),
        "C": response_case(
            interaction=InteractionFactory.create(touchpoint=onboarding),
            owner=bob,
            **at("C"),
            first_contact_at=T0 + 6 * HOUR,
            status=Case.Status.CONTACTED,
        ),
        "D": response_case(
            touchpoint=onboarding,
            interaction=InteractionFactory.create(touchpoint=checkout),
            owner=bob,
            **at("D"),
        ),
        "E": manual_case(
            created_at=T0 + 4 * HOUR, due_at=NOW + 24 * HOUR, priority="urgent"
        ),
        "F": manual_case(
            interaction=InteractionFactory.create(touchpoint=checkout),
            owner=alice,
            **at("F"),
            first_contact_at=T0 + 6 * HOUR,
            status=Case.Status.CLOSED,
            root_cause=delivery,
            resolution="Sent again",
            outcome=Case.Outcome.RECOVERED,
        ),
        "G": response_case(
            touchpoint=checkout,
            **at("G"),
            status=Case.Status.CLOSED,
            root_cause=delivery,
            resolution="The customer found the parcel",
            priority="urgent",
        ),
    }
    return {
        "cases": cases,
        "alice": alice,
        "bob": bob,
        "billing": billing,
        "delivery": delivery,
        "checkout": checkout,
        "onboarding": onboarding,
    }


def test_the_overall_row_holds_the_hand_computed_figures(loop):
    assert loop_metrics() == [
        LoopFigures(
            key=None,
            label="all cases",
            opened=7,
            contacted=4,
            deadline_counted=6,
            from_responses=5,
            outcomes_known=3,
            # A 2h, B 30h, C 4h, F 1h
            median_hours_to_first_contact=3.0,
            # A, C, F of A, B, C, D, F, G (E can still make it)
            contacted_within_deadline_pct=50.0,
            closed_pct=57.1,
            # A, B of A, B, C, D, G (G closed without a contact, F is manual)
            loop_closure_rate_pct=40.0,
            recovery_rate_pct=66.7,
        )
    ]


def test_figures_by_owner_name_each_owner_and_the_unassigned_cases(loop):
    assert loop_metrics(by="owner") == [
        LoopFigures(
            key=loop["alice"].pk,
            label="Alice Archer",
            opened=3,
            contacted=3,
            deadline_counted=3,
            from_responses=2,
            outcomes_known=3,
            median_hours_to_first_contact=2.0,
            contacted_within_deadline_pct=66.7,
            closed_pct=100.0,
            loop_closure_rate_pct=100.0,
            recovery_rate_pct=66.7,
        ),
        LoopFigures(
            key=loop["bob"].pk,
            label="bob",
            opened=2,
            contacted=1,
            deadline_counted=2,
            from_responses=2,
            outcomes_known=0,
            median_hours_to_first_contact=4.0,
            contacted_within_deadline_pct=50.0,
            closed_pct=0.0,
            loop_closure_rate_pct=0.0,
            recovery_rate_pct=None,
        ),
        LoopFigures(
            key=None,
            label=MISSING_LABEL,
            opened=2,
            contacted=0,
            deadline_counted=1,
            from_responses=1,
            outcomes_known=0,
            median_hours_to_first_contact=None,
            contacted_within_deadline_pct=0.0,
            closed_pct=50.0,
            loop_closure_rate_pct=0.0,
            recovery_rate_pct=None,
        ),
    ]


def test_figures_by_root_cause(loop):
    rows = loop_metrics(by="root_cause")

    assert [
        (row.key, row.label, row.opened, row.median_hours_to_first_contact)
        for row in rows
    ] == [
        (None, MISSING_LABEL, 3, 4.0),
        (loop["billing"].pk, "Billing", 2, 16.0),
        (loop["delivery"].pk, "Delivery", 2, 1.0),
    ]
    assert [row.recovery_rate_pct for row in rows] == [None, 50.0, 100.0]


def test_a_case_counts_for_its_responses_touchpoint_else_its_interactions(loop):
    rows = loop_metrics(by="touchpoint")

    assert [(row.key, row.label, row.opened) for row in rows] == [
        (loop["checkout"].pk, "Checkout", 4),
        (loop["onboarding"].pk, "Onboarding", 2),
        (None, MISSING_LABEL, 1),
    ]
    assert [row.loop_closure_rate_pct for row in rows] == [66.7, 0.0, None]


def test_figures_by_week_start_on_monday(loop):
    manual_case(created_at=T0 - 1 * HOUR)  # Monday 08:00, the same week
    manual_case(created_at=T0 - 10 * HOUR)  # Sunday 23:00, the week before

    rows = loop_metrics(by="period", zone=ZoneInfo("UTC"))

    assert [(row.key, row.label, row.opened) for row in rows] == [
        (datetime(2025, 3, 3, tzinfo=UTC), "2025-W10", 1),
        (datetime(2025, 3, 10, tzinfo=UTC), "2025-W11", 8),
    ]
    assert rows[1].median_hours_to_first_contact == 3.0


def test_periods_are_the_local_calendars_not_utcs():
    # Sunday 14:00 UTC is Sunday 23:00 in Tokyo; Sunday 16:00 UTC is Monday 01:00.
    manual_case(created_at=datetime(2025, 3, 9, 14, 0, tzinfo=UTC))
    manual_case(created_at=datetime(2025, 3, 9, 16, 0, tzinfo=UTC))

    in_tokyo = loop_metrics(by="period", interval="week", zone=TOKYO)
    in_utc = loop_metrics(by="period", interval="week", zone=ZoneInfo("UTC"))

    assert [(row.key, row.label, row.opened) for row in in_tokyo] == [
        (datetime(2025, 3, 3, tzinfo=TOKYO), "2025-W10", 1),
        (datetime(2025, 3, 10, tzinfo=TOKYO), "2025-W11", 1),
    ]
    assert in_tokyo[1].key.utcoffset() == timedelta(hours=9)  # type: ignore[union-attr]
    assert [(row.key, row.label, row.opened) for row in in_utc] == [
        (datetime(2025, 3, 3, tzinfo=UTC), "2025-W10", 2),
    ]


@pytest.mark.parametrize(
    ("interval", "start", "label"),
    [
        ("day", datetime(2025, 4, 1, tzinfo=TOKYO), "2025-04-01"),
        ("week", datetime(2025, 3, 31, tzinfo=TOKYO), "2025-W14"),
        ("month", datetime(2025, 4, 1, tzinfo=TOKYO), "2025-04"),
        ("quarter", datetime(2025, 4, 1, tzinfo=TOKYO), "2025-Q2"),
    ],
)
def test_each_interval_buckets_by_the_local_date(interval, start, label):
    # 31 March 16:00 UTC is 1 April 01:00 in Tokyo, a Tuesday.
    manual_case(created_at=datetime(2025, 3, 31, 16, 0, tzinfo=UTC))

    rows = loop_metrics(by="period", interval=interval, zone=TOKYO)

    assert [(row.key, row.label, row.opened) for row in rows] == [(start, label, 1)]


def test_the_median_of_an_odd_count_is_the_middle_duration():
    for hours in (10, 1, 2):
        contacted_after(hours)

    assert loop_metrics()[0].median_hours_to_first_contact == 2.0


def test_the_median_of_an_even_count_is_halfway_between_the_middle_two():
    for hours in (10, 1, 2, 3):
        contacted_after(hours)
    manual_case(created_at=T0)  # not contacted: no duration to count

    assert loop_metrics()[0].median_hours_to_first_contact == 2.5


def test_the_median_is_taken_per_group():
    early, late = TouchpointFactory.create(), TouchpointFactory.create()
    for hours, touchpoint in [(1, early), (3, early), (5, late), (6, late), (9, late)]:
        response_case(
            touchpoint=touchpoint,
            created_at=T0,
            first_contact_at=T0 + hours * HOUR,
        )

    rows = loop_metrics(by="touchpoint")

    assert [(row.label, row.median_hours_to_first_contact) for row in rows] == [
        (late.name, 6.0),
        (early.name, 2.0),
    ]


def test_the_deadline_share_counts_contacted_cases_and_missed_deadlines_only():
    due_at = T0 + 24 * HOUR
    manual_case(created_at=T0, due_at=due_at, first_contact_at=due_at)  # in time
    late = due_at + timedelta(seconds=1)
    manual_case(created_at=T0, due_at=due_at, first_contact_at=late)
    manual_case(created_at=T0, due_at=due_at)  # missed, not contacted yet
    manual_case(created_at=T0, due_at=NOW + HOUR)  # can still make it
    manual_case(created_at=T0, due_at=None, first_contact_at=T0 + HOUR)  # no SLA

    [row] = loop_metrics()

    assert (row.deadline_counted, row.contacted_within_deadline_pct) == (3, 33.3)


def test_no_cases_give_an_overall_row_of_zeros_and_nones():
    assert loop_metrics() == [
        LoopFigures(
            key=None,
            label="all cases",
            opened=0,
            contacted=0,
            deadline_counted=0,
            from_responses=0,
            outcomes_known=0,
            median_hours_to_first_contact=None,
            contacted_within_deadline_pct=None,
            closed_pct=None,
            loop_closure_rate_pct=None,
            recovery_rate_pct=None,
        )
    ]


@pytest.mark.parametrize("by", ["owner", "root_cause", "touchpoint", "period"])
def test_no_cases_give_no_groups(by):
    assert loop_metrics(by=by) == []


def test_only_cases_created_from_start_until_before_end_count(loop):
    start, end = T0 + 1 * HOUR, T0 + 3 * HOUR  # B and C; D was opened at end

    [row] = loop_metrics(start=start, end=end)

    assert (row.opened, row.median_hours_to_first_contact) == (2, 17.0)


def test_the_figures_are_of_the_cases_given(loop):
    [row] = loop_metrics(Case.objects.filter(priority="urgent"))

    assert (row.opened, row.closed_pct, row.loop_closure_rate_pct) == (2, 50.0, 0.0)


@pytest.mark.parametrize("by", [None, "owner", "root_cause", "touchpoint", "period"])
def test_the_figures_take_one_query_and_the_median_one_more_on_sqlite(
    loop, by, django_assert_num_queries
):
    # PostgreSQL takes the median in the aggregate query; SQLite has none.
    queries = 1 if connection.vendor == "postgresql" else 2

    with django_assert_num_queries(queries):
        loop_metrics(by=by)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"by": "customer"}, "by must be one of"),
        ({"interval": "year"}, "interval must be one of"),
    ],
)
def test_an_unknown_grouping_or_interval_is_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        loop_metrics(**arguments)


def case_from(survey, *, created_at: datetime = T0, **frozen) -> Case:
    """A case opened at `created_at` from an answer to `survey` a day earlier,
    with `frozen` dimensions on the answer."""
    response = SurveyResponseFactory.create(
        invitation__survey=survey,
        score=1,
        answered_at=created_at - 24 * HOUR,
        **frozen,
    )
    return CaseFactory.create(response=response, created_at=created_at)


def test_a_filters_cases_are_those_opened_in_its_range_from_its_answers():
    nps, other_nps = SurveyFactory.create_batch(2, kind=Kind.NPS)
    csat = SurveyFactory.create(kind=Kind.CSAT)
    checkout = TouchpointFactory.create()
    # 10 and 11 March 2025 in UTC.
    first = datetime(2025, 3, 10, tzinfo=UTC)
    after = datetime(2025, 3, 12, tzinfo=UTC)
    cases = {
        "smb": case_from(nps, segment="smb", touchpoint=checkout),
        "first instant": case_from(nps, created_at=first),
        "last instant": case_from(nps, created_at=after - timedelta(microseconds=1)),
        "email": case_from(other_nps, channel="email", segment="enterprise"),
        "csat": case_from(csat, segment="smb"),
        "day before": case_from(nps, created_at=first - timedelta(microseconds=1)),
        "day after": case_from(nps, created_at=after),
        "manual": manual_case(created_at=T0),
    }
    answers = AnswerFilter(
        kind=Kind.NPS,
        start=date(2025, 3, 10),
        end=date(2025, 3, 11),
        zone=ZoneInfo("UTC"),
    )

    def opened(**narrowed) -> set[str]:
        chosen = AnswerFilter(**{**answers.__dict__, **narrowed}).cases()
        return {name for name, case in cases.items() if chosen.filter(pk=case.pk)}

    assert opened() == {"smb", "first instant", "last instant", "email"}
    assert opened(survey=nps.pk) == {"smb", "first instant", "last instant"}
    assert opened(dimensions={"segment": "smb"}) == {"smb"}
    assert opened(dimensions={"touchpoint": checkout.pk}) == {"smb"}
    assert opened(dimensions={"channel": "email"}) == {"email"}
    assert opened(dimensions={"channel": "email", "segment": "smb"}) == set()
    assert opened(kind=Kind.CSAT) == {"csat"}
    assert opened(survey=nps.pk, kind=Kind.CSAT) == set()
    # Without a range, every case opened from an answer of the kind.
    assert opened(start=None, end=None) == set(cases) - {"csat", "manual"}
    # The range is the cases' own: the answers were given the day before.
    assert answers.selected().count() == 2


def test_the_loop_metrics_of_a_filters_cases(loop):
    answers = AnswerFilter(
        kind=Kind.NPS,
        start=date(2025, 3, 10),
        end=date(2025, 3, 10),
        zone=ZoneInfo("UTC"),
    )

    def figures(**narrowed) -> LoopFigures:
        chosen = AnswerFilter(**{**answers.__dict__, **narrowed})
        [row] = loop_metrics(
            chosen.cases(), start=chosen.start_at, end=chosen.end_before
        )
        return row

    # A, B, C, D and G; E and F were opened by hand.
    every = figures()
    assert (every.opened, every.from_responses, every.loop_closure_rate_pct) == (
        5,
        5,
        40.0,
    )
    # A, B and G (C's touchpoint is its interaction's, not its answer's):
    # A and B closed the loop.
    checkout = figures(dimensions={"touchpoint": loop["checkout"].pk})
    assert (checkout.opened, checkout.loop_closure_rate_pct) == (3, 66.7)
    assert figures(start=date(2025, 3, 11), end=date(2025, 3, 11)).opened == 0
    assert figures(kind=Kind.CSAT).opened == 0
