"""`/api/v1/metrics/journey/`: a cell per stage and touchpoint, and the pain
points."""

import pytest

from customers.models import Stage
from tests.factories import TouchpointFactory
from tests.feedback.metrics_api_helpers import (
    ABOUT,
    NOW,
    RANGE,
    WEEK_47,
    answers,
    counted,
    get,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


# Journey


def cell(stage, touchpoint, label, n, bands, score, margin) -> dict:
    return {
        "stage": stage,
        "touchpoint": touchpoint,
        "touchpoint_label": label,
        "n": n,
        "promoters": bands[0],
        "passives": bands[1],
        "detractors": bands[2],
        "nps": score,
        "margin": margin,
        "low_sample": True,
    }


def test_the_journey_map_has_a_cell_per_stage_and_touchpoint_and_its_pain_points(
    manager, nps_survey
):
    checkout = TouchpointFactory.create(name="Checkout", stage=Stage.PURCHASE)
    ticket = TouchpointFactory.create(name="Support ticket")
    answers(nps_survey, [10, 9, 2], WEEK_47, stage=Stage.PURCHASE, touchpoint=checkout)
    answers(nps_survey, [6, 5], WEEK_47, stage=Stage.USAGE, touchpoint=ticket)
    answers(nps_survey, [8], WEEK_47, stage=Stage.USAGE)
    counted()

    response = get(manager, "journey", **RANGE)

    # 6 answers in all: the ticket's 2 detractors weigh 2/6, checkout's 1/6.
    checkout_cell = cell("purchase", checkout.id, "Checkout", 3, (2, 0, 1), 33.3, 106.7)
    ticket_cell = cell("usage", ticket.id, "Support ticket", 2, (0, 0, 2), -100.0, 0.0)
    assert response.status_code == 200
    assert response.json() == {
        **ABOUT,
        "cells": [
            checkout_cell,
            ticket_cell,
            cell("usage", None, "—", 1, (0, 1, 0), 0.0, 0.0),
        ],
        "pain_points": [
            {**ticket_cell, "impact": 0.3333, "negative_share": 1.0},
            {**checkout_cell, "impact": 0.1667, "negative_share": 1 / 3},
        ],
    }
