"""The dashboard's comment figures read from the comment rollup are those
counted live from the answers and their readings: the sentiment per week,
each theme's volume and impact, each journey cell's themes, under every
filter the rollup can answer and the ones it leaves to the live count."""

from datetime import UTC, date, datetime, timedelta

import hypothesis
import pytest
from django.db import connection, transaction
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from feedback.metrics import themes
from feedback.metrics.filters import AnswerFilter
from feedback.metrics.statistics import BandCounts
from feedback.views.dashboard import dashboard_figures
from surveys.models import SurveyResponse
from tests.factories import SurveyFactory, SurveyResponseFactory, TouchpointFactory
from text import rollup
from text.models import CommentAnalysis, CommentRollup, CommentTheme, Theme

pytestmark = pytest.mark.django_db

START = date(2026, 11, 2)  # a Monday
END = date(2026, 11, 22)
LABELS = ["negative", "neutral", "positive", "mixed"]
LANGUAGES = ["en", "zh", "unknown"]
CHANNELS = ["chat", "email"]
SEGMENTS = ["smb", "enterprise"]


def theme_figures(answers: AnswerFilter):
    counts = themes.count_themes(answers)
    return (
        counts,
        themes.theme_figures(answers, counts=counts),
        themes.journey_themes(answers, counts=counts),
        themes.sentiment_trend(answers, interval="week"),
    )


def both_ways(settings, read):
    """`read()` from the rollup, then live, with the queries of the first."""
    settings.METRICS_USE_ROLLUP = True
    with CaptureQueriesContext(connection) as queries:
        rolled_up = read()
    settings.METRICS_USE_ROLLUP = False
    live = read()
    return rolled_up, live, [query["sql"] for query in queries]


@pytest.fixture
def world(db):
    """A survey, four journey cells and three themes, one of them switched
    off (the starter themes are switched off too)."""
    Theme.objects.update(is_active=False)
    return {
        "survey": SurveyFactory.create(kind="nps"),
        "cells": [
            ("usage", TouchpointFactory.create(stage="usage")),
            ("usage", TouchpointFactory.create(stage="usage")),
            ("purchase", TouchpointFactory.create(stage="purchase")),
            ("advocacy", None),
        ],
        "themes": [
            Theme.objects.create(key="t-wait", name_en="Wait"),
            Theme.objects.create(key="t-staff", name_en="Staff"),
            Theme.objects.create(key="t-old", name_en="Old", is_active=False),
        ],
    }


ANSWERS = st.lists(
    st.tuples(
        st.integers(0, 10),  # score
        st.integers(-3, 23),  # day from START, some outside the range
        st.integers(0, 3),  # cell
        st.integers(0, 3),  # channel and segment
        st.one_of(
            st.none(),  # no reading
            st.tuples(
                st.integers(0, 3),  # label
                st.integers(-1, 3),  # corrected label (-1: none)
                st.integers(0, 2),  # language
                st.integers(0, 7),  # themes mentioned
                st.integers(0, 7),  # of those, taken away by staff
            ),
        ),
    ),
    max_size=24,
)


