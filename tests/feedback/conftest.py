"""The feedback tests' fixtures: the alert tasks asked for (every test), and
those that the tests of one subject, split across modules, share. Their plain
helpers are in one module per subject (case_api_helpers.py, admin_helpers.py,
dashboard_helpers.py, metrics_api_helpers.py, metrics_helpers.py)."""

from datetime import timedelta

import pytest

from customers.models import Stage, Touchpoint
from feedback import tasks
from feedback.models import CaseEvent, RootCause
from surveys.models import Kind, Survey, SurveyResponse
from surveys.services import rollup
from tests.factories import (
    CaseEventFactory,
    CaseFactory,
    CustomerFactory,
    InteractionFactory,
    SurveyFactory,
    SurveyResponseFactory,
    TouchpointFactory,
    UserFactory,
)
from tests.feedback import admin_helpers, case_api_helpers, dashboard_helpers
from tests.smtp import closed_smtp_port, smtp_server
from text import rollup as comment_rollup

__all__ = ["closed_smtp_port", "smtp_server"]


@pytest.fixture(autouse=True)
def queued(monkeypatch):
    """The alert tasks asked for (the broker is the edge of this world)."""
    ids: list[int] = []
    monkeypatch.setattr(tasks.deliver_alert_task, "delay", ids.append)
    return ids


# The cases API (test_api_cases_*.py, test_api_root_causes.py). Its users sign
# in with keys: no password.


@pytest.fixture
def case_owner(db):
    """A support-staff member who owns the case under test."""
    return UserFactory.create(username="oona-owner", groups=["Support"], password=None)


@pytest.fixture
def colleague(db):
    """Another support-staff member, to hand cases to."""
    return UserFactory.create(
        username="cole-colleague", groups=["Support"], password=None
    )


@pytest.fixture
def owned_case(case_owner):
    """An open case from a detractor's answer, owned by `case_owner`."""
    return CaseFactory.create(
        owner=case_owner, created_at=case_api_helpers.NOW - case_api_helpers.HOUR
    )


@pytest.fixture
def cause(db):
    return RootCause.objects.get(name="Billing")


@pytest.fixture
def role_users(support, case_owner, manager, outsider):
    return {
        "support": support,
        "owner": case_owner,
        "manager": manager,
        "outsider": outsider,
        "anonymous": None,
    }


# The case desk in the admin (test_admin_*.py)


@pytest.fixture
def owner(db):
    """A support-staff member with a name, who owns `case`."""
    return UserFactory.create(
        username="oona-owner",
        first_name="Oona",
        last_name="Owner",
        groups=["Support"],
    )


@pytest.fixture
def case(owner):
    """An open case from a detractor's answer and its interaction, owned by
    `owner`, due in five hours."""
    interaction = InteractionFactory.create(subject="Broken invoice")
    response = SurveyResponseFactory.create(
        invitation__interaction=interaction,
        invitation__customer=interaction.customer,
        score=2,
        comment="Nobody called me back",
    )
    case = CaseFactory.create(
        response=response,
        interaction=interaction,
        owner=owner,
        due_at=admin_helpers.NOW + timedelta(hours=5),
        created_at=admin_helpers.NOW - timedelta(hours=1),
    )
    CaseEventFactory.create(
        case=case, kind=CaseEvent.Kind.OPENED, created_at=case.created_at
    )
    return case


# The manager dashboard (test_dashboard_*.py)


@pytest.fixture
def survey(db) -> Survey:
    return SurveyFactory.create(name="Relationship NPS", kind=Kind.NPS)


@pytest.fixture
def checkout(db) -> Touchpoint:
    return TouchpointFactory.create(name="Checkout", stage=Stage.PURCHASE)


@pytest.fixture
def onboarding(db) -> Touchpoint:
    return TouchpointFactory.create(name="Onboarding call", stage=Stage.USAGE)


@pytest.fixture
def five(survey, checkout) -> list[SurveyResponse]:
    """3 promoters, 1 passive, 1 detractor with a comment and a case:
    NPS 40.0, margin 1.96 · √((0.6 + 0.2 − 0.4²) / 5) · 100 = ±70.1."""
    rows = [
        dashboard_helpers.answer(
            survey, score, touchpoint=checkout, customer=CustomerFactory.create()
        )
        for score in (9, 10, 9, 7)
    ]
    detractor = dashboard_helpers.answer(
        survey,
        3,
        touchpoint=checkout,
        customer=CustomerFactory.create(name="Wang Fang"),
        comment="Delivery took three weeks.",
    )
    CaseFactory.create(response=detractor)
    rollup.rebuild_rollup()
    return [*rows, detractor]


# The metrics API (test_api_metrics_*.py)


@pytest.fixture
def nps_survey(db) -> Survey:
    return SurveyFactory.create(name="Relationship NPS", kind=Kind.NPS)


# The figures the database counts (test_metrics_*.py)


@pytest.fixture
def metrics_settings(settings):
    """The site's zone and minimum sample the figures are worked out for (the
    modules ask for it in their `pytestmark`)."""
    settings.TIME_ZONE = "UTC"
    settings.METRICS_MIN_SAMPLE = 30


@pytest.fixture(params=[False, True], ids=["raw", "rollup"])
def counted(request, settings):
    """Each figure read from the raw answers, then from the rollups: call it
    once the answers and readings are written (factories bypass the answer
    and text services, so both rollups are rebuilt)."""
    settings.METRICS_USE_ROLLUP = request.param

    def ready() -> None:
        if request.param:
            rollup.rebuild_rollup()
            comment_rollup.rebuild_comment_rollup()

    return ready
