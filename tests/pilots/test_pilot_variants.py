"""Randomised pilots of Touchloop's own settings (issue 19, item 6): a
treated customer gets the variant, a control customer the setting as
configured, through the code that uses the setting (the survey mail, its
reminder, a case's deadline and owner); the assignment is drawn by hash and
stored once; outside the running window nothing changes."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone

from customers.models import Customer
from feedback.models import Case
from feedback.services.cases import create_case
from lib import hooks
from pilots.models import Kpi, Pilot, PilotAssignment
from pilots.services.groups import assignment_counts
from pilots.services.pilots import create_pilot
from pilots.services.results import pilot_result
from pilots.services.variants import variant_for
from pilots.statistics.assignment import assign
from surveys import tokens
from surveys.services import previews, sending
from tests.factories import CustomerFactory, InvitationFactory, SurveyFactory
from tests.pilots.seeding import bulk_answers, noon

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def today():
    return timezone.localdate(timezone=timezone.get_default_timezone())


def variant_pilot(setting, value, *, starts=-1, ends=30, share=0.5):
    kpi = Kpi.objects.create(name="NPS", formula="nps")
    return create_pilot(
        by=None,
        today=today(),
        name=f"Variant of {setting}",
        hypothesis="The variant does better.",
        primary_kpi=kpi,
        unit="customer",
        treatment=[],
        control=None,
        treated_share=share,
        variant_setting=setting,
        variant_value=value,
        go_live=today() + timedelta(days=starts),
        planned_end=today() + timedelta(days=ends),
        min_effect=5,
    )


def one_of_each(pilot, **fields):
    """A treated and a control customer of the pilot (by its hash)."""
    found: dict[str, Customer] = {}
    while len(found) < 2:
        customer = CustomerFactory.create(language="en", **fields)
        group = assign(pilot.key, customer.pk, treated_share=pilot.treated_share)
        found.setdefault(group, customer)
    return found["treated"], found["control"]


def due(customer, survey):
    return InvitationFactory.create(
        customer=customer,
        interaction__customer=customer,
        survey=survey,
        status="scheduled",
        sent_at=None,
        scheduled_for=timezone.now() - timedelta(minutes=1),
    )


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_the_hook_is_declared():
    assert django_settings.HOOKS["variant"] == ["pilots.services.variants.variant_for"]


@pytest.mark.usefixtures("locmem")
def test_a_treated_customer_s_mail_asks_the_variant_question():
    survey = SurveyFactory.create(question_en="How did we do today?")
    pilot = variant_pilot(
        "survey_mail_text",
        {"survey": survey.pk, "question_en": "Would you recommend us to a friend?"},
    )
    treated, control = one_of_each(pilot)
    invitations = [due(treated, survey), due(control, survey)]

    assert sending.send_batch([row.pk for row in invitations]) == {"sent": 2}

    bodies = {message.to[0]: message.body for message in mail.outbox}
    assert "Would you recommend us to a friend?" in bodies[treated.email]
    assert "How did we do today?" not in bodies[treated.email]
    assert "How did we do today?" in bodies[control.email]
    assert "Would you recommend" not in bodies[control.email]
    groups = dict(
        PilotAssignment.objects.filter(pilot=pilot).values_list("customer", "group")
    )
    assert groups == {treated.pk: "treated", control.pk: "control"}


def test_the_survey_page_asks_the_question_the_mail_asked(client):
    survey = SurveyFactory.create(question_en="How did we do today?")
    pilot = variant_pilot(
        "survey_mail_text",
        {"survey": survey.pk, "question_en": "Would you recommend us to a friend?"},
    )
    treated, control = one_of_each(pilot)
    pages = {}
    for customer in (treated, control):
        invitation = InvitationFactory.create(
            customer=customer, survey=survey, status="sent"
        )
        pages[customer] = client.get(
            f"/s/{tokens.token_for(invitation.nonce)}/"
        ).content.decode()

    assert "Would you recommend us to a friend?" in pages[treated]
    assert "How did we do today?" not in pages[treated]
    assert "How did we do today?" in pages[control]


@pytest.mark.usefixtures("locmem")
def test_another_survey_s_mail_keeps_its_question():
    survey, other = SurveyFactory.create(), SurveyFactory.create(question_en="Other?")
    pilot = variant_pilot(
        "survey_mail_text", {"survey": survey.pk, "question_en": "The variant?"}
    )
    treated, _control = one_of_each(pilot)

    sending.send_batch([due(treated, other).pk])

    assert "Other?" in mail.outbox[0].body
    assert not PilotAssignment.objects.exists()


@pytest.mark.usefixtures("locmem")
def test_a_treated_customer_s_reminder_comes_after_the_variant_delay():
    survey = SurveyFactory.create(reminder_delay_days=3, max_reminders=1)
    pilot = variant_pilot("reminder_delay", {"hours": 20, "survey": None})
    treated, control = one_of_each(pilot)
    first, second = due(treated, survey), due(control, survey)

    sending.send_batch([first.pk, second.pk])

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.next_reminder_at == first.sent_at + timedelta(hours=20)
    assert second.next_reminder_at == second.sent_at + timedelta(days=3)


@pytest.mark.parametrize("priority", ["normal", "urgent"])
def test_a_treated_customer_s_case_is_due_within_the_variant_sla(priority):
    pilot = variant_pilot("case_sla", {"normal": 24, "urgent": 2})
    treated, control = one_of_each(pilot, owner=None)
    now = timezone.now()

    def opened(customer):
        return create_case(
            customer=customer,
            reason=Case.Reason.MANUAL,
            priority=priority,
            actor=None,
            now=now,
        )

    hours = {"normal": 24, "urgent": 2}[priority]
    assert opened(treated).due_at == now + timedelta(hours=hours)
    configured = django_settings.CASE_SLA_HOURS[priority]
    assert opened(control).due_at == now + timedelta(hours=configured)


def test_a_treated_customer_s_case_goes_by_the_variant_rule(manager, support):
    pilot = variant_pilot(
        "assignment_rule", {"rule": "round_robin", "group": "Support"}
    )
    treated, control = one_of_each(pilot, owner=manager)
    now = timezone.now()

    def opened(customer):
        return create_case(
            customer=customer,
            reason=Case.Reason.MANUAL,
            priority="normal",
            actor=None,
            now=now,
        )

    treated_case, control_case = opened(treated), opened(control)

    assert (treated_case.owner, treated_case.assignment_rule) == (
        support,
        "round_robin",
    )
    assert (control_case.owner, control_case.assignment_rule) == (
        manager,
        "customer_owner",
    )


def test_the_variant_applies_on_the_planned_end_as_the_result_counts_it():
    pilot = variant_pilot("case_sla", {"normal": 1}, starts=-30)
    Pilot.objects.filter(pk=pilot.pk).update(planned_end=today())
    treated, _control = one_of_each(pilot)

    assert hooks.gather(
        "variant", setting="case_sla", customer_id=treated.pk, today=today()
    ) == [{"normal": 1}]


@pytest.mark.parametrize(("starts", "ends"), [(1, 30), (-30, -1)])
def test_outside_the_running_window_nothing_changes(starts, ends):
    pilot = variant_pilot("case_sla", {"normal": 1}, starts=starts, ends=max(ends, 1))
    if ends < 1:  # ended: planned end before today (written past the check)
        Pilot.objects.filter(pk=pilot.pk).update(
            planned_end=today() + timedelta(days=ends)
        )
    treated, control = one_of_each(pilot)

    for customer in (treated, control):
        assert (
            hooks.gather(
                "variant", setting="case_sla", customer_id=customer.pk, today=today()
            )
            == []
        )
    assert not PilotAssignment.objects.exists()


def test_the_assignment_is_stored_once_and_deterministic():
    pilot = variant_pilot("case_sla", {"normal": 6})
    customers = CustomerFactory.create_batch(30)

    first = [
        variant_for(setting="case_sla", customer_id=c.pk, today=today())
        for c in customers
    ]
    again = [
        variant_for(setting="case_sla", customer_id=c.pk, today=today())
        for c in customers
    ]

    assert first == again
    rows = PilotAssignment.objects.filter(pilot=pilot)
    assert rows.count() == 30
    for customer, answer in zip(customers, first, strict=True):
        group = assign(pilot.key, customer.pk, treated_share=0.5)
        assert rows.get(customer=customer).group == group
        assert answer == ({"normal": 6} if group == "treated" else None)


def test_no_running_variant_costs_one_query(django_assert_num_queries):
    customer = CustomerFactory.create()

    with django_assert_num_queries(1):
        assert (
            hooks.gather(
                "variant", setting="case_sla", customer_id=customer.pk, today=today()
            )
            == []
        )


def test_the_result_checks_the_sample_ratio_of_the_customers_assigned_on_contact():
    survey = SurveyFactory.create(kind="nps")
    pilot = variant_pilot("case_sla", {"normal": 6}, starts=-14, ends=14)
    people = CustomerFactory.create_batch(60)
    for person in people:
        variant_for(setting="case_sla", customer_id=person.pk, today=today())
    bulk_answers(
        survey,
        [
            {
                "customer": person,
                "score": 10 - index % 11,
                "answered_at": noon(today() - timedelta(days=index % 10)),
            }
            for index, person in enumerate(people)
        ],
    )

    result = pilot_result(pilot, today=today())

    assert result["primary"]["label"] == "randomised"
    ratio = result["checks"]["sample_ratio"]
    counts = assignment_counts(pilot)
    assert (ratio["treated"], ratio["control"]) == (
        counts["treated"],
        counts["control"],
    )
    assert counts["treated"] + counts["control"] == 60
    assert ratio["expected_treated_share"] == 0.5


def test_a_preview_mail_asks_the_survey_s_own_question():
    survey = SurveyFactory.create(question_en="How did we do today?")
    variant_pilot("survey_mail_text", {"survey": survey.pk, "question_en": "Variant?"})

    message = previews.sample_mail(
        survey, language="en", name="Mia", email="mia@example.com"
    )

    assert "How did we do today?" in message.body
    assert not PilotAssignment.objects.exists()
