from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from customers import services as customer_services
from customers.models import Customer, Interaction
from surveys.models import Invitation, Survey
from surveys.services import scheduling
from tests.factories import (
    CustomerFactory,
    InvitationFactory,
    SurveyFactory,
    TouchpointFactory,
)

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def log(customer, *, status="resolved", survey_mode="auto", channel="phone", **extra):
    return customer_services.log_interaction(
        customer=customer,
        channel=channel,
        logged_by=None,
        status=status,
        survey_mode=survey_mode,
        occurred_at=NOW,
        **extra,
    )


def invitations(customer):
    return list(
        Invitation.objects.filter(customer=customer)
        .order_by("id")
        .values_list("survey__name", "status", "suppressed_reason", "scheduled_for")
    )


@pytest.fixture
def survey():
    return SurveyFactory.create(name="NPS", delay_minutes=90)


def test_a_resolved_interaction_schedules_its_survey_after_the_delay(survey):
    customer = CustomerFactory.create()

    log(customer)

    assert invitations(customer) == [
        ("NPS", "scheduled", "", NOW + timedelta(minutes=90))
    ]


def test_channels_and_touchpoints_choose_the_survey():
    support = TouchpointFactory.create(name="Support")
    other = TouchpointFactory.create(name="Other")
    by_touchpoint = SurveyFactory.create(name="support only")
    by_touchpoint.touchpoints.add(support)
    SurveyFactory.create(name="chat only", channels=["chat"])
    SurveyFactory.create(name="inactive", is_active=False)
    SurveyFactory.create(name="manual", trigger=Survey.Trigger.MANUAL)
    first, second = CustomerFactory.create_batch(2)

    log(first, touchpoint=support)
    log(second, touchpoint=other, channel="chat")

    assert [row[0] for row in invitations(first)] == ["support only"]
    assert [row[0] for row in invitations(second)] == ["chat only"]


def test_an_open_interaction_waits_until_it_is_resolved(survey, clock):
    customer = CustomerFactory.create()
    interaction = log(customer, status="open")
    assert invitations(customer) == []

    clock.move_to(NOW + timedelta(hours=5))
    customer_services.update_interaction(interaction, status="resolved")

    assert invitations(customer) == [
        ("NPS", "scheduled", "", NOW + timedelta(hours=5, minutes=90))
    ]


def test_reopening_holds_the_survey_and_resolving_again_sends_one(survey, clock):
    customer = CustomerFactory.create()
    interaction = log(customer)

    customer_services.update_interaction(interaction, status="open")
    assert invitations(customer) == [("NPS", "scheduled", "", None)]

    clock.move_to(NOW + timedelta(days=1))
    customer_services.update_interaction(interaction, status="resolved")

    assert invitations(customer) == [
        ("NPS", "scheduled", "", NOW + timedelta(days=1, minutes=90))
    ]


def test_resolving_again_after_the_mail_went_out_sends_nothing_new(survey):
    customer = CustomerFactory.create()
    interaction = log(customer)
    Invitation.objects.update(status="sent", sent_at=NOW)

    customer_services.update_interaction(interaction, status="open")
    customer_services.update_interaction(interaction, status="resolved")

    assert [row[1] for row in invitations(customer)] == ["sent"]


def test_resolve_without_survey_suppresses_it(survey):
    customer = CustomerFactory.create()

    log(customer, survey_mode="skip")

    assert invitations(customer) == [("NPS", "suppressed", "skipped_by_staff", None)]


def test_choosing_skip_later_suppresses_the_waiting_survey(survey):
    customer = CustomerFactory.create()
    interaction = log(customer)

    customer_services.update_interaction(interaction, survey_mode="skip")

    assert invitations(customer) == [("NPS", "suppressed", "skipped_by_staff", None)]


@pytest.mark.parametrize(
    ("customer_fields", "reason"),
    [
        ({"email": ""}, "no_email"),
        ({"email_opted_out_at": NOW}, "opted_out"),
        ({"erased_at": NOW}, "erased"),
    ],
)
def test_a_customer_who_cannot_be_asked_gets_a_reason(survey, customer_fields, reason):
    customer = CustomerFactory.create(**customer_fields)

    log(customer)

    assert invitations(customer) == [("NPS", "suppressed", reason, None)]


def sent_before(customer, *, survey, ago):
    return InvitationFactory.create(
        customer=customer,
        interaction=None,
        survey=survey,
        status="sent",
        sent_at=NOW + timedelta(minutes=90) - ago,
    )


