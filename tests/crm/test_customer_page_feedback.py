"""What the customer pages say after a save or an action: what became of the
survey of an interaction just logged, and what "Send a survey…" scheduled
and why not for the others, with links to those invitations."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.http import urlencode

from surveys.models import Invitation
from tests.customers.test_admin import change_form_data
from tests.factories import CustomerFactory, InvitationFactory, SurveyFactory

# 08:06 in Shanghai, where these tests' staff work.
NOW = datetime(2026, 11, 18, 0, 6, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


@pytest.fixture(autouse=True)
def shanghai(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    settings.SURVEY_THROTTLE_DAYS = 30
    settings.SURVEY_MIN_GAP_HOURS = 24


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def log_a_call(client, customer, **changes) -> list[str]:
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    data = change_form_data(client.get(url))
    data.update(
        {
            "interactions-TOTAL_FORMS": 1,
            "interactions-0-channel": "phone",
            "interactions-0-direction": "inbound",
            "interactions-0-subject": "Billing question",
            "interactions-0-occurred_at_0": "2026-11-18",
            "interactions-0-occurred_at_1": "08:06:00",
            "interactions-0-status": "resolved",
            "interactions-0-survey_mode": "auto",
            **changes,
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    return messages_of(response)


def test_logging_a_call_says_when_its_survey_goes(client, support):
    SurveyFactory.create(name="Support NPS", kind="nps", delay_minutes=60)
    customer = CustomerFactory.create(name="Ruby Rossi")
    client.force_login(support)

    said = log_a_call(client, customer)

    assert said == ["Call logged. NPS survey scheduled for 09:06 (in 60 minutes)."]


def test_logging_a_call_says_when_its_survey_goes_in_chinese(client, support):
    SurveyFactory.create(name="Support NPS", kind="nps", delay_minutes=60)
    customer = CustomerFactory.create(name="Ruby Rossi")
    client.force_login(support)
    client.cookies["django_language"] = "zh-hans"

    said = log_a_call(client, customer)

    assert said == ["已记录电话。 NPS 调查问卷已安排在 09:06 发送（60 分钟后）。"]


def test_logging_a_call_says_why_no_survey_goes(client, support):
    support_nps = SurveyFactory.create(kind="nps", delay_minutes=60)
    customer = CustomerFactory.create(name="Ruby Rossi")
    InvitationFactory.create(
        survey=support_nps,
        customer=customer,
        interaction=None,
        sent_at=NOW - timedelta(days=3),
    )
    client.force_login(support)

    said = log_a_call(client, customer)

    assert said == [
        "Call logged. No NPS survey: asked 3 days ago (one survey per 30 days)."
    ]


def test_an_open_interaction_says_its_survey_follows_its_resolution(client, support):
    SurveyFactory.create(kind="csat", delay_minutes=60)
    customer = CustomerFactory.create()
    client.force_login(support)

    said = log_a_call(
        client,
        customer,
        **{"interactions-0-channel": "chat", "interactions-0-status": "open"},
    )

    assert said == ["Chat logged. A survey follows once it is resolved."]


def test_a_change_to_the_customer_too_keeps_djangos_message(client, support):
    customer = CustomerFactory.create(name="Ruby Rossi")
    client.force_login(support)

    said = log_a_call(client, customer, phone="+39 06 1234 5678")

    page = reverse("admin:customers_customer_change", args=[customer.pk])
    assert said == [
        "Call logged. No survey is set up for this channel and touchpoint.",
        f'The customer “<a href="{page}">Ruby Rossi</a>” was changed successfully.',
    ]


def test_a_new_customer_with_a_call_says_when_its_survey_goes(client, support):
    SurveyFactory.create(kind="csat", delay_minutes=90)
    url = reverse("admin:customers_customer_add")
    client.force_login(support)
    data = change_form_data(client.get(url))
    data.update(
        {
            "name": "Ruby Rossi",
            "email": "ruby@example.com",
            "language": "en",
            "timezone": "Europe/Rome",
            "stage": "usage",
            "interactions-TOTAL_FORMS": 1,
            "interactions-0-channel": "phone",
            "interactions-0-direction": "inbound",
            "interactions-0-subject": "First call",
            "interactions-0-occurred_at_0": "2026-11-18",
            "interactions-0-occurred_at_1": "08:06:00",
            "interactions-0-status": "resolved",
            "interactions-0-survey_mode": "auto",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    said = messages_of(response)
    assert said[0] == "Call logged. CSAT survey scheduled for 09:36 (in 90 minutes)."
    assert "was added successfully" in said[1]


def invitations_link(*invitations: Invitation) -> str:
    ids = ",".join(str(invitation.pk) for invitation in invitations)
    url = reverse("admin:surveys_invitation_changelist")
    return f"{url}?{urlencode({'id__in': ids})}"


def send_a_survey(client, survey, customers) -> list[str]:
    response = client.post(
        reverse("admin:customers_customer_changelist"),
        {
            "action": "send_survey",
            "_selected_action": [customer.pk for customer in customers],
            "apply": "1",
            "survey": survey.pk,
        },
    )
    assert response.status_code == 302
    return messages_of(response)


def test_sending_a_survey_counts_what_was_scheduled_and_what_not_and_why(
    client, manager
):
    survey = SurveyFactory.create(name="Relationship NPS", trigger="manual")
    ann = CustomerFactory.create(name="Ann")
    bob = CustomerFactory.create(name="Bob")
    InvitationFactory.create(
        customer=bob,
        interaction=None,
        status="scheduled",
        sent_at=None,
        scheduled_for=NOW + timedelta(hours=2),
    )
    client.force_login(manager)

    [said] = send_a_survey(client, survey, [ann, bob])

    to_ann = Invitation.objects.get(survey=survey, customer=ann)
    to_bob = Invitation.objects.get(survey=survey, customer=bob)
    assert (to_ann.status, to_bob.status, to_bob.suppressed_reason) == (
        "scheduled",
        "suppressed",
        "throttled",
    )
    assert said == (
        f'Relationship NPS: <a href="{invitations_link(to_ann)}">1 scheduled</a>; '
        f'<a href="{invitations_link(to_bob)}">1 not sent</a>: another survey is '
        "scheduled for 10:06 (one survey per 30 days)."
    )


def test_the_not_sent_are_counted_by_reason_and_linked(client, manager):
    survey = SurveyFactory.create(name="Relationship NPS", trigger="manual")
    asked = CustomerFactory.create(name="Asked")
    InvitationFactory.create(
        customer=asked, interaction=None, sent_at=NOW - timedelta(days=2)
    )
    silent = CustomerFactory.create_batch(2, email="")
    client.force_login(manager)

    [said] = send_a_survey(client, survey, [asked, *silent])

    throttled = Invitation.objects.get(survey=survey, customer=asked)
    no_email = Invitation.objects.filter(survey=survey, customer__in=silent)
    assert said == (
        "Relationship NPS: "
        f'<a href="{invitations_link(*no_email.order_by("id"))}">2 not sent</a>: '
        "no email address; "
        f'<a href="{invitations_link(throttled)}">1 not sent</a>: asked 2 days ago '
        "(one survey per 30 days)."
    )


def test_the_link_lists_exactly_those_invitations(client, manager):
    survey = SurveyFactory.create(name="Relationship NPS", trigger="manual")
    silent = CustomerFactory.create_batch(2, email="")
    InvitationFactory.create()
    client.force_login(manager)

    [said] = send_a_survey(client, survey, silent)
    [href] = re.findall(r'href="([^"]+)"', said)
    page = client.get(href.replace("&amp;", "&"))

    assert page.status_code == 200
    assert sorted(row.pk for row in page.context["cl"].result_list) == sorted(
        Invitation.objects.filter(survey=survey).values_list("id", flat=True)
    )