def write(world, answers) -> None:
    """The answers and their readings as rows; the rollup rebuilt from them
    (tests/text/test_comment_rollup.py proves the services keep it so)."""
    for score, day, cell, variant, reading in answers:
        stage, touchpoint = world["cells"][cell]
        response = SurveyResponseFactory.create(
            invitation__survey=world["survey"],
            score=score,
            answered_at=datetime.combine(
                START + timedelta(days=day), datetime.min.time(), tzinfo=UTC
            )
            + timedelta(hours=11),
            stage=stage,
            touchpoint=touchpoint,
            channel=CHANNELS[variant % 2],
            segment=SEGMENTS[variant // 2],
            comment="said" if reading else "",
        )
        if reading is not None:
            read(world, response, *reading)
    rollup.rebuild_comment_rollup()
    # What a reading counted and taken out again leaves: rows of zeros.
    for theme in [None, world["themes"][0]]:
        CommentRollup.objects.create(
            day=START + timedelta(days=3),
            survey=world["survey"],
            kind="nps",
            dimension="journey",
            value="awareness/",
            theme=theme,
            sentiment="negative",
            language="en",
        )


def read(world, response, label, corrected, language, mentioned, removed) -> None:
    analysis = CommentAnalysis.objects.create(
        response=response,
        comment_digest="test",
        dictionary_digest="test",
        language=LANGUAGES[language],
        score=0,
        label=LABELS[label],
        corrected_label="" if corrected < 0 else LABELS[corrected],
        analysed_at=response.answered_at,
    )
    for bit, theme in enumerate(world["themes"]):
        if mentioned >> bit & 1:
            CommentTheme.objects.create(
                analysis=analysis,
                theme=theme,
                source="analysis",
                is_present=not removed >> bit & 1,
            )


def filters(world) -> list[AnswerFilter]:
    usage_touchpoint = world["cells"][0][1]
    return [
        AnswerFilter(start=START, end=END),
        AnswerFilter(start=START, end=END, survey=world["survey"].pk),
        AnswerFilter(start=START, end=END, sentiment="negative"),
        AnswerFilter(start=START, end=END, language="zh", sentiment="positive"),
        AnswerFilter(start=START, end=END, dimensions={"channel": "chat"}),
        AnswerFilter(start=START, end=END, dimensions={"stage": "usage"}),
        AnswerFilter(
            start=START, end=END, dimensions={"touchpoint": usage_touchpoint.pk}
        ),
        AnswerFilter(start=START, end=END, theme=world["themes"][0].pk),
        AnswerFilter(start=START, end=END, mode="latest"),
    ]


@hypothesis.settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(answers=ANSWERS)
def test_the_comment_figures_from_the_rollup_are_those_counted_live(
    world, settings, answers
):
    settings.METRICS_MIN_SAMPLE = 2
    with transaction.atomic():
        write(world, answers)
        for answer_filter in filters(world):
            rolled_up, live, _queries = both_ways(
                settings, lambda f=answer_filter: theme_figures(f)
            )
            assert rolled_up == live, answer_filter
        transaction.set_rollback(True)  # the next example starts empty


def test_the_figures_are_read_from_the_rollup_where_it_can_answer(world, settings):
    write(world, [(2, 1, 0, 0, (0, -1, 0, 3, 0)), (10, 8, 2, 1, (2, 0, 1, 1, 0))])
    usage = AnswerFilter(start=START, end=END, dimensions={"stage": "usage"})

    _, _, unfiltered = both_ways(
        settings, lambda: theme_figures(AnswerFilter(start=START, end=END))
    )
    _, _, narrowed = both_ways(settings, lambda: theme_figures(usage))

    # The cells' two counts and the sentiment per week; the themes' query.
    assert [("text_commentrollup" in sql) for sql in unfiltered] == [
        False,
        True,
        True,
        True,
    ]
    # By stage and by cell at once: only the sentiment per stage is rolled up.
    assert [("text_commentrollup" in sql) for sql in narrowed] == [
        False,
        False,
        False,
        True,
    ]


def test_the_figures_of_a_known_set_are_the_hand_counted_ones(world, settings):
    settings.METRICS_MIN_SAMPLE = 1
    wait, staff, _old = world["themes"]
    write(
        world,
        [
            # Two detractors about waiting (negative), a promoter about staff
            # (positive, corrected from mixed), a passive about both, taken
            # away by staff from staff (neutral, in Chinese), and a promoter
            # without a reading.
            (2, 1, 0, 0, (0, -1, 0, 1, 0)),
            (3, 2, 0, 0, (0, -1, 0, 1, 0)),
            (10, 3, 0, 0, (3, 2, 0, 2, 0)),
            (8, 3, 0, 0, (1, -1, 1, 3, 2)),
            (9, 3, 0, 0, None),
        ],
    )
    settings.METRICS_USE_ROLLUP = True

    counts = themes.count_themes(AnswerFilter(start=START, end=END))
    cell = ("usage", world["cells"][0][1].pk)

    assert counts.read == {cell: BandCounts(1, 1, 2)}
    assert counts.mentioned == {
        cell: {
            wait.pk: (BandCounts(0, 1, 2), 2),
            staff.pk: (BandCounts(1, 0, 0), 0),
        }
    }
    [week] = [
        period
        for period in themes.sentiment_trend(AnswerFilter(start=START, end=END))
        if period.n
    ]
    assert (week.start, week.n) == (START, 4)
    assert [(share.label, share.count) for share in week.shares] == [
        ("negative", 2),
        ("neutral", 1),
        ("positive", 1),
        ("mixed", 0),
    ]


def test_the_whole_dashboard_is_the_same_from_the_rollups_and_live(world, settings):
    settings.METRICS_MIN_SAMPLE = 2
    write(
        world,
        [
            (score, day, day % 4, day % 3, (day % 4, -1, day % 2, day % 8, 0))
            for score, day in zip(range(11), range(0, 22, 2), strict=True)
        ]
        + [(4, 5, 1, 2, None), (9, 6, 3, 1, (2, 0, 2, 5, 4))],
    )
    answers = AnswerFilter(start=START, end=END)

    rolled_up, live, queries = both_ways(
        settings,
        lambda: dashboard_figures(
            answers, interval="week", interval_label="week", by=None, query=QueryDict()
        ),
    )

    assert SurveyResponse.objects.count() == 13
    assert any("text_commentrollup" in sql for sql in queries)
    assert rolled_up == live
