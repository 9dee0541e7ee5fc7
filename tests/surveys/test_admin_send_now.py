"""Send now in the admin: the invitation list's action and the customer
page's link, for managers only, each result said."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from surveys import tasks
from surveys.models import Invitation
from tests.factories import CustomerFactory, InvitationFactory, SurveyFactory

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=60)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


@pytest.fixture
def queued(monkeypatch):
    batches: list[list[int]] = []
    monkeypatch.setattr(tasks.send_batch_task, "delay", batches.append)
    return batches


def waiting(name: str, **fields) -> Invitation:
    fields.setdefault("customer", CustomerFactory.create(name=name))
    return InvitationFactory.create(
        survey=SurveyFactory.create(name="Support NPS"),
        interaction=None,
        status="scheduled",
        sent_at=None,
        scheduled_for=LATER,
        **fields,
    )


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def test_managers_send_chosen_invitations_now_and_see_each_result(
    client, manager, queued, django_capture_on_commit_callbacks
):
    ann = waiting("Ann")
    bob = waiting("Bob", customer=CustomerFactory.create(name="Bob", email=""))
    cy = InvitationFactory.create(customer=CustomerFactory.create(name="Cy"))
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:surveys_invitation_changelist"),
            {"action": "send_now", "_selected_action": [ann.pk, bob.pk, cy.pk]},
        )

    assert response.status_code == 302
    assert messages_of(response) == [
        ("success", "Support NPS → Ann: queued to send now."),
        ("warning", "Support NPS → Bob: not sent — no email address."),
        (
            "warning",
            f"{cy.survey} → Cy: already sent.",
        ),
    ]
    assert queued == [[ann.pk]]
    ann.refresh_from_db()
    assert (ann.scheduled_for, ann.queued_at) == (NOW, NOW)


def test_support_is_not_offered_send_now_and_cannot_post_it(client, support, queued):
    invitation = waiting("Ann")
    client.force_login(support)

    page = client.get(reverse("admin:surveys_invitation_changelist"))
    client.post(
        reverse("admin:surveys_invitation_changelist"),
        {"action": "send_now", "_selected_action": [invitation.pk]},
    )
    confirm = client.get(
        reverse("admin:surveys_invitation_send_now", args=[invitation.pk])
    )
    posted = client.post(
        reverse("admin:surveys_invitation_send_now", args=[invitation.pk])
    )

    assert 'value="send_now"' not in page.content.decode()
    assert (confirm.status_code, posted.status_code) == (403, 403)
    invitation.refresh_from_db()
    assert (invitation.scheduled_for, invitation.queued_at) == (LATER, None)
    assert queued == []


def test_the_customer_page_offers_managers_to_send_a_waiting_invitation_now(
    client, manager, support
):
    invitation = waiting("Ann")
    InvitationFactory.create(customer=invitation.customer, interaction=None)
    page_url = reverse("admin:customers_customer_change", args=[invitation.customer_id])
    link = reverse("admin:surveys_invitation_send_now", args=[invitation.pk])

    client.force_login(manager)
    as_manager = client.get(page_url).content.decode()
    client.force_login(support)
    as_support = client.get(page_url).content.decode()

    assert as_manager.count("/send-now/") == 1
    assert f'href="{link}"' in as_manager
    assert "/send-now/" not in as_support


def test_send_now_from_the_customer_page_asks_then_goes_back_with_the_result(
    client, manager, queued, django_capture_on_commit_callbacks
):
    invitation = waiting("Ann")
    url = reverse("admin:surveys_invitation_send_now", args=[invitation.pk])
    client.force_login(manager)

    question = client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    assert question.status_code == 200
    assert "Send “Support NPS” to Ann now" in question.content.decode()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:customers_customer_change", args=[invitation.customer_id]
    )
    assert messages_of(response) == [
        ("success", "Support NPS → Ann: queued to send now.")
    ]
    assert queued == [[invitation.pk]]
