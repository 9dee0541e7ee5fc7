"""The comment rollup (text.rollup): every reading counted once without a
theme and once per theme it mentions, in the six rows of its answer, kept
equal to a recomputation by every service that writes a reading, corrects
it, removes it, or changes its answer; and the command that rebuilds it."""

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import hypothesis
import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from surveys.models import SurveyResponse, scale_of
from surveys.services import answers
from tests.factories import (
    CustomerFactory,
    InteractionFactory,
    InvitationFactory,
    SurveyFactory,
    TouchpointFactory,
    UserFactory,
)
from text import rollup, services
from text.models import CommentAnalysis, CommentRollup, Theme

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
DAY = date(2026, 11, 18)
LATE = "The delivery was late and nobody answered my calls."  # communication, delivery
PRICEY = "Too expensive, and the bill was wrong."  # billing, price
KIND = "Friendly staff, problem solved quickly."
COMMENTS = [LATE, PRICEY, KIND, "ok", "Très bien", ""]
LABELS = ["negative", "neutral", "positive", "mixed"]


@pytest.fixture
def hooks(settings):
    """Only the text app hears of answers (no case protects an answer from
    deletion), and it hears of deletions."""
    settings.HOOKS = {
        **settings.HOOKS,
        "response_recorded": ["text.services.on_response_recorded"],
        "response_deleting": ["text.services.on_response_deleting"],
    }


def invitation(*, survey=None, touchpoint=None, channel="chat", segment="smb"):
    customer = CustomerFactory.create(segment=segment, stage="usage")
    interaction = InteractionFactory.create(
        customer=customer,
        channel=channel,
        touchpoint=touchpoint or TouchpointFactory.create(stage="usage"),
    )
    return InvitationFactory.create(
        survey=survey or SurveyFactory.create(kind="nps"),
        customer=customer,
        interaction=interaction,
        status="sent",
        sent_at=NOW - timedelta(days=30),
        expires_at=None,
    )


def answered(sent, *, score, comment, now=NOW) -> SurveyResponse:
    answers.record_response(sent, score=score, comment=comment, now=now)
    response = SurveyResponse.objects.get(invitation=sent)
    services.enrich_comment(response.pk)
    return response


def theme_id(key: str) -> int:
    return Theme.objects.get(key=key).pk


def six_rows(answer, *, theme, sentiment, counts, language="en", day=DAY):
    """The six rows of an answer's survey and values, for one theme (None:
    every read comment), with these counts."""
    touchpoint = str(answer.touchpoint_id)
    values = [
        ("all", ""),
        ("channel", answer.channel),
        ("journey", f"{answer.stage}/{touchpoint}"),
        ("segment", answer.segment),
        ("stage", answer.stage),
        ("touchpoint", touchpoint),
    ]
    key = (theme, sentiment, language, *counts)
    return [
        ("nps", dimension, value, day, answer.survey_id, *key)
        for dimension, value in values
    ]


def rows_of(answer, *, themes, sentiment, counts, language="en"):
    """The rows of one reading: without a theme, then per theme, in the
    order `rollup.stored_rows()` gives them."""
    found = []
    for theme in [None, *sorted(themes)]:
        found += six_rows(
            answer, theme=theme, sentiment=sentiment, counts=counts, language=language
        )
    return sorted(found, key=rollup.row_order)


def test_a_reading_counts_once_without_a_theme_and_once_per_theme(hooks):
    answer = answered(invitation(), score=3, comment=LATE)

    assert rollup.stored_rows() == rows_of(
        answer,
        themes=[theme_id("communication"), theme_id("delivery")],
        sentiment="negative",
        counts=(0, 0, 1),
    )
    analysis = CommentAnalysis.objects.get()
    assert (analysis.counted_band, analysis.counted_day) == ("detractor", DAY)


def test_a_changed_score_moves_the_reading_in_the_answers_own_transaction(hooks):
    sent = invitation()
    answer = answered(sent, score=3, comment=PRICEY)

    # Not read again: the comment did not change.
    answers.record_response(sent, score=10, now=NOW + timedelta(minutes=5))

    assert rollup.stored_rows() == rows_of(
        answer,
        themes=[theme_id("billing"), theme_id("price")],
        sentiment="negative",
        counts=(1, 0, 0),
    )
    assert CommentAnalysis.objects.get().counted_band == "promoter"


def test_a_change_within_the_band_writes_nothing_to_the_comment_rollup(hooks):
    sent = invitation()
    answered(sent, score=9, comment=KIND)
    before = sorted(CommentRollup.objects.values_list("id", "promoters"))

    answers.record_response(sent, score=10, now=NOW + timedelta(minutes=5))

    assert sorted(CommentRollup.objects.values_list("id", "promoters")) == before


def test_a_corrected_sentiment_moves_the_reading_to_it(hooks):
    answer = answered(invitation(), score=8, comment=PRICEY)
    themes = [theme_id("billing"), theme_id("price")]

    services.correct_sentiment(
        CommentAnalysis.objects.get(), label="mixed", by=UserFactory.create(), now=NOW
    )

    assert rollup.stored_rows() == rows_of(
        answer, themes=themes, sentiment="mixed", counts=(0, 1, 0)
    )