@pytest.mark.parametrize(
    ("ago", "status"),
    [
        (timedelta(days=30) - timedelta(seconds=1), "suppressed"),
        (timedelta(days=30) + timedelta(seconds=1), "scheduled"),
    ],
)
def test_the_global_throttle_is_thirty_days(survey, ago, status):
    customer = CustomerFactory.create()
    other_survey = SurveyFactory.create(trigger="manual")
    sent_before(customer, survey=other_survey, ago=ago)

    log(customer)

    assert invitations(customer)[-1][1:3] == (
        (status, "throttled") if status == "suppressed" else (status, "")
    )


@pytest.mark.parametrize(
    ("ago", "reason"),
    [
        (timedelta(hours=24) - timedelta(seconds=1), "throttled"),
        (timedelta(hours=24) + timedelta(seconds=1), ""),
    ],
)
def test_never_two_surveys_within_a_day_whatever_the_setting(
    survey, settings, ago, reason
):
    settings.SURVEY_THROTTLE_DAYS = 0
    customer = CustomerFactory.create()
    sent_before(customer, survey=SurveyFactory.create(trigger="manual"), ago=ago)

    log(customer)

    assert invitations(customer)[-1][2] == reason


def test_the_surveys_own_throttle_counts_only_its_own_mails(settings):
    survey = SurveyFactory.create(name="quarterly", throttle_days=90, delay_minutes=0)
    customer, other = CustomerFactory.create_batch(2)
    sent_before(customer, survey=survey, ago=timedelta(days=45))
    sent_before(
        other, survey=SurveyFactory.create(trigger="manual"), ago=timedelta(days=45)
    )

    log(customer)
    log(other)

    assert invitations(customer)[-1][1:3] == ("suppressed", "survey_throttled")
    assert invitations(other)[-1][1:3] == ("scheduled", "")


def test_a_mail_still_waiting_to_go_throttles_the_next(survey):
    customer = CustomerFactory.create()

    log(customer)
    log(customer)

    assert [row[1:3] for row in invitations(customer)] == [
        ("scheduled", ""),
        ("suppressed", "throttled"),
    ]


def test_one_interaction_is_asked_one_question(survey):
    SurveyFactory.create(name="CSAT", kind="csat")
    customer = CustomerFactory.create()

    log(customer)

    assert [row[:3] for row in invitations(customer)] == [
        ("NPS", "scheduled", ""),
        ("CSAT", "suppressed", "duplicate"),
    ]


def test_planning_an_interaction_twice_writes_nothing_more(survey):
    customer = CustomerFactory.create()
    interaction = log(customer)

    scheduling.schedule_for_interaction(interaction, now=NOW)

    assert Invitation.objects.filter(interaction=interaction).count() == 1


# Recurring relationship surveys


@pytest.mark.parametrize(
    ("day", "number"),
    [
        (date(1970, 1, 5), 0),  # Monday
        (date(1970, 1, 9), 4),  # Friday
        (date(1970, 1, 10), 4),  # Saturday counts as Friday
        (date(1970, 1, 11), 4),
        (date(1970, 1, 12), 5),  # next Monday
    ],
)
def test_weekday_numbers_skip_weekends(day, number):
    assert scheduling.weekday_number(day) == number


def test_nine_thousand_customers_over_ninety_days_are_about_a_hundred_a_day():
    survey = SurveyFactory.create(trigger="recurring", recurrence_days=90)
    Customer.objects.bulk_create(
        Customer(name=f"c{n}", email=f"c{n}@example.com") for n in range(9000)
    )
    start = date(2026, 11, 2)  # a Monday
    days = [start + timedelta(days=n) for n in range(90)]
    weekdays = [day for day in days if day.weekday() < 5]

    per_day = [scheduling.customers_on(survey, day).count() for day in weekdays]

    period = scheduling.period_in_weekdays(90)
    assert period == 64
    assert sum(per_day[:period]) == 9000  # each customer once in a period
    assert max(per_day) - min(per_day) <= 1  # spread evenly: 140 or 141
    assert round(9000 / 90) == 100  # a hundred per calendar day, as promised
    assert sum(per_day) / len(days) == pytest.approx(100, abs=3)


