import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


def codenames(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{permission.content_type.app_label}.{permission.codename}"
        for permission in group.permissions.select_related("content_type")
    }


def test_support_logs_interactions_views_surveys_and_opens_cases():
    assert codenames("Support") == {
        "customers.view_customer",
        "customers.add_customer",
        "customers.change_customer",
        "customers.view_company",
        "customers.add_company",
        "customers.change_company",
        "customers.view_interaction",
        "customers.add_interaction",
        "customers.change_interaction",
        "customers.view_touchpoint",
        "surveys.view_survey",
        "surveys.view_invitation",
        "surveys.view_surveyresponse",
        "feedback.view_case",
        "feedback.add_case",
        "feedback.view_caseevent",
        "feedback.view_rootcause",
        "feedback.view_holiday",
        # Their own webhook subscriptions, and the delivery log.
        "webhooks.view_subscription",
        "webhooks.add_subscription",
        "webhooks.change_subscription",
        "webhooks.delete_subscription",
        "webhooks.view_delivery",
        # The readings of comments, which they may correct; the themes.
        "text.view_theme",
        "text.view_commentanalysis",
        "text.change_commentanalysis",
        "text.view_themesuggestion",
        # KPIs and pilots, with their audit trails and assignments: read only.
        "pilots.view_kpi",
        "pilots.view_pilot",
        "pilots.view_pilotevent",
        "pilots.view_pilotassignment",
        # They record privacy requests and follow them.
        "privacy.view_privacyrequest",
        "privacy.add_privacyrequest",
    }


def test_manager_may_do_everything_in_the_three_apps():
    models = {
        "customers": ["company", "customer", "touchpoint", "interaction"],
        "surveys": ["survey", "invitation", "surveyresponse"],
        "feedback": [
            "case",
            "caseevent",
            "rootcause",
            "holiday",
            "alert",
            "staffpreference",
            "weeklydigest",
        ],
    }
    expected = {
        f"{app}.{action}_{model}"
        for app, names in models.items()
        for model in names
        for action in ["view", "add", "change", "delete"]
    }

    webhooks = {
        "webhooks.view_subscription",
        "webhooks.add_subscription",
        "webhooks.change_subscription",
        "webhooks.delete_subscription",
        "webhooks.manage_any_subscription",
        "webhooks.view_delivery",
    }

    # Managers give API tokens more than the site's rate (support may not).
    tokens = {"tokens.raise_token_rate"}

    # Managers send a scheduled invitation now, past its wait.
    send_now = {"surveys.send_invitation_now"}

    # Managers see login lockouts and lift them (deleting the attempt).
    lockouts = {
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accessfailurelog",
        "axes.view_accesslog",
    }

    # Managers edit the theme dictionary and correct comments' readings.
    text = {
        "text.view_theme",
        "text.add_theme",
        "text.change_theme",
        "text.delete_theme",
        "text.view_commentanalysis",
        "text.change_commentanalysis",
        # And adopt or dismiss the theme suggestions.
        "text.view_themesuggestion",
        "text.add_themesuggestion",
        "text.change_themesuggestion",
    }

    # Managers define KPIs and run pilots; a pilot is never deleted, and its
    # audit trail and assignments are written by the services alone.
    pilots = {
        "pilots.view_kpi",
        "pilots.add_kpi",
        "pilots.change_kpi",
        "pilots.delete_kpi",
        "pilots.view_pilot",
        "pilots.add_pilot",
        "pilots.change_pilot",
        "pilots.view_pilotevent",
        "pilots.view_pilotassignment",
    }

    # Managers also verify, fulfil, extend and refuse privacy requests, and
    # read the erasure records; neither is ever deleted.
    privacy = {
        "privacy.view_privacyrequest",
        "privacy.add_privacyrequest",
        "privacy.change_privacyrequest",
        "privacy.view_erasurerecord",
    }

    assert (
        codenames("Manager")
        == expected | webhooks | tokens | lockouts | send_now | text | pilots | privacy
    )
