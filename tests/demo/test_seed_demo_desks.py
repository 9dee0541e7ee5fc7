"""Every demo login starts with a desk: open cases, one overdue, closed ones."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from feedback.models import Alert, Case

pytestmark = pytest.mark.django_db

DEMO_NAMES = ["support", "manager", "tom.baker", "li.na", "chen.jie"]
TIMELINES = {
    "open": ["opened", "assigned"],
    "contacted": ["opened", "assigned", "contacted"],
    "closed": ["opened", "assigned", "contacted", "closed"],
}


def seed():
    call_command("seed_demo", password="demo-test-password", stdout=StringIO())


def test_every_demo_login_has_open_overdue_and_closed_cases():
    seed()
    now = timezone.now()

    for username in DEMO_NAMES:
        owned = Case.objects.filter(owner__username=username)
        assert owned.filter(status="open").exists(), username
        assert owned.overdue(now).exists(), username
        assert owned.filter(status="closed").exists(), username


def test_a_desk_is_worked_through_the_case_services_once():
    seed()
    seed()
    desk = Case.objects.filter(reason="manual").select_related("owner")
    now = timezone.now()

    assert desk.count() == 5 * len(DEMO_NAMES)
    for case in desk.prefetch_related("events"):
        events = list(case.events.order_by("created_at", "id"))
        kinds = [event.kind for event in events]
        assert kinds == TIMELINES[case.status]
        assert {event.actor for event in events} == {case.owner}
        assert events[0].created_at == case.created_at < now
        assert case.due_at is not None
        assert case.interaction is not None
        assert case.interaction.customer_id == case.customer_id
        if case.status == "closed":
            assert case.root_cause is not None
            assert case.resolution
            assert case.closed_at == events[-1].created_at < now
        case.full_clean()
    # Opened by the owners themselves: nobody is alerted about it.
    assert not Alert.objects.filter(event__case__in=desk).exists()


def test_a_desk_speaks_its_owners_language():
    seed()

    li_na = Case.objects.filter(reason="manual", owner__username="li.na")
    tom = Case.objects.filter(reason="manual", owner__username="tom.baker")

    assert all(c.customer.language == "zh-hans" for c in li_na)
    assert all(c.customer.language == "en" for c in tom)
    billing = li_na.get(root_cause__name="Billing")
    assert (
        billing.events.get(kind="opened").note == "本月订阅被重复扣费，客户要求退款。"
    )
    assert billing.resolution == "已退还重复扣款，并重新开具了正确的发票。"
