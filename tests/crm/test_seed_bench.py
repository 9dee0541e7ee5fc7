import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models.functions import Lower

from customers.models import Company, Customer, Interaction
from feedback.models import Case
from surveys import tokens
from surveys.models import Invitation, SurveyResponse, band_for

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
