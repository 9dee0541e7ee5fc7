import hashlib
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models.functions import Lower
from django.utils import timezone

from customers.models import Company, Customer, Interaction
from demo.management.commands import seed_bench as seed_bench_command
from feedback.models import Case
from surveys import tokens
from surveys.models import Invitation, SurveyResponse, band_for
from surveys.services import rollup

pytestmark = pytest.mark.django_db

MODELS = [Company, Customer, Interaction, Invitation, SurveyResponse, Case]
CHINESE = re.compile(r"^[\u4e00-\u9fff]{2,3}$")
ENGLISH = re.compile(r"^[A-Z][a-z]+ [A-Z][A-Za-z']+$")


def seed_bench(customers):
    out = StringIO()
    call_command("seed_bench", customers=customers, stdout=out)
    return out.getvalue()


def counts():
    return {model.__name__: model._default_manager.count() for model in MODELS}


def test_it_creates_exactly_n_customers_with_their_history():
    seed_bench(60)

    customers = Customer.objects.order_by("id")
    interactions = Interaction.objects.count()
    assert customers.count() == 60
    assert [c.external_id for c in customers[:2]] == [
        "bench-000000001",
        "bench-000000002",
    ]
    assert customers[0].email == "bench-1@example.com"
    assert Company.objects.count() == 3
    assert 120 <= interactions <= 240
    assert not Customer.objects.filter(interactions=None).exists()


def test_the_same_n_again_adds_nothing():
    seed_bench(40)
    before = counts()

    out = seed_bench(40)

    assert counts() == before
    assert "40 benchmark customers already present" in out


def test_a_larger_n_tops_up_and_keeps_what_was_there():
    seed_bench(30)
    first_ids = list(Customer.objects.order_by("id").values_list("id", "name"))

    seed_bench(50)

    customers = Customer.objects.order_by("id")
    assert customers.count() == 50
    assert list(customers.values_list("id", "name")[:30]) == first_ids
    assert Customer.objects.latest("id").external_id == "bench-000000050"
    assert Company.objects.count() == 3


def test_bench_rows_live_next_to_other_customers_and_new_rows_get_fresh_ids():
    call_command("seed_demo", password="x-demo-password", stdout=StringIO())
    demo_customers = Customer.objects.count()

    seed_bench(20)
    created = Customer.objects.create(name="After the bench", email="after@x.example")

    assert Customer.objects.count() == demo_customers + 21
    assert created.pk == Customer.objects.latest("id").pk
    emails = Customer.objects.exclude(email="").annotate(lower=Lower("email"))
    assert emails.values("lower").distinct().count() == emails.count()


def test_names_are_realistic_english_and_chinese():
    seed_bench(200)

    names = list(Customer.objects.values_list("name", flat=True))
    chinese = [name for name in names if CHINESE.match(name)]
    english = [name for name in names if ENGLISH.match(name)]
    assert len(chinese) + len(english) == 200
    assert 40 <= len(chinese) <= 120
    assert len(set(names)) >= 150


def test_answers_invitations_and_cases_are_consistent():
    seed_bench(300)

    responses = SurveyResponse.objects.select_related(
        "invitation__interaction", "survey"
    )
    assert responses.exists()
    for response in responses:
        interaction = response.invitation.interaction
        assert interaction is not None
        assert response.band == band_for(response.survey.kind, response.score)
        assert response.invitation.status == Invitation.Status.ANSWERED
        assert response.customer_id == interaction.customer_id
        assert response.staff_id == interaction.logged_by_id
        assert response.touchpoint_id == interaction.touchpoint_id
    assert Case.objects.count() == responses.filter(band="detractor").count()
    invitation = Invitation.objects.earliest("id")
    assert invitation.token_hash == tokens.hash_token(
        tokens.token_for(invitation.nonce)
    )
    interactions = Interaction.objects.count()
    assert 0.2 * interactions <= Invitation.objects.count() <= 0.45 * interactions