def test_corrected_themes_move_the_reading_to_them(hooks):
    answer = answered(invitation(), score=8, comment=PRICEY)

    services.correct_themes(
        CommentAnalysis.objects.get(),
        themes=[Theme.objects.get(key="price"), Theme.objects.get(key="delivery")],
        by=UserFactory.create(),
        now=NOW,
    )

    assert rollup.stored_rows() == rows_of(
        answer,
        themes=[theme_id("price"), theme_id("delivery")],
        sentiment="negative",
        counts=(0, 1, 0),
    )


def test_an_edited_comment_read_again_replaces_its_counts(hooks):
    sent = invitation()
    answered(sent, score=2, comment=LATE)

    answer = answered(sent, score=2, comment=PRICEY, now=NOW + timedelta(minutes=5))

    assert rollup.stored_rows() == rows_of(
        answer,
        themes=[theme_id("billing"), theme_id("price")],
        sentiment="negative",
        counts=(0, 0, 1),
    )


def test_a_removed_comment_takes_its_reading_out(hooks):
    sent = invitation()
    answered(sent, score=2, comment=LATE)

    answered(sent, score=2, comment="", now=NOW + timedelta(minutes=5))

    assert CommentAnalysis.objects.count() == 0
    assert rollup.stored_rows() == []


def test_a_deleted_answer_takes_its_reading_out(hooks):
    sent = invitation()
    kept = invitation(survey=sent.survey, touchpoint=sent.interaction.touchpoint)
    answer = answered(sent, score=2, comment=LATE)
    answered(kept, score=2, comment="ok")

    answers.delete_response(answer)

    assert rollup.stored_rows() == rows_of(
        answer, themes=[], sentiment="neutral", counts=(0, 0, 1)
    )


def test_a_deleted_theme_takes_its_rows_with_it(hooks):
    answer = answered(invitation(), score=2, comment=LATE)

    Theme.objects.filter(key="communication").delete()

    assert rollup.stored_rows() == rows_of(
        answer, themes=[theme_id("delivery")], sentiment="negative", counts=(0, 0, 1)
    )
    assert rollup.stored_rows() == rollup.recomputed_rows()


def test_the_day_is_the_date_in_the_time_zone(hooks, settings):
    settings.TIME_ZONE = "Asia/Shanghai"  # UTC+8: local midnight is 16:00 UTC
    answer = answered(
        invitation(),
        score=7,
        comment="ok",
        now=datetime(2026, 11, 18, 16, 30, tzinfo=UTC),
    )

    assert rollup.stored_rows() == six_rows(
        answer,
        theme=None,
        sentiment="neutral",
        counts=(0, 1, 0),
        day=date(2026, 11, 19),
    )


def test_a_reading_written_in_bulk_is_counted_by_the_rebuild_and_once_after(hooks):
    answer = answered(invitation(), score=2, comment=LATE)
    CommentRollup.objects.all().delete()
    CommentAnalysis.objects.update(counted_band="", counted_day=None)

    written = rollup.rebuild_comment_rollup()

    assert written == 18
    expected = rows_of(
        answer,
        themes=[theme_id("communication"), theme_id("delivery")],
        sentiment="negative",
        counts=(0, 0, 1),
    )
    assert rollup.stored_rows() == expected
    services.correct_sentiment(
        CommentAnalysis.objects.get(),
        label="negative",
        by=UserFactory.create(),
        now=NOW,
    )
    assert rollup.stored_rows() == expected


def test_a_rebuild_of_some_days_leaves_the_others_alone(hooks):
    survey = SurveyFactory.create(kind="nps")
    touchpoint = TouchpointFactory.create(stage="usage")
    for days in [0, 1, 2]:
        sent = invitation(survey=survey, touchpoint=touchpoint)
        answered(sent, score=9, comment="ok", now=NOW + timedelta(days=days))
    CommentRollup.objects.update(promoters=7)

    written = rollup.rebuild_comment_rollup(
        start=DAY + timedelta(days=1), end=DAY + timedelta(days=1)
    )

    assert written == 6
    assert sorted(
        CommentRollup.objects.filter(dimension="all").values_list("day", "promoters")
    ) == [(DAY, 7), (DAY + timedelta(days=1), 1), (DAY + timedelta(days=2), 7)]


# The rollup equals a recomputation, whatever happens to answers and readings.

POOL_SIZE = 5
STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["answer", "edit", "read", "correct", "retheme", "delete", "batch"]
        ),
        st.integers(0, POOL_SIZE - 1),
        st.integers(0, 63),  # picks a score, a comment, a label, themes
        st.integers(-96, 96),  # half hours from NOW: four local days and more
    ),
    max_size=25,
)
THEME_KEYS = ["delivery", "price", "billing", "staff_attitude", "communication"]


