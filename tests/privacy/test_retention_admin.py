"""The retention rules in the admin: staff see them, only managers change
them (and are recorded as having done so), each category offers only its
actions, no rule is added or deleted, and the dry run page counts what each
rule would touch and writes nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from privacy.models import RetentionRule
from surveys.models import SurveyResponse
from tests.factories import SurveyResponseFactory

pytestmark = pytest.mark.django_db

Category = RetentionRule.Category
CHANGELIST = reverse("admin:privacy_retentionrule_changelist")
DRY_RUN = reverse("admin:privacy_retentionrule_dry_run")


def change_url(rule: RetentionRule) -> str:
    return reverse("admin:privacy_retentionrule_change", args=[rule.pk])


def comments_rule() -> RetentionRule:
    return RetentionRule.objects.get(category=Category.COMMENTS)


def edit(**fields: object) -> dict[str, object]:
    return {"age_days": 365, "action": "anonymise", "is_enabled": "on", **fields}


def test_staff_see_the_rules_without_changing_them(client, support):
    client.force_login(support)
    rule = comments_rule()

    listing = client.get(CHANGELIST)
    page = client.get(change_url(rule))
    refused = client.post(change_url(rule), edit())

    assert listing.status_code == 200
    assert listing.content.count(b'class="field-category"') == 8
    assert page.status_code == 200
    assert b'name="age_days"' not in page.content
    assert refused.status_code == 403
    rule.refresh_from_db()
    assert (rule.age_days, rule.updated_by) == (730, None)


def test_a_manager_changes_a_rule_and_is_recorded(client, manager):
    client.force_login(manager)
    rule = comments_rule()

    saved = client.post(change_url(rule), edit(age_days=400))

    assert saved.status_code == 302
    rule.refresh_from_db()
    assert (rule.age_days, rule.action, rule.updated_by) == (400, "anonymise", manager)


def test_an_action_the_category_does_not_take_is_a_form_error(client, manager):
    client.force_login(manager)
    rule = comments_rule()

    page = client.get(change_url(rule))
    refused = client.post(change_url(rule), edit(action="delete"))
    zero = client.post(change_url(rule), edit(age_days=0))

    assert b'value="delete"' not in page.content
    assert refused.status_code == 200
    assert b"errorlist" in refused.content
    assert zero.status_code == 200
    assert b"errorlist" in zero.content
    rule.refresh_from_db()
    assert (rule.age_days, rule.action) == (730, "anonymise")


def test_an_empty_age_keeps_the_data_for_ever(client, manager):
    client.force_login(manager)
    rule = comments_rule()

    client.post(change_url(rule), edit(age_days=""))

    rule.refresh_from_db()
    assert rule.age_days is None
    assert rule.cutoff(timezone.now()) is None


def test_no_rule_is_added_or_deleted_in_the_admin(client, manager):
    client.force_login(manager)
    rule = comments_rule()

    assert client.get(reverse("admin:privacy_retentionrule_add")).status_code == 403
    deleted = client.post(
        reverse("admin:privacy_retentionrule_delete", args=[rule.pk]),
        {"post": "yes"},
    )
    assert deleted.status_code == 403
    assert RetentionRule.objects.count() == 8


def test_the_dry_run_page_counts_and_writes_nothing(client, support):
    client.force_login(support)
    old = timezone.now() - timedelta(days=800)
    for _each in range(3):
        SurveyResponseFactory.create(answered_at=old, comment="Old words")

    page = client.get(DRY_RUN)

    assert page.status_code == 200
    assert "would anonymise 3 comments" in page.content.decode()
    assert "kept for ever" in page.content.decode()
    assert set(SurveyResponse.objects.values_list("comment", flat=True)) == {
        "Old words"
    }


def test_the_dry_run_page_is_for_staff_only(client, outsider):
    client.force_login(outsider)
    assert client.get(DRY_RUN).status_code == 302


def test_the_webhook_rule_cannot_outlast_the_webhooks_own_purge(
    client, manager, settings
):
    settings.WEBHOOK_KEEP_DAYS = 30
    client.force_login(manager)
    rule = RetentionRule.objects.get(category=Category.WEBHOOK_LOGS)

    longer = client.post(change_url(rule), edit(age_days=31, action="delete"))
    for_ever = client.post(change_url(rule), edit(age_days="", action="delete"))
    shorter = client.post(change_url(rule), edit(age_days=7, action="delete"))

    assert longer.status_code == 200
    assert "WEBHOOK_KEEP_DAYS" in longer.content.decode()
    assert for_ever.status_code == 200
    assert shorter.status_code == 302
    rule.refresh_from_db()
    assert rule.age_days == 7