def test_every_bench_row_passes_model_validation():
    seed_bench(40)

    for model in MODELS:
        for row in model._default_manager.all():
            row.full_clean()


def test_cases_are_topped_up_by_hand_to_the_number_asked():
    seed_bench(50)
    from_answers = Case.objects.count()

    call_command("seed_bench", customers=50, cases=from_answers + 30, stdout=StringIO())
    call_command("seed_bench", customers=50, cases=from_answers + 30, stdout=StringIO())

    manual = Case.objects.filter(reason="manual")
    assert manual.count() == 30
    assert Case.objects.count() == from_answers + 30
    assert not manual.filter(status="closed", root_cause=None).exists()
    assert set(manual.values_list("assignment_rule", flat=True)) == {"customer_owner"}


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="--answers writes its rows with PostgreSQL's generate_series",
)


def seed_answers(customers, answers):
    out = StringIO()
    call_command("seed_bench", customers=customers, answers=answers, stdout=out)
    return out.getvalue()


@postgresql_only
def test_answers_are_topped_up_to_exactly_n_with_one_chain_each():
    seed_bench(40)
    before = counts()
    wanted = before["SurveyResponse"] + 400

    out = seed_answers(40, wanted)

    after = counts()
    assert after["SurveyResponse"] == wanted
    assert after["Invitation"] == before["Invitation"] + 400
    assert after["Interaction"] == before["Interaction"] + 400
    assert after["Customer"] == 40
    detractors = SurveyResponse.objects.filter(band="detractor").count()
    assert after["Case"] == detractors
    assert f"{wanted:,} answers now" in out


@postgresql_only
def test_the_rollup_counts_the_new_answers():
    seed_bench(30)

    seed_answers(30, SurveyResponse.objects.count() + 150)

    stored = rollup.stored_rows()
    assert stored == rollup.recomputed_rows()
    assert sum(row[5] + row[6] + row[7] for row in stored) == (
        6 * SurveyResponse.objects.count()
    )


@postgresql_only
def test_new_answers_freeze_their_dimensions_like_a_real_answer():
    seed_bench(40)
    newest = SurveyResponse.objects.order_by("-id").values_list("id", flat=True)[0]
    now = timezone.now()

    seed_answers(40, SurveyResponse.objects.count() + 300)

    added = SurveyResponse.objects.filter(id__gt=newest).select_related(
        "invitation__interaction__touchpoint", "customer__company", "survey"
    )
    assert added.count() == 300
    for response in added:
        invitation, customer = response.invitation, response.customer
        interaction = invitation.interaction
        assert interaction is not None
        assert interaction.touchpoint is not None
        assert interaction.resolved_at is not None
        assert invitation.sent_at is not None
        assert invitation.status == Invitation.Status.ANSWERED
        assert invitation.customer_id == customer.pk == interaction.customer_id
        assert invitation.survey_id == response.survey_id
        assert invitation.answered_at == response.answered_at
        assert response.kind == response.survey.kind
        assert response.band == band_for(response.kind, response.score)
        assert response.channel == interaction.channel
        assert response.touchpoint_id == interaction.touchpoint_id
        assert response.stage == interaction.touchpoint.stage
        assert response.segment == customer.segment
        assert response.company_id == customer.company_id
        assert response.staff_id == interaction.logged_by_id
        assert response.language == customer.language
        assert interaction.survey_mode == Interaction.SurveyMode.AUTO
        assert customer.created_at < interaction.occurred_at
        assert interaction.occurred_at < interaction.resolved_at
        assert interaction.resolved_at < invitation.sent_at < response.answered_at
        assert now - timedelta(days=365) <= response.answered_at <= now
        assert customer.email_opted_out_at is None
    assert {r.kind for r in added} == {"nps", "csat"}
    assert 0.05 * 300 <= added.filter(band="detractor").count() <= 0.5 * 300
    assert 0.3 * 300 <= added.exclude(comment="").count() <= 0.7 * 300


