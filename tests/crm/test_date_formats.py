"""One date format per language, on every page and in every mail: "7 Dec 2026,
08:06" in English and "2026年12月7日 08:06" in Chinese (crm/formats/)."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from surveys.models import SurveyResponse
from tests.factories import InteractionFactory, SubscriptionFactory, SurveyFactory
from tests.feedback.dashboard_helpers import ANSWERS, NOW, answer
from webhooks import services
from webhooks.models import Event

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 12, 7, 8, 6, tzinfo=UTC)
EXPECTED = {
    "en": ("7 Dec 2026", "7 Dec 2026, 08:06"),
    "zh-hans": ("2026年12月7日", "2026年12月7日 08:06"),
}


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A moment in the site's time zone (the run's, tests/clock.py)."""
    zone = timezone.get_current_timezone()
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def test_the_long_and_the_short_formats_of_a_language_are_one():
    for language, (day, moment) in EXPECTED.items():
        with translation.override(language):
            shown = [
                date_format(MOMENT.date(), "DATE_FORMAT"),
                date_format(MOMENT.date(), "SHORT_DATE_FORMAT"),
                date_format(MOMENT, "DATETIME_FORMAT"),
                date_format(MOMENT, "SHORT_DATETIME_FORMAT"),
            ]

        assert shown == [day, day, moment, moment], language


def test_the_admin_lists_a_moment_in_the_format_of_its_language(client, support):
    InteractionFactory.create(occurred_at=local(2026, 12, 7, 8, 6))
    client.force_login(support)

    shown = {
        language: moment
        in client.get(
            reverse("admin:customers_interaction_changelist"),
            headers={"accept-language": language},
        ).content.decode()
        for language, (_day, moment) in EXPECTED.items()
    }

    assert shown == {"en": True, "zh-hans": True}


@pytest.mark.now(NOW)
def test_the_dashboards_answers_list_shows_the_same_format(client, manager):
    response = answer(SurveyFactory.create(), 9, day=date(2026, 11, 16))
    SurveyResponse.objects.filter(id=response.pk).update(
        answered_at=local(2026, 11, 16, 8, 6)
    )
    client.force_login(manager)

    page = client.get(ANSWERS, headers={"accept-language": "en"}).content.decode()

    assert "21 Aug 2026 – 18 Nov 2026" in page
    assert '<td class="nowrap">16 Nov 2026, 08:06</td>' in page


def test_a_subscriptions_latest_deliveries_show_local_time_in_the_format(
    client, support
):
    subscription = SubscriptionFactory.create(owner=support)
    delivery = services.send_test_event(subscription)
    Event.objects.filter(id=delivery.event_id).update(
        created_at=local(2026, 12, 7, 8, 6)
    )
    client.force_login(support)

    page = client.get(
        reverse("admin:webhooks_subscription_change", args=[subscription.pk]),
        headers={"accept-language": "en"},
    ).content.decode()

    assert "<td>7 Dec 2026, 08:06</td>" in page
