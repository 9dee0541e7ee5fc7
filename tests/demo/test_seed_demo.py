import re
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.models import Company, Customer, Interaction, Stage, Touchpoint
from feedback.models import Case, CaseEvent, RootCause
from surveys import tokens
from surveys.models import Invitation, Survey, SurveyResponse, band_for

pytestmark = pytest.mark.django_db

PASSWORD = "demo-test-password"
MODELS = [
    User,
    Group,
    Company,
    Customer,
    Touchpoint,
    Interaction,
    Survey,
    Invitation,
    SurveyResponse,
    Case,
    CaseEvent,
    RootCause,
]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def seed(password=PASSWORD):
    out = StringIO()
    call_command("seed_demo", password=password, stdout=out)
    return out.getvalue()


def counts():
    return {model.__name__: model._default_manager.count() for model in MODELS}


def logs_in(username, password):
    """Through the admin's login form, as a person would (and django-axes
    wants a request)."""
    response = Client().post(
        reverse("admin:login"), {"username": username, "password": password}
    )
    return response.status_code == 302


@pytest.fixture
def demo():
    return seed()


def test_a_second_run_creates_nothing(demo):
    first = counts()

    seed()

    assert counts() == first
    assert first["Customer"] == 200
    assert first["Company"] == 30


def test_the_printed_logins_work(demo):
    assert "Staff login: support / demo-test-password (Support)" in demo
    assert "Manager login: manager / demo-test-password (Manager)" in demo
    assert "Staff login: li.na / demo-test-password (Support)" in demo
    support = User.objects.get(username="support")
    manager = User.objects.get(username="manager")
    assert logs_in("support", PASSWORD)
    assert logs_in("manager", PASSWORD)
    assert logs_in("chen.jie", PASSWORD)
    assert [g.name for g in support.groups.all()] == ["Support"]
    assert [g.name for g in manager.groups.all()] == ["Manager"]
    assert (support.is_staff, support.is_superuser) == (True, False)
    assert (manager.is_staff, manager.is_superuser) == (True, False)


def test_a_rerun_with_a_password_sets_it_on_every_demo_login():
    seed()

    seed(password="another-password")

    assert not logs_in("support", PASSWORD)
    assert logs_in("li.na", "another-password")


def test_it_refuses_without_a_password_when_debug_is_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="pass --password or run with DEBUG=1"):
        call_command("seed_demo", stdout=StringIO())

    assert not User.objects.filter(username="support").exists()
    assert Customer.objects.count() == 0


def test_with_debug_on_the_password_defaults_to_the_demo_one(settings):
    settings.DEBUG = True

    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert "Staff login: support / touchloop-demo (Support)" in out.getvalue()
    assert logs_in("manager", "touchloop-demo")


def test_the_journey_covers_all_seven_stages(demo):
    every_stage = {stage.value for stage in Stage}
    touched = Interaction.objects.values_list("touchpoint__stage", flat=True)

    assert set(Touchpoint.objects.values_list("stage", flat=True)) == every_stage
    assert set(touched) == every_stage
    assert set(Customer.objects.values_list("stage", flat=True)) == every_stage


def test_customers_speak_english_and_chinese_and_are_answered_in_kind(demo):
    languages = set(Customer.objects.values_list("language", flat=True))
    zones = set(Customer.objects.values_list("timezone", flat=True))
    comments = SurveyResponse.objects.exclude(comment="").select_related("customer")

    assert languages == {"en", "zh-hans"}
    assert {"Asia/Shanghai", "Europe/London", "America/New_York"} <= zones
    for response in comments:
        is_chinese = bool(CHINESE.search(response.comment))
        assert is_chinese == (response.customer.language == "zh-hans")
        assert response.language == response.customer.language


def test_both_surveys_are_answered_with_a_believable_score(demo):
    nps = SurveyResponse.objects.filter(kind="nps")
    promoters = nps.filter(band="promoter").count()
    detractors = nps.filter(band="detractor").count()
    score = round(100 * (promoters - detractors) / nps.count())

    assert set(SurveyResponse.objects.values_list("kind", flat=True)) == {
        "nps",
        "csat",
    }
    assert nps.count() >= 100
    assert 20 <= score <= 40


