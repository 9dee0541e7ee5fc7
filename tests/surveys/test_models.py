import pytest
from django.db import IntegrityError, transaction

from surveys.models import Band, band_for
from tests.factories import InvitationFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "score", "band"),
    [
        ("nps", 0, Band.DETRACTOR),
        ("nps", 6, Band.DETRACTOR),
        ("nps", 7, Band.PASSIVE),
        ("nps", 8, Band.PASSIVE),
        ("nps", 9, Band.PROMOTER),
        ("nps", 10, Band.PROMOTER),
        ("csat", 1, Band.DETRACTOR),
        ("csat", 2, Band.DETRACTOR),
        ("csat", 3, Band.PASSIVE),
        ("csat", 4, Band.PROMOTER),
        ("csat", 5, Band.PROMOTER),
        ("ces", 1, Band.DETRACTOR),
        ("ces", 3, Band.DETRACTOR),
        ("ces", 4, Band.PASSIVE),
        ("ces", 5, Band.PROMOTER),
        ("ces", 7, Band.PROMOTER),
    ],
)
def test_every_boundary_score_falls_in_its_band(kind, score, band):
    assert band_for(kind, score) == band


@pytest.mark.parametrize(
    ("kind", "score"), [("nps", -1), ("nps", 11), ("csat", 0), ("ces", 8)]
)
def test_a_score_off_the_scale_has_no_band(kind, score):
    with pytest.raises(ValueError, match="outside"):
        band_for(kind, score)


@pytest.mark.parametrize(
    ("kind", "score"), [("nps", 11), ("csat", 0), ("csat", 6), ("ces", 8)]
)
def test_the_database_refuses_a_score_off_the_scale(kind, score):
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponseFactory.create(
            invitation__survey__kind=kind, score=score, band="passive"
        )


def test_one_invitation_per_survey_and_interaction():
    first = InvitationFactory.create()

    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationFactory.create(survey=first.survey, interaction=first.interaction)


def test_one_response_per_invitation():
    response = SurveyResponseFactory.create()

    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponseFactory.create(invitation=response.invitation)


def test_a_suppressed_invitation_needs_its_reason():
    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationFactory.create(status="suppressed", suppressed_reason="")

    suppressed = InvitationFactory.create(
        status="suppressed", suppressed_reason="opted_out"
    )
    assert suppressed.get_suppressed_reason_display() == "Opted out"


def test_only_a_suppressed_invitation_has_a_reason():
    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationFactory.create(status="sent", suppressed_reason="throttled")