def pool():
    """Invitations of two kinds that share some rows and not others."""
    nps, csat = SurveyFactory.create(kind="nps"), SurveyFactory.create(kind="csat")
    chat = TouchpointFactory.create(stage="usage")
    demo = TouchpointFactory.create(stage="decision")
    return [
        invitation(survey=nps, touchpoint=chat, segment="smb"),
        invitation(survey=nps, touchpoint=chat, segment="enterprise"),
        invitation(survey=nps, channel="email", touchpoint=demo),
        invitation(survey=csat, touchpoint=chat),
        invitation(survey=csat, channel="phone", touchpoint=demo),
    ]


def play(step, invitations, staff):
    action, index, pick, half_hours = step
    sent = invitations[index]
    scale = scale_of(sent.survey.kind)
    score = scale[pick % len(scale)]
    comment = COMMENTS[pick % len(COMMENTS)]
    answer = SurveyResponse.objects.filter(invitation=sent).first()
    analysis = CommentAnalysis.objects.filter(response=answer).first()
    if action == "answer":
        at = NOW + timedelta(minutes=30 * half_hours)
        answers.record_response(sent, score=score, comment=comment, now=at)
    elif answer is None:
        return
    elif action == "edit":
        at = answer.answered_at + timedelta(minutes=1)
        kept = None if pick % 2 else comment
        answers.record_response(sent, score=score, comment=kept, now=at)
    elif action == "read":
        services.enrich_comment(answer.pk)
    elif action == "batch":  # an answer's task: it and the stale ones after it
        services.read_comments_from(answer.pk)
    elif action == "delete":
        answers.delete_response(answer)
    elif analysis is None:
        return
    elif action == "correct":
        label = LABELS[pick % len(LABELS)]
        services.correct_sentiment(analysis, label=label, by=staff, now=NOW)
    elif action == "retheme":
        keys = [key for bit, key in enumerate(THEME_KEYS) if pick >> bit & 1]
        themes = Theme.objects.filter(key__in=keys)
        services.correct_themes(analysis, themes=themes, by=staff, now=NOW)


@hypothesis.settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=STEPS)
# Each door at least once: a reading, a changed score, a correction of each
# kind, a removed comment, a deleted answer.
@hypothesis.example(
    steps=[
        ("answer", 0, 0, 0),
        ("read", 0, 0, 0),
        ("edit", 0, 9, 0),
        ("correct", 0, 2, 0),
        ("retheme", 0, 6, 0),
        ("answer", 1, 1, 0),
        ("read", 1, 0, 0),
        ("delete", 1, 0, 0),
        ("answer", 3, 4, 2),
        ("answer", 4, 7, -3),
        ("batch", 3, 0, 0),
        ("edit", 0, 11, 0),
        ("read", 0, 0, 0),
    ]
)
# A changed score under an unchanged reading, read no more.
@hypothesis.example(steps=[("answer", 2, 0, 0), ("read", 2, 0, 0), ("edit", 2, 9, 0)])
def test_after_random_answers_readings_corrections_and_deletions_the_rollup_is_right(
    hooks, settings, steps
):
    settings.TIME_ZONE = "Asia/Shanghai"
    with transaction.atomic():
        invitations, staff = pool(), UserFactory.create()
        for step in steps:
            play(step, invitations, staff)

        stored = rollup.stored_rows()
        assert stored == rollup.recomputed_rows()
        every_reading = [row for row in stored if row[1] == "all" and row[5] is None]
        assert sum(sum(row[8:]) for row in every_reading) == (
            CommentAnalysis.objects.count()
        )
        rollup.rebuild_comment_rollup()
        assert rollup.stored_rows() == stored
        transaction.set_rollback(True)  # the next example starts empty


# The command


def rebuild_command(*arguments):
    out = StringIO()
    call_command("rebuild_comment_rollup", *arguments, stdout=out)
    return out.getvalue()


def test_the_command_rebuilds_and_prints_the_rows_written(hooks):
    answered(invitation(), score=9, comment=PRICEY)
    answered(invitation(), score=9, comment="ok", now=NOW + timedelta(days=1))
    CommentRollup.objects.all().delete()

    assert rebuild_command() == "Comment rollup rebuilt: 24 rows written.\n"
    assert rollup.stored_rows() == rollup.recomputed_rows()
    assert len(rollup.stored_rows()) == 24


def test_the_command_checks_the_rollup_without_writing(hooks):
    answered(invitation(), score=9, comment="ok")
    assert rebuild_command("--check") == "Comment rollup correct: 6 rows.\n"

    CommentRollup.objects.filter(dimension="stage").update(promoters=3)
    with pytest.raises(CommandError, match="differs from a recomputation in 2 rows"):
        rebuild_command("--check")
    assert CommentRollup.objects.get(dimension="stage").promoters == 3


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--from", "2026-11-20", "--to", "2026-11-19"], "--from must not be after"),
        (["--from", "yesterday"], "'yesterday' is not a date"),
    ],
)
def test_the_command_refuses_bad_days(arguments, message):
    with pytest.raises(CommandError, match=message):
        rebuild_command(*arguments)