def test_responses_carry_the_dimensions_of_their_interaction(demo):
    responses = SurveyResponse.objects.select_related(
        "invitation__interaction__touchpoint", "customer", "survey"
    )

    for response in responses:
        interaction = response.invitation.interaction
        assert interaction is not None
        assert interaction.touchpoint is not None
        assert response.customer_id == interaction.customer_id
        assert response.survey_id == response.invitation.survey_id
        assert response.kind == response.survey.kind
        assert response.band == band_for(response.kind, response.score)
        assert response.channel == interaction.channel
        assert response.touchpoint_id == interaction.touchpoint_id
        assert response.stage == interaction.touchpoint.stage
        assert response.segment == response.customer.segment
        assert response.company_id == response.customer.company_id
        assert response.staff_id == interaction.logged_by_id
        assert response.answered_at == response.invitation.answered_at
        assert response.invitation.status == Invitation.Status.ANSWERED


def test_invitations_are_sent_answered_suppressed_and_scheduled(demo):
    now = timezone.now()
    statuses = set(Invitation.objects.values_list("status", flat=True))
    reasons = set(
        Invitation.objects.filter(status="suppressed").values_list(
            "suppressed_reason", flat=True
        )
    )
    scheduled = Invitation.objects.filter(status="scheduled")

    assert {"sent", "answered", "suppressed", "scheduled", "expired"} <= statuses
    assert {"throttled", "no_email", "opted_out", "skipped_by_staff"} <= reasons
    assert scheduled.exists()
    assert not scheduled.filter(scheduled_for__lte=now).exists()
    for invitation in Invitation.objects.all()[:50]:
        token = tokens.token_for(invitation.nonce)
        assert invitation.token_hash == tokens.hash_token(token)


def test_surveys_follow_support_and_onboarding_interactions(demo):
    nps = Survey.objects.get(name="Support NPS")
    csat = Survey.objects.get(name="Onboarding CSAT")
    nps_touchpoints = {t.name for t in nps.touchpoints.all()}

    assert (nps.kind, nps.trigger) == ("nps", "interaction")
    assert (csat.kind, csat.trigger) == ("csat", "interaction")
    assert nps_touchpoints == {"Support ticket", "Support chat", "Support call"}
    assert [t.name for t in csat.touchpoints.all()] == ["Onboarding call"]
    invited = Invitation.objects.values_list("survey__name", "interaction__touchpoint")
    for survey_name, touchpoint in invited:
        survey = nps if survey_name == "Support NPS" else csat
        assert survey.touchpoints.filter(pk=touchpoint).exists()


def test_detractors_have_cases_open_contacted_and_closed(demo):
    negative = SurveyResponse.objects.filter(band="detractor")
    answered = Case.objects.exclude(response=None)
    closed = Case.objects.filter(status="closed")

    assert answered.count() == negative.count()
    assert set(answered.values_list("status", flat=True)) == {
        "open",
        "contacted",
        "closed",
    }
    assert not closed.filter(root_cause=None).exists()
    assert not closed.filter(resolution="").exists()
    assert not closed.filter(closed_at=None).exists()
    for case in closed.prefetch_related("events"):
        kinds = [event.kind for event in case.events.order_by("created_at", "id")]
        assert kinds[:2] == ["opened", "assigned"]
        assert kinds[-2:] == ["contacted", "closed"]


def test_interactions_span_six_months_and_are_logged_by_demo_staff(demo):
    now = timezone.now()
    oldest = Interaction.objects.order_by("occurred_at").first()
    staff = set(User.objects.filter(is_staff=True).values_list("pk", flat=True))

    assert oldest is not None
    assert 150 <= (now - oldest.occurred_at).days <= 183
    assert set(Interaction.objects.values_list("logged_by", flat=True)) <= staff
    assert not Interaction.objects.filter(status="open").exclude(resolved_at=None)
    assert not Interaction.objects.filter(status="resolved", resolved_at=None)


def test_every_demo_row_passes_model_validation(demo):
    for model in [Company, Customer, Interaction, Invitation, SurveyResponse, Case]:
        for row in model._default_manager.all():
            row.full_clean()
