import html
import re

import pytest
from django.urls import reverse

from crm import admin as crm_admin
from surveys import tasks
from surveys.models import Invitation
from tests.factories import CustomerFactory, InvitationFactory, SurveyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey():
    return SurveyFactory.create(name="After support", kind="csat")


@pytest.mark.parametrize(
    ("language", "subject", "question"),
    [
        ("en", "[Test] A quick question from Touchloop", "How satisfied were you"),
        ("zh-hans", "[Test] Touchloop想请您回答一个简短的问题", "满意程度"),
    ],
)
def test_the_mail_preview_shows_both_languages(
    client, manager, survey, language, subject, question
):
    client.force_login(manager)

    page = client.get(
        reverse("admin:surveys_survey_preview", args=[survey.pk, language])
    )

    assert page.status_code == 200
    html = page.content.decode()
    assert subject in html
    assert question in html
    assert "srcdoc=" in html


def test_the_preview_frame_holds_the_whole_html_mail(client, manager, survey):
    client.force_login(manager)

    page = client.get(reverse("admin:surveys_survey_preview", args=[survey.pk, "en"]))

    [srcdoc] = re.findall(r'srcdoc="([^"]*)"', page.content.decode())
    sent = page.context["html"]
    assert sent.startswith("<!doctype html>")
    assert html.unescape(srcdoc) == sent


def test_the_change_page_links_to_the_previews(client, manager, survey):
    client.force_login(manager)

    page = client.get(reverse("admin:surveys_survey_change", args=[survey.pk]))

    for language in ("en", "zh-hans"):
        assert reverse("admin:surveys_survey_preview", args=[survey.pk, language]) in (
            page.content.decode()
        )


def test_a_test_mail_goes_to_me_and_stores_nothing(client, manager, survey, mailoutbox):
    client.force_login(manager)

    client.post(
        reverse("admin:surveys_survey_changelist"),
        {"action": "send_test_mail", "_selected_action": [survey.pk]},
    )

    (message,) = mailoutbox
    assert message.to == [manager.email]
    assert message.subject == "[Test] A quick question from Touchloop"
    assert message.extra_headers["Message-ID"].startswith("<test-")
    assert Invitation.objects.count() == 0


def test_the_dry_run_page_says_who_would_be_asked(client, support, survey):
    CustomerFactory.create_batch(2)
    client.force_login(support)

    response = client.post(
        reverse("admin:surveys_survey_changelist"),
        {"action": "show_dry_run", "_selected_action": [survey.pk]},
    )
    page = client.get(response["Location"] + "?days=7")

    assert response.status_code == 302
    assert "0 of 0 would have been asked over the last 7 days" in page.content.decode()
    assert Invitation.objects.count() == 0


def test_managers_send_failed_invitations_again(client, manager):
    failed = InvitationFactory.create(status="failed", sent_at=None, attempts=3)
    client.force_login(manager)

    client.post(
        reverse("admin:surveys_invitation_changelist"),
        {"action": "send_again", "_selected_action": [failed.pk]},
    )

    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("scheduled", 0)


def test_support_cannot_send_again(client, support):
    failed = InvitationFactory.create(status="failed", sent_at=None, attempts=3)
    client.force_login(support)

    page = client.get(reverse("admin:surveys_invitation_changelist"))
    client.post(
        reverse("admin:surveys_invitation_changelist"),
        {"action": "send_again", "_selected_action": [failed.pk]},
    )

    assert "send_again" not in page.content.decode()
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_invitations_filter_by_customer_status_and_reason(client, manager):
    mine = CustomerFactory.create()
    wanted = InvitationFactory.create(
        customer=mine,
        interaction=None,
        status="suppressed",
        suppressed_reason="throttled",
    )
    InvitationFactory.create(customer=mine, interaction=None, status="sent")
    InvitationFactory.create(status="suppressed", suppressed_reason="throttled")
    client.force_login(manager)

    page = client.get(
        reverse("admin:surveys_invitation_changelist"),
        {
            "customer__id__exact": mine.pk,
            "status__exact": "suppressed",
            "suppressed_reason__exact": "throttled",
        },
    )

    assert page.status_code == 200
    assert [row.pk for row in page.context["cl"].result_list] == [wanted.pk]


def test_managers_send_a_survey_to_many_chosen_customers_in_a_task(
    client, manager, monkeypatch, django_capture_on_commit_callbacks
):
    # Past this many, the action queues the planning instead of doing it.
    monkeypatch.setattr(crm_admin, "MAX_PLANNED_IN_REQUEST", 1)
    queued = []
    monkeypatch.setattr(
        tasks.send_manually_task, "delay", lambda *args: queued.append(args)
    )
    survey = SurveyFactory.create(trigger="manual")
    chosen = CustomerFactory.create_batch(2)
    client.force_login(manager)
    url = reverse("admin:customers_customer_changelist")
    selection = {"action": "send_survey", "_selected_action": [c.pk for c in chosen]}

    form = client.post(url, selection)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {**selection, "apply": "1", "survey": survey.pk})

    assert form.status_code == 200
    assert "Send a survey to 2 customers" in form.content.decode()
    assert done.status_code == 302
    ((survey_id, customer_ids),) = queued
    assert (survey_id, sorted(customer_ids)) == (survey.pk, [c.pk for c in chosen])


def test_support_cannot_send_a_survey(
    client, support, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(
        tasks.send_manually_task, "delay", lambda *args: queued.append(args)
    )
    survey = SurveyFactory.create(trigger="manual")
    customer = CustomerFactory.create()
    client.force_login(support)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:customers_customer_changelist"),
            {
                "action": "send_survey",
                "_selected_action": [customer.pk],
                "apply": "1",
                "survey": survey.pk,
            },
        )

    assert queued == []
    assert not Invitation.objects.exists()


def test_the_kind_of_a_used_survey_cannot_change_in_the_admin(client, manager):
    survey = SurveyFactory.create(kind="nps", delay_minutes=5)
    InvitationFactory.create(survey=survey)
    client.force_login(manager)

    page = client.post(
        reverse("admin:surveys_survey_change", args=[survey.pk]),
        {
            "name": survey.name,
            "kind": "csat",
            "trigger": "interaction",
            "delay_minutes": 5,
            "throttle_days": 0,
            "reminder_delay_days": 3,
            "max_reminders": 1,
            "expires_after_days": 30,
            "edit_window_hours": 24,
        },
    )

    assert page.status_code == 200
    assert "its kind cannot change" in page.content.decode()
    survey.refresh_from_db()
    assert survey.kind == "nps"
