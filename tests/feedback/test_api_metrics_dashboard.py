"""The metrics API and the dashboard agree: for the same query string, the
API returns the figures the dashboard shows."""

import html
import re
from datetime import date

import pytest

from customers.models import Channel, Stage
from feedback import charts
from feedback.models import Case
from surveys.models import Kind, Survey
from tests.factories import (
    CaseFactory,
    RootCauseFactory,
    SurveyFactory,
    TouchpointFactory,
)
from tests.feedback.metrics_api_helpers import (
    DAY,
    HOUR,
    NOW,
    RANGE,
    WEEK_47,
    WEEK_48,
    answer,
    at_noon,
    counted,
    get,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


# The dashboard's figures


@pytest.fixture
def shop(manager, support, nps_survey) -> dict[str, Survey]:
    """Answers of two kinds at two touchpoints (and none), from two segments,
    about two staff members, one customer answering twice; their invitations,
    half of them opened; a case per negative answer, every second one
    contacted and closed; a case opened by hand."""
    csat_survey = SurveyFactory.create(name="Checkout CSAT", kind=Kind.CSAT)
    checkout = TouchpointFactory.create(name="Checkout", stage=Stage.PURCHASE)
    ticket = TouchpointFactory.create(name="Support ticket", stage=Stage.USAGE)

    def about(touchpoint, segment, staff=None, channel=Channel.EMAIL) -> dict:
        # The answer's dimensions as the answer service freezes them from its
        # interaction and customer, which the funnel reads.
        return {
            "touchpoint": touchpoint,
            "stage": touchpoint.stage if touchpoint else Stage.USAGE,
            "segment": segment,
            "staff": staff,
            "channel": channel,
            "invitation__interaction__touchpoint": touchpoint,
            "invitation__interaction__channel": channel,
            "invitation__interaction__logged_by": staff,
            "invitation__interaction__customer__segment": segment,
        }

    answered = [
        # Before the range: the change of the breakdowns.
        (nps_survey, [10, 2], date(2026, 11, 10), about(checkout, "smb")),
        (nps_survey, [10, 9, 6], WEEK_47, about(checkout, "smb", manager)),
        (nps_survey, [3, 8], WEEK_47 + 2 * DAY, about(ticket, "ent", support, "phone")),
        (nps_survey, [10, 0, 7], WEEK_48 + DAY, about(ticket, "smb", support)),
        (nps_survey, [9], WEEK_48 + 3 * DAY, about(None, "ent", channel="chat")),
        (csat_survey, [5, 4, 2], WEEK_48, about(checkout, "smb", manager)),
    ]
    negative = []
    for survey, scores, day, dimensions in answered:
        for number, score in enumerate(scores):
            response = answer(
                survey,
                score,
                day,
                invitation__created_at=at_noon(day) - 2 * HOUR,
                invitation__opened_at=at_noon(day) - HOUR if number % 2 else None,
                **dimensions,
            )
            if response.band == "detractor":
                negative.append(response)
    # The second detractor's customer answers again, at the ticket.
    dimensions = about(ticket, "smb", support)
    del dimensions["invitation__interaction__customer__segment"]
    again = answer(
        nps_survey,
        9,
        WEEK_48 + 2 * DAY,
        invitation__interaction__customer=negative[1].customer,
        **dimensions,
    )
    assert again.customer == negative[1].customer
    for number, response in enumerate(negative):
        contacted = number % 2 == 0
        opened = response.answered_at + HOUR
        CaseFactory.create(
            response=response,
            created_at=opened,
            due_at=opened + 24 * HOUR,
            first_contact_at=opened + 3 * HOUR if contacted else None,
            status=Case.Status.CLOSED if contacted else Case.Status.OPEN,
            closed_at=opened + 4 * HOUR if contacted else None,
            root_cause=RootCauseFactory.create(name="Billing") if contacted else None,
            resolution="Called back." if contacted else "",
            outcome=Case.Outcome.RECOVERED if number == 2 else "",
        )
    CaseFactory.create(
        response=None,
        customer=negative[0].customer,
        reason=Case.Reason.MANUAL,
        created_at=at_noon(WEEK_47),
    )
    counted()
    return {"nps": nps_survey, "csat": csat_survey}


def one_decimal(value: float | None, *, before: str = "") -> str:
    """A figure as the page prints it."""
    return "" if value is None else before + charts.number(value)


def percent(points: float | None) -> str:
    return "" if points is None else f"{charts.number(points)}%"


def printed(row: dict, kind: str) -> tuple:
    """What the page shows of a score."""
    return (
        row["n"],
        one_decimal(row[kind]),
        one_decimal(row["margin"], before="±"),
        row["low_sample"],
    )


def shown_on_the_page(figures) -> tuple:
    return (figures.n, figures.score, figures.margin, figures.is_low_sample)


TREND_POINT = re.compile(
    r"(?P<label>\S+): (?P<score>\S+) (?P<margin>±\S+) \((?P<n>\d+) answers?\)"
    r"(?P<low_sample> — low sample)?"
)


def trend_points(chart: str) -> list[tuple]:
    """The label and figures of each point of the dashboard's trend chart."""
    points = []
    for title in re.findall(r'class="trend-point[^"]*"[^>]*><title>([^<]*)<', chart):
        point = TREND_POINT.fullmatch(html.unescape(title))
        assert point, title
        points.append(
            (
                point["label"],
                int(point["n"]),
                point["score"],
                point["margin"],
                point["low_sample"] is not None,
            )
        )
    return points


@pytest.mark.parametrize(
    "query",
    [
        {"by": "touchpoint"},
        {"by": "segment", "mode": "latest", "interval": "day"},
        {"by": "staff", "channel": "email", "interval": "month"},
        {"by": "channel", "kind": "csat"},
        {"by": "stage", "survey": "nps"},
        {"by": "touchpoint", "segment": "smb", "mode": "latest"},
    ],
)
def test_the_api_returns_the_dashboards_figures_for_the_same_query_string(
    client, manager, shop, query
):
    if "survey" in query:
        query = {**query, "survey": shop[query["survey"]].id}
    query = {**query, **RANGE}
    client.force_login(manager)
    page = client.get("/dashboard/", query)
    assert page.status_code == 200
    context = page.context
    shown = context["answer_filter"]
    kind = shown.kind
    without_by = {name: value for name, value in query.items() if name != "by"}

    def api(endpoint: str, query: dict) -> dict:
        response = get(manager, endpoint, **query)
        assert response.status_code == 200, response.json()
        body = response.json()
        # Both about the same answers (the funnel and loop count them all).
        mode = "all" if endpoint in ("funnel", "loop") else shown.mode
        about = (kind, shown.start.isoformat(), shown.end.isoformat(), mode)
        assert (body["kind"], body["from"], body["to"], body["mode"]) == about
        return body

    trend = api("trend", without_by)["results"]
    assert trend_points(str(context["trend_chart"])) == [
        (period["label"], *printed(period, kind)) for period in trend if period["n"]
    ]
    assert sum(period["n"] for period in trend) > 0

    funnel = api("funnel", query)
    figures = context["funnel"]["figures"]
    assert {name: funnel[name] for name in ("scheduled", "suppressed", "sent")} == {
        "scheduled": figures.scheduled,
        "suppressed": figures.suppressed,
        "sent": figures.sent,
    }
    assert (funnel["opened"], funnel["answered"], funnel["response_rate"]) == (
        figures.opened,
        figures.answered,
        figures.response_rate,
    )
    assert funnel["opened"] > 0

    journey = api("journey", query)
    assert sorted(
        (row["label"], cell["stage"], *shown_on_the_page(cell["figures"]))
        for row in context["journey"]["rows"]
        for cell in row["cells"]
        if cell is not None
    ) == sorted(
        (
            cell["touchpoint_label"] if cell["touchpoint"] else "no touchpoint",
            cell["stage"],
            *printed(cell, kind),
        )
        for cell in journey["cells"]
    )
    assert [
        (
            point["cell"]["stage"],
            point["cell"]["figures"].n,
            point["impact"],
            point["negative_share"],
        )
        for point in context["pain_points"]
    ] == [
        (
            point["stage"],
            point["n"],
            percent(100 * point["impact"]),
            percent(100 * point["negative_share"]),
        )
        for point in journey["pain_points"]
    ]

    breakdown = api("breakdown", query)
    assert [
        (
            row["label"],
            *shown_on_the_page(row["figures"]),
            row["figures"].change,
            row["figures"].is_significant,
        )
        for row in context["full_breakdown"]
    ] == [
        (
            group["label"],
            *printed(group, kind),
            "" if group["change"] is None else f"{group['change']:+.1f}",
            group["is_significant"],
        )
        for group in breakdown["results"]
    ]
    assert breakdown["results"]

    for dimension, lists in zip(
        ("touchpoint", "segment", "staff"), context["breakdowns"], strict=True
    ):
        groups = api("breakdown", {**query, "by": dimension})["results"]
        figures_of = {group["label"]: printed(group, kind) for group in groups}
        for row in lists["best"] + lists["worst"]:
            assert shown_on_the_page(row["figures"]) == figures_of[row["label"]]

    [loop] = api("loop", without_by)["results"]
    assert context["loop"] == {
        "opened": loop["opened"],
        "median_hours": one_decimal(loop["median_hours_to_first_contact"]),
        "contacted": loop["contacted"],
        "within_deadline": percent(loop["contacted_within_deadline_pct"]),
        "deadline_counted": loop["deadline_counted"],
        "closed": percent(loop["closed_pct"]),
        "loop_closure": percent(loop["loop_closure_rate_pct"]),
        "from_responses": loop["from_responses"],
        "recovery": percent(loop["recovery_rate_pct"]),
        "outcomes_known": loop["outcomes_known"],
    }
    assert loop["opened"] > 0
