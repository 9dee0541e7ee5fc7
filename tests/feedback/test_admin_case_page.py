"""The case page in the admin: the case, its answer and its timeline, the
actions offered to whom, its query count, and cases that do not exist."""

from datetime import timedelta

import pytest
from django.urls import reverse

from feedback.models import Case, RootCause
from tests.factories import CaseEventFactory, InteractionFactory, SurveyResponseFactory
from tests.feedback.admin_helpers import NOW, Event, case_url, count_queries
from text import services

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


# The case page


def test_the_case_page_shows_the_case_its_answer_and_its_timeline(client, owner, case):
    CaseEventFactory.create(
        case=case, kind=Event.NOTE, actor=owner, note="Left a voicemail"
    )
    client.force_login(owner)

    response = client.get(case_url(case))

    assert response.status_code == 200
    html = response.content.decode()
    customer_url = reverse("admin:customers_customer_change", args=[case.customer_id])
    assert f'href="{customer_url}"' in html
    assert "Oona Owner" in html
    assert "5\xa0hours left" in html
    assert "Nobody called me back" in html
    assert "Broken invoice" in html
    assert "Left a voicemail" in html
    assert ">system<" in html  # the opening event has no actor
    panels = [panel["action"].name for panel in response.context["quick_actions"]]
    assert panels == ["contact", "close", "reassign", "note"]
    # Read-only: the case itself has no editable field.
    assert response.context["adminform"].form.fields == {}


def test_the_case_page_marks_the_words_behind_the_comments_reading(client, owner, case):
    case.response.comment = "The courier was rude and the parcel is still missing"
    case.response.save(update_fields=["comment"])
    services.enrich_comment(case.response_id)
    client.force_login(owner)

    html = client.get(case_url(case)).content.decode()

    assert '<mark class="comment-negative">rude</mark>' in html
    assert '<mark class="comment-theme">courier</mark>' in html
    assert "Sentiment: negative · Themes: delivery, staff attitude" in html


def test_the_timeline_says_to_whom_each_assignment_went_and_why(
    client, owner, manager, case
):
    CaseEventFactory.create(
        case=case,
        kind=Event.ASSIGNED,
        data={"from": None, "to": owner.pk, "rule": "customer_owner"},
    )
    CaseEventFactory.create(
        case=case,
        kind=Event.ASSIGNED,
        actor=manager,
        note="She knows the account",
        data={"from": owner.pk, "to": manager.pk, "rule": "by_hand"},
    )
    client.force_login(owner)

    html = client.get(case_url(case)).content.decode()

    assert "To Oona Owner (The customer&#x27;s owner)." in html
    assert "To mia-manager (By hand). She knows the account" in html


def test_a_comment_not_read_yet_is_shown_plain(client, owner, case):
    client.force_login(owner)

    html = client.get(case_url(case)).content.decode()

    assert "Nobody called me back" in html
    assert "Not read yet." in html
    assert "<mark" not in html


def test_an_overdue_case_says_by_how_much(client, owner, case):
    Case.objects.filter(pk=case.pk).update(due_at=NOW - timedelta(hours=3))
    client.force_login(owner)

    html = client.get(case_url(case)).content.decode()

    assert "3\xa0hours overdue" in html


def test_a_closed_case_offers_reopening(client, owner, case):
    Case.objects.filter(pk=case.pk).update(
        status=Case.Status.CLOSED,
        root_cause=RootCause.objects.get(name="Billing"),
        resolution="Refunded",
        closed_at=NOW,
    )
    client.force_login(owner)

    response = client.get(case_url(case))

    panels = [panel["action"].name for panel in response.context["quick_actions"]]
    assert panels == ["reopen", "reassign", "note"]
    assert "Refunded" in response.content.decode()


def test_support_sees_no_actions_on_someone_elses_case(client, support, case):
    client.force_login(support)

    response = client.get(case_url(case))

    assert response.context["quick_actions"] == []
    assert "Only the case's owner or a manager" in response.content.decode()


def test_a_manager_may_act_on_any_case(client, manager, case):
    client.force_login(manager)

    response = client.get(case_url(case))

    panels = [panel["action"].name for panel in response.context["quick_actions"]]
    assert panels == ["contact", "close", "reassign", "note"]


@pytest.mark.parametrize("role", ["support", "owner", "manager"])
def test_the_case_page_queries_do_not_grow_with_the_customers_history(
    client, request, case, role
):
    client.force_login(request.getfixturevalue(role))
    url = case_url(case)
    _, with_one = count_queries(client, url)

    for _ in range(20):
        interaction = InteractionFactory.create(customer=case.customer)
        SurveyResponseFactory.create(
            invitation__interaction=interaction,
            invitation__customer=case.customer,
            score=8,
        )
        CaseEventFactory.create(case=case, kind=Event.NOTE)
    response, with_twenty = count_queries(client, url)

    assert with_twenty == with_one
    assert len(response.context["recent_interactions"]) == 10
    assert len(response.context["recent_responses"]) == 10


@pytest.mark.parametrize("case_id", ["0", "99999999999999999999999"])
def test_a_case_that_does_not_exist_is_no_error(client, owner, case_id):
    client.force_login(owner)

    page = client.get(f"/admin/feedback/case/{case_id}/change/")
    action = client.post(f"/admin/feedback/case/{case_id}/note/", {"note-note": "x"})

    assert page.status_code == 302
    assert action.status_code == 404