@postgresql_only
def test_new_answers_have_unique_markers_for_tokens_and_valid_cases():
    seed_bench(30)
    newest = Invitation.objects.order_by("-id").values_list("id", flat=True)[0]

    seed_answers(30, SurveyResponse.objects.count() + 200)

    invitations = Invitation.objects.filter(id__gt=newest).order_by("id")
    first = invitations[0]
    assert first.token_hash == f"{first.pk:064x}"
    marker = f"bench-answer:{first.pk}".encode()
    assert first.nonce == hashlib.md5(marker).hexdigest()  # noqa: S324
    assert invitations.values("token_hash").distinct().count() == 200
    cases = Case.objects.filter(response__invitation__in=invitations)
    assert (
        cases.count()
        == SurveyResponse.objects.filter(
            invitation__in=invitations, band="detractor"
        ).count()
    )
    for case in cases.select_related("response"):
        assert case.response is not None
        case.full_clean()
        assert case.customer_id == case.response.customer_id
        assert case.created_at > case.response.answered_at
    for invitation in invitations[:50]:
        invitation.full_clean()
        invitation.response.full_clean()
        assert invitation.interaction is not None
        invitation.interaction.full_clean()


@postgresql_only
def test_the_same_answers_again_add_nothing_and_new_ids_follow():
    seed_bench(30)
    wanted = SurveyResponse.objects.count() + 100
    seed_answers(30, wanted)
    before = counts()

    out = seed_answers(30, wanted)
    created = Interaction.objects.create(
        customer=Customer.objects.earliest("id"),
        channel="phone",
        subject="After",
        status=Interaction.Status.OPEN,
    )

    assert counts() == {**before, "Interaction": before["Interaction"] + 1}
    assert f"{wanted:,} answers already present" in out
    assert created.pk == Interaction.objects.latest("id").pk


@postgresql_only
def test_every_batch_of_answers_draws_rows_of_its_own(monkeypatch):
    monkeypatch.setattr(seed_bench_command, "ANSWER_BATCH", 2000)
    seed_bench(30)
    newest = SurveyResponse.objects.order_by("-id").values_list("id", flat=True)[0]

    out = seed_answers(30, SurveyResponse.objects.count() + 6000)

    added = SurveyResponse.objects.filter(id__gt=newest)
    assert out.count(" cases): ") == 3
    assert added.values("answered_at").distinct().count() == 6000


def indexes():
    tables = [Interaction, Invitation, SurveyResponse, Case]
    with connection.cursor() as cursor:
        return {
            model.__name__: connection.introspection.get_constraints(
                cursor, model._meta.db_table
            )
            for model in tables
        }


@postgresql_only
def test_doubling_the_answers_rebuilds_exactly_the_indexes_it_dropped():
    seed_bench(30)
    before = indexes()

    out = seed_answers(30, 2 * SurveyResponse.objects.count() + 10)

    assert indexes() == before
    assert "invitation_due_idx" in before["Invitation"]
    assert "response_kind_answered_idx" in before["SurveyResponse"]
    assert "indexes built" in out


@postgresql_only
def test_a_smaller_top_up_writes_into_the_indexes_in_place():
    seed_bench(30)
    wanted = 3 * SurveyResponse.objects.count()
    seed_answers(30, wanted)
    before = counts()

    out = seed_answers(30, wanted + 25)

    after = counts()
    assert after["SurveyResponse"] == wanted + 25
    assert after["Invitation"] == before["Invitation"] + 25
    assert "indexes built" not in out
    assert f"answers {wanted + 1:,}–{wanted + 25:,}" in out


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the refusal is SQLite's")
def test_sqlite_refuses_to_top_up_answers_and_writes_nothing():
    seed_bench(20)
    before = counts()

    with pytest.raises(CommandError, match="--answers needs PostgreSQL"):
        seed_answers(20, before["SurveyResponse"] + 10)

    assert counts() == before