def test_a_recurring_survey_goes_out_in_the_customers_weekday_morning():
    survey = SurveyFactory.create(trigger="recurring", recurrence_days=7)
    Customer.objects.bulk_create(
        Customer(name=f"c{n}", email=f"c{n}@example.com", timezone=zone)
        for n, zone in enumerate(["Asia/Shanghai", "America/New_York", "UTC"] * 5)
    )
    thursday = date(2026, 11, 19)

    summary = scheduling.schedule_recurring(survey, day=thursday, now=NOW)

    planned = Invitation.objects.filter(survey=survey).select_related("customer")
    assert summary.scheduled == planned.count() > 0
    for invitation in planned:
        assert invitation.scheduled_for is not None
        local = invitation.scheduled_for.astimezone(
            ZoneInfo(invitation.customer.timezone)
        )
        assert local.date() == thursday
        assert 9 <= local.hour < 11
        assert invitation.occasion == "recurring:2026-11-19"


def test_a_recurring_run_is_safe_to_repeat_and_skips_weekends():
    survey = SurveyFactory.create(trigger="recurring", recurrence_days=7)
    CustomerFactory.create_batch(12)
    thursday = date(2026, 11, 19)

    first = scheduling.schedule_recurring(survey, day=thursday, now=NOW)
    again = scheduling.schedule_recurring(survey, day=thursday, now=NOW)
    saturday = scheduling.schedule_recurring(survey, day=date(2026, 11, 21), now=NOW)

    assert first.scheduled > 0
    assert again.as_dict() == {"scheduled": 0, "suppressed": {}}
    assert saturday.as_dict() == {"scheduled": 0, "suppressed": {}}


def test_the_morning_is_local_across_a_daylight_saving_change():
    customer = CustomerFactory.create(timezone="America/New_York")
    # 2026-11-01 ends daylight saving time in New York: 9:00 is 14:00 UTC after.
    before, after = date(2026, 10, 30), date(2026, 11, 2)

    first = scheduling.local_morning(customer, before).astimezone(UTC)
    second = scheduling.local_morning(customer, after).astimezone(UTC)

    assert (first.hour, second.hour) in {(13, 14), (14, 15)}
    assert second.hour - first.hour == 1


def test_schedule_all_recurring_plans_tomorrow_for_active_surveys():
    survey = SurveyFactory.create(trigger="recurring", recurrence_days=1)
    SurveyFactory.create(trigger="recurring", recurrence_days=1, is_active=False)
    CustomerFactory.create_batch(3)

    summaries = scheduling.schedule_all_recurring(now=NOW)

    assert list(summaries) == [survey.pk]
    assert summaries[survey.pk].scheduled == 3  # a period of one weekday: all
    assert set(Invitation.objects.values_list("occasion", flat=True)) == {
        "recurring:2026-11-19"
    }


# Manual sends


def test_a_manual_send_asks_each_customer_through_the_rules():
    survey = SurveyFactory.create(trigger="manual")
    reachable = CustomerFactory.create_batch(3)
    silent = CustomerFactory.create(email="")
    gone = CustomerFactory.create(email_opted_out_at=NOW)
    ids = [c.pk for c in [*reachable, silent, gone]]

    summary = scheduling.send_manually(
        survey, customers=Customer.objects.filter(id__in=ids), now=NOW
    )
    again = scheduling.send_manually(
        survey, customers=Customer.objects.filter(id__in=ids), now=NOW
    )

    assert summary.as_dict() == {
        "scheduled": 3,
        "suppressed": {"no_email": 1, "opted_out": 1},
    }
    assert again.as_dict()["suppressed"] == {
        "throttled": 3,
        "no_email": 1,
        "opted_out": 1,
    }
    assert Counter(Invitation.objects.values_list("status", flat=True)) == {
        "scheduled": 3,
        "suppressed": 7,
    }


def test_failed_invitations_can_be_sent_again():
    failed = InvitationFactory.create(status="failed", attempts=5, sent_at=None)
    sent = InvitationFactory.create(status="sent")

    count = scheduling.send_failed_again([failed.pk, sent.pk], now=NOW)

    failed.refresh_from_db()
    sent.refresh_from_db()
    assert count == 1
    assert (failed.status, failed.attempts, failed.scheduled_for) == (
        "scheduled",
        0,
        NOW,
    )
    assert sent.status == "sent"


def test_an_interaction_saved_without_the_hook_is_untouched(settings, survey):
    settings.HOOKS = {**settings.HOOKS, "interaction_saved": []}
    customer = CustomerFactory.create()

    log(customer)

    assert Interaction.objects.filter(customer=customer).count() == 1
    assert invitations(customer) == []
