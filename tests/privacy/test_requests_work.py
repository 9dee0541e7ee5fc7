"""Privacy requests as managers work them: the admin's steps (the erasure's
confirmation page with its counts), the overdue escalation (one mail per
manager, once), the dashboard's counts, and what restriction and objection
record in the consent history."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from crm.celery import app
from customers import consent
from feedback.models import Case
from privacy.models import ExportArchive, OverdueNotice, PrivacyRequest
from privacy.services import overdue, requests
from privacy.services.erasure import erase_customer
from surveys.models import Invitation, SurveyResponse
from tests.factories import CustomerFactory, InvitationFactory, UserFactory
from tests.privacy.history import build_history

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tasks_run_in_the_test():
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = False, False


def received(customer, kind="access", **fields):
    return requests.record(kind=kind, customer=customer, now=timezone.now(), **fields)


def verified(customer, kind="access", **fields):
    request = received(customer, kind, **fields)
    return requests.verify(request, by=None, how="call back", now=timezone.now())


def test_the_erasure_page_says_what_will_happen_with_the_counts(
    client, support, manager
):
    history = build_history(support, manager)
    person = history.customer
    request = verified(person, "erasure")
    open_cases = Case.objects.filter(customer=person).exclude(status="closed").count()
    assert open_cases  # the history has an open case
    client.force_login(manager)

    page = client.get(f"/admin/privacy/privacyrequest/{request.pk}/fulfil/")

    assert page.status_code == 200
    preview = page.context["preview"]
    assert preview.open_cases == open_cases
    assert preview.answers == SurveyResponse.objects.filter(customer=person).count()
    text = page.content.decode()
    assert 'closed as "erased"' in text or "closed as &quot;erased&quot;" in text
    assert "every figure stays the same" in text


def test_fulfilling_from_the_admin_erases(
    client, support, manager, django_capture_on_commit_callbacks
):
    person = CustomerFactory.create(email="grace@example.com")
    request = verified(person, "erasure")
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/privacy/privacyrequest/{request.pk}/fulfil/")

    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.outcome) == ("done", "erased")
    assert not type(person).objects.filter(pk=person.pk).exists()


def test_support_staff_see_no_steps_and_may_not_take_them(client, support):
    request = received(CustomerFactory.create())
    client.force_login(support)

    page = client.get(f"/admin/privacy/privacyrequest/{request.pk}/change/")
    assert page.status_code == 200
    assert page.context["steps"] == []
    response = client.post(
        f"/admin/privacy/privacyrequest/{request.pk}/verify/", {"how": "x"}
    )
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.status == "received"


def test_a_step_without_its_reason_is_a_form_error(client, manager):
    request = received(CustomerFactory.create())
    client.force_login(manager)

    page = client.post(
        f"/admin/privacy/privacyrequest/{request.pk}/refuse/", {"reason": ""}
    )

    assert page.status_code == 200
    assert page.context["form"].errors["reason"]
    request.refresh_from_db()
    assert request.status == "received"


def test_support_staff_record_a_request_from_the_customers_page(client, support):
    person = CustomerFactory.create()
    client.force_login(support)

    page = client.get(f"/admin/customers/customer/{person.pk}/change/")
    assert f"/admin/privacy/privacyrequest/add/?customer={person.pk}" in (
        page.content.decode()
    )
    response = client.post(
        "/admin/privacy/privacyrequest/add/",
        {"kind": "access", "customer": person.pk, "email": "", "mode": ""},
    )

    assert response.status_code == 302
    (request,) = PrivacyRequest.objects.all()
    assert (request.customer, request.created_by) == (person, support)
    assert request.due_at - request.received_at == timedelta(days=30)


def test_an_overdue_request_is_escalated_once_to_each_manager(
    manager, support, mailoutbox, clock
):
    other = UserFactory.create(username="max-manager", groups=["Manager"])
    request = received(CustomerFactory.create())
    assert overdue.sweep(now=timezone.now())["escalated"] == 0

    clock.shift(timedelta(days=30, minutes=1))
    first = overdue.sweep(now=timezone.now())
    second = overdue.sweep(now=timezone.now())

    assert (first["escalated"], first["notices_sent"]) == (1, 2)
    assert (second["escalated"], second["notices_sent"]) == (0, 0)
    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        [manager.email, other.email]
    )
    assert f"#{request.pk}" in mailoutbox[0].subject
    assert support.email not in [message.to[0] for message in mailoutbox]


def test_an_extended_request_is_overdue_only_after_its_new_deadline(
    manager, mailoutbox, clock
):
    request = received(CustomerFactory.create())
    requests.extend(request, reason="Complex", days=10, now=timezone.now())

    clock.shift(timedelta(days=31))
    assert overdue.sweep(now=timezone.now())["escalated"] == 0
    clock.shift(timedelta(days=10))
    assert overdue.sweep(now=timezone.now())["escalated"] == 1
    assert OverdueNotice.objects.filter(request=request).count() == 1


def test_a_closed_request_is_not_escalated(manager, mailoutbox, clock):
    request = received(CustomerFactory.create())
    requests.refuse(request, reason="Not the person", by=manager, now=timezone.now())

    clock.shift(timedelta(days=40))

    assert overdue.sweep(now=timezone.now())["escalated"] == 0
    assert mailoutbox == []


def test_the_dashboard_counts_open_overdue_and_median_days(client, manager, clock):
    start = timezone.now()
    received(CustomerFactory.create())
    received(CustomerFactory.create())
    for days in (2, 4, 9):
        request = requests.record(
            kind="objection",
            customer=CustomerFactory.create(),
            now=start - timedelta(days=days),
        )
        requests.refuse(request, reason="Duplicate", by=manager, now=start)
    clock.shift(timedelta(days=31))
    client.force_login(manager)

    page = client.get("/dashboard/")

    assert page.status_code == 200
    assert page_figures(page.content.decode()) == {
        "open": "2",
        "overdue": "⚠ 2",
        "median": "4.0",
    }


def page_figures(text: str) -> dict[str, str]:
    def cell(name: str) -> str:
        match = re.search(rf'id="privacy-{name}">(.*?)</td>', text, re.S)
        assert match, name
        inner = re.sub(r"<[^>]+>", "", match.group(1))
        return inner.split("(n")[0].strip()

    return {name: cell(name) for name in ("open", "overdue", "median")}


def test_restriction_withdraws_survey_marketing_and_profiling_consent():
    person = CustomerFactory.create()
    pending = InvitationFactory.create(
        customer=person, status=Invitation.Status.SCHEDULED
    )
    request = verified(person, "restriction")
    requests.ask_fulfil(request, now=timezone.now())

    requests.fulfil(request.pk, now=timezone.now())

    request.refresh_from_db()
    assert (request.status, request.outcome) == ("done", "restricted")
    state = consent.consent_state(person)
    assert [state[p].granted for p in ("surveys", "marketing", "profiling")] == [
        False,
        False,
        False,
    ]
    pending.refresh_from_db()
    assert pending.status == Invitation.Status.CANCELLED


def test_objection_withdraws_marketing_and_profiling_only():
    person = CustomerFactory.create()
    request = verified(person, "objection")
    requests.ask_fulfil(request, now=timezone.now())

    requests.fulfil(request.pk, now=timezone.now())

    state = consent.consent_state(person)
    assert state["profiling"].granted is False
    assert state["marketing"].granted is False
    assert state["surveys"].granted is True


def test_a_lost_fulfilment_is_queued_again_by_the_sweep(clock):
    request = verified(CustomerFactory.create(), "access")
    PrivacyRequest.objects.filter(pk=request.pk).update(
        fulfil_requested_at=timezone.now()
    )

    clock.shift(timedelta(minutes=11))
    result = overdue.sweep(now=timezone.now())

    assert result["fulfilments_requeued"] == 1
    request.refresh_from_db()
    assert (request.status, request.outcome) == ("done", "exported")


def test_an_erasure_deletes_an_export_not_downloaded_yet():
    person = CustomerFactory.create(name="Grace Hopper", email="grace@example.com")
    access = verified(person, "access")
    requests.ask_fulfil(access, now=timezone.now())
    requests.fulfil(access.pk, now=timezone.now())
    assert ExportArchive.objects.filter(request=access).exists()

    erase_customer(person, now=timezone.now())

    assert not ExportArchive.objects.exists()
    access.refresh_from_db()
    assert (access.download_token_hash, access.delivered_digest != "") == ("", True)


def test_an_extended_request_is_escalated_again_past_its_new_deadline(
    manager, mailoutbox, clock
):
    request = received(CustomerFactory.create())
    clock.shift(timedelta(days=30, minutes=1))
    assert overdue.sweep(now=timezone.now())["notices_sent"] == 1
    requests.extend(request, reason="Complex", days=10, now=timezone.now())

    clock.shift(timedelta(days=5))
    assert overdue.sweep(now=timezone.now())["escalated"] == 0
    clock.shift(timedelta(days=6))
    again = overdue.sweep(now=timezone.now())

    assert (again["escalated"], again["notices_sent"]) == (1, 1)
    assert len(mailoutbox) == 2


def test_a_notice_not_sent_when_the_deadline_is_extended_is_dropped(
    manager, mailoutbox, clock
):
    request = received(CustomerFactory.create())
    clock.shift(timedelta(days=30, minutes=1))
    assert overdue.escalate(now=timezone.now()) == 1
    requests.extend(request, reason="Complex", days=10, now=timezone.now())

    assert overdue.send_due(now=timezone.now()) == 0
    assert mailoutbox == []


def test_an_erasure_takes_the_persons_identifiers_out_of_the_requests_texts():
    person = CustomerFactory.create(email="grace@example.com", phone="+44 20 7946 0958")
    request = received(person, "objection")
    requests.verify(
        request,
        by=None,
        how="Reply from GRACE@example.com, call back on +44 20 7946 0958",
        now=timezone.now(),
    )

    erase_customer(person, now=timezone.now())

    request.refresh_from_db()
    assert request.verified_how == "Reply from [erased], call back on [erased]"
