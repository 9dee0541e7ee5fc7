import threading
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import hypothesis
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from feedback.models import Case
from surveys.models import ScoreRollup, SurveyResponse, scale_of
from surveys.services import answers, rollup
from tests.factories import (
    CompanyFactory,
    CustomerFactory,
    InteractionFactory,
    InvitationFactory,
    SurveyFactory,
    TouchpointFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
DAY = date(2026, 11, 18)


@pytest.fixture
def no_cases(settings):
    """Answers open no cases: a case would protect its answer from deletion."""
    settings.HOOKS = {**settings.HOOKS, "response_recorded": []}


def invitation(
    *,
    survey=None,
    channel="chat",
    touchpoint=None,
    stage="usage",
    segment="enterprise",
    with_interaction=True,
):
    customer = CustomerFactory.create(
        segment=segment, stage=stage, company=CompanyFactory.create(segment="smb")
    )
    interaction = None
    if with_interaction:
        interaction = InteractionFactory.create(
            customer=customer,
            channel=channel,
            touchpoint=touchpoint or TouchpointFactory.create(stage=stage),
        )
    return InvitationFactory.create(
        survey=survey or SurveyFactory.create(kind="nps"),
        customer=customer,
        interaction=interaction,
        status="sent",
        sent_at=NOW - timedelta(days=30),
        expires_at=None,
    )


def rows():
    """Every row of the table, zero counts included, in key order."""
    return sorted(
        ScoreRollup.objects.values_list(
            "kind",
            "dimension",
            "value",
            "day",
            "survey_id",
            "promoters",
            "passives",
            "detractors",
        )
    )


def six_rows(answer, counts, day=DAY):
    """The six rows of an answer's survey and values, with these counts."""
    return [
        ("nps", "all", "", day, answer.survey_id, *counts),
        ("nps", "channel", answer.channel, day, answer.survey_id, *counts),
        (
            "nps",
            "journey",
            f"{answer.stage}/{answer.touchpoint_id}",
            day,
            answer.survey_id,
            *counts,
        ),
        ("nps", "segment", answer.segment, day, answer.survey_id, *counts),
        ("nps", "stage", answer.stage, day, answer.survey_id, *counts),
        (
            "nps",
            "touchpoint",
            str(answer.touchpoint_id),
            day,
            answer.survey_id,
            *counts,
        ),
    ]


def test_an_answer_counts_once_in_six_rows(no_cases):
    touchpoint = TouchpointFactory.create(stage="purchase")
    sent = invitation(touchpoint=touchpoint, stage="purchase", segment="smb")

    answers.record_response(sent, score=10, now=NOW)

    survey = sent.survey_id
    assert rows() == [
        ("nps", "all", "", DAY, survey, 1, 0, 0),
        ("nps", "channel", "chat", DAY, survey, 1, 0, 0),
        ("nps", "journey", f"purchase/{touchpoint.pk}", DAY, survey, 1, 0, 0),
        ("nps", "segment", "smb", DAY, survey, 1, 0, 0),
        ("nps", "stage", "purchase", DAY, survey, 1, 0, 0),
        ("nps", "touchpoint", str(touchpoint.pk), DAY, survey, 1, 0, 0),
    ]


def test_an_answer_without_an_interaction_counts_under_no_channel_and_touchpoint(
    no_cases,
):
    sent = invitation(with_interaction=False, stage="advocacy", segment="")

    answers.record_response(sent, score=7, now=NOW)

    survey = sent.survey_id
    assert rows() == [
        ("nps", "all", "", DAY, survey, 0, 1, 0),
        ("nps", "channel", "", DAY, survey, 0, 1, 0),
        ("nps", "journey", "advocacy/", DAY, survey, 0, 1, 0),
        # The customer has no segment: the company's is frozen on the answer.
        ("nps", "segment", "smb", DAY, survey, 0, 1, 0),
        ("nps", "stage", "advocacy", DAY, survey, 0, 1, 0),
        ("nps", "touchpoint", "", DAY, survey, 0, 1, 0),
    ]


def test_answers_of_the_same_day_and_survey_add_up(no_cases):
    survey = SurveyFactory.create(kind="nps")
    touchpoint = TouchpointFactory.create()
    for score in [10, 9, 8, 0]:
        sent = invitation(survey=survey, touchpoint=touchpoint)
        answers.record_response(sent, score=score, now=NOW)

    answer = SurveyResponse.objects.first()
    assert rows() == six_rows(answer, (2, 1, 1))


def test_a_changed_band_moves_the_answer(no_cases):
    sent = invitation()
    answers.record_response(sent, score=10, now=NOW)

    answers.record_response(sent, score=3, now=NOW + timedelta(hours=1))

    assert rows() == six_rows(SurveyResponse.objects.get(), (0, 0, 1))


def test_a_change_within_the_band_writes_nothing_to_the_rollup(no_cases):
    sent = invitation()
    answers.record_response(sent, score=9, now=NOW)

    with CaptureQueriesContext(connection) as queries:
        changed = answers.record_response(sent, score=10, now=NOW + timedelta(hours=1))

    assert changed.changed
    assert SurveyResponse.objects.get().score == 10
    assert [q for q in queries if "surveys_scorerollup" in q["sql"]] == []
    assert rows() == six_rows(SurveyResponse.objects.get(), (1, 0, 0))


def test_a_refused_change_writes_nothing_to_the_rollup(no_cases):
    sent = invitation()
    answers.record_response(sent, score=9, now=NOW)

    late = answers.record_response(sent, score=0, now=NOW + timedelta(days=2))

    assert not late.changed
    assert rows() == six_rows(SurveyResponse.objects.get(), (1, 0, 0))


def test_deleting_an_answer_subtracts_it(no_cases):
    sent = invitation()
    kept = invitation(survey=sent.survey, touchpoint=sent.interaction.touchpoint)
    answers.record_response(sent, score=2, now=NOW)
    answers.record_response(kept, score=2, now=NOW)
    answer = SurveyResponse.objects.get(invitation=sent)

    answers.delete_response(answer)

    assert list(SurveyResponse.objects.values_list("invitation", flat=True)) == [
        kept.pk
    ]
    assert rows() == six_rows(answer, (0, 0, 1))


def test_deleting_subtracts_the_band_the_answer_has_now(no_cases):
    sent = invitation()
    answers.record_response(sent, score=2, now=NOW)
    stale = SurveyResponse.objects.get()
    answers.record_response(sent, score=10, now=NOW + timedelta(minutes=5))

    answers.delete_response(stale)  # loaded while still a detractor

    assert SurveyResponse.objects.count() == 0
    assert rows() == six_rows(stale, (0, 0, 0))


def test_deleting_an_answer_already_deleted_changes_nothing(no_cases):
    sent = invitation()
    answers.record_response(sent, score=2, now=NOW)
    answer = SurveyResponse.objects.get()
    answers.delete_response(answer)

    answers.delete_response(answer)

    assert rows() == six_rows(answer, (0, 0, 0))


def test_an_answer_with_a_case_is_not_deleted_and_stays_counted():
    sent = invitation()
    answers.record_response(sent, score=2, now=NOW)  # opens a case
    answer = SurveyResponse.objects.get()
    assert Case.objects.filter(response=answer).count() == 1

    with pytest.raises(ProtectedError):
        answers.delete_response(answer)

    assert SurveyResponse.objects.count() == 1
    assert rows() == six_rows(answer, (0, 0, 1))


def test_the_day_is_the_date_in_the_time_zone(no_cases, settings):
    settings.TIME_ZONE = "Asia/Shanghai"  # UTC+8: local midnight is 16:00 UTC
    survey = SurveyFactory.create(kind="nps")
    before, after = invitation(survey=survey), invitation(survey=survey)

    answers.record_response(
        before, score=9, now=datetime(2026, 11, 18, 15, 59, tzinfo=UTC)
    )
    answers.record_response(
        after, score=0, now=datetime(2026, 11, 18, 16, 30, tzinfo=UTC)
    )

    assert list(
        ScoreRollup.objects.filter(dimension="all")
        .order_by("day")
        .values_list("day", "promoters", "detractors")
    ) == [(date(2026, 11, 18), 1, 0), (date(2026, 11, 19), 0, 1)]
    snapshot = rows()
    assert rollup.rebuild_rollup() == 12
    assert rows() == snapshot


def test_a_rebuild_recomputes_the_counts_from_the_answers(no_cases):
    survey = SurveyFactory.create(kind="nps")
    touchpoint = TouchpointFactory.create()
    for score in [10, 7, 1]:
        sent = invitation(survey=survey, touchpoint=touchpoint)
        answers.record_response(sent, score=score, now=NOW)
    ScoreRollup.objects.update(promoters=50, passives=0, detractors=0)
    ScoreRollup.objects.create(
        kind="nps", dimension="all", value="", day=DAY, survey=SurveyFactory.create()
    )

    written = rollup.rebuild_rollup()

    assert written == 6
    assert rows() == six_rows(SurveyResponse.objects.first(), (1, 1, 1))


def test_a_rebuild_of_some_days_leaves_the_others_alone(no_cases):
    survey = SurveyFactory.create(kind="nps")
    touchpoint = TouchpointFactory.create()
    for days in [0, 1, 2]:
        sent = invitation(survey=survey, touchpoint=touchpoint)
        answers.record_response(sent, score=9, now=NOW + timedelta(days=days))
    ScoreRollup.objects.update(promoters=7)

    written = rollup.rebuild_rollup(
        start=DAY + timedelta(days=1), end=DAY + timedelta(days=1)
    )

    assert written == 6
    assert sorted(
        ScoreRollup.objects.filter(dimension="all").values_list("day", "promoters")
    ) == [(DAY, 7), (DAY + timedelta(days=1), 1), (DAY + timedelta(days=2), 7)]
    assert ScoreRollup.objects.filter(promoters=1).count() == 6


def test_a_rebuild_of_days_near_midnight_takes_the_local_day(no_cases, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    survey = SurveyFactory.create(kind="nps")
    touchpoint = TouchpointFactory.create()
    for at in [(18, 15, 59), (18, 16, 0), (19, 15, 59), (19, 16, 0)]:
        sent = invitation(survey=survey, touchpoint=touchpoint)
        answers.record_response(sent, score=9, now=datetime(2026, 11, *at, tzinfo=UTC))
    ScoreRollup.objects.update(promoters=0)

    assert rollup.rebuild_rollup(start=date(2026, 11, 19), end=date(2026, 11, 19)) == 6

    assert sorted(
        ScoreRollup.objects.filter(dimension="all").values_list("day", "promoters")
    ) == [(date(2026, 11, 18), 0), (date(2026, 11, 19), 2), (date(2026, 11, 20), 0)]


def test_stored_and_recomputed_rows_agree_and_skip_zero_counts(no_cases):
    sent = invitation()
    gone = invitation(survey=sent.survey, touchpoint=sent.interaction.touchpoint)
    answers.record_response(sent, score=8, now=NOW)
    answers.record_response(gone, score=0, now=NOW + timedelta(days=1))
    answers.delete_response(SurveyResponse.objects.get(invitation=gone))

    expected = six_rows(SurveyResponse.objects.get(), (0, 1, 0))
    assert rollup.stored_rows() == expected
    assert rollup.recomputed_rows() == expected


# The rollup equals a recomputation, whatever happens to the answers.

POOL_SIZE = 6
STEPS = st.lists(
    st.tuples(
        st.sampled_from(["answer", "edit", "delete"]),
        st.integers(0, POOL_SIZE - 1),
        st.integers(0, 10),  # picks a score on the invitation's scale
        st.integers(-96, 96),  # half hours from NOW: four local days and more
    ),
    max_size=30,
)


def pool():
    """Invitations of three kinds that share some rows and not others."""
    nps, csat, ces = (
        SurveyFactory.create(kind=kind) for kind in ["nps", "csat", "ces"]
    )
    chat = TouchpointFactory.create(stage="usage")
    demo = TouchpointFactory.create(stage="decision")
    return [
        invitation(survey=nps, touchpoint=chat, segment="smb"),
        invitation(survey=nps, touchpoint=chat, segment="enterprise"),
        invitation(survey=nps, channel="email", touchpoint=demo, stage="decision"),
        invitation(survey=nps, with_interaction=False, segment=""),
        invitation(survey=csat, touchpoint=chat),
        invitation(survey=ces, channel="phone", touchpoint=demo, stage="decision"),
    ]


def play(step, invitations):
    action, index, pick, half_hours = step
    sent = invitations[index]
    scale = scale_of(sent.survey.kind)
    score = scale[pick % len(scale)]
    answer = SurveyResponse.objects.filter(invitation=sent).first()
    if action == "answer":
        at = NOW + timedelta(minutes=30 * half_hours)
        answers.record_response(sent, score=score, now=at)
    elif action == "edit" and answer is not None:
        at = answer.answered_at + timedelta(minutes=1)
        answers.record_response(sent, score=score, comment="changed", now=at)
    elif action == "delete" and answer is not None:
        answers.delete_response(answer)


@hypothesis.settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=STEPS)
def test_after_random_answers_edits_and_deletions_the_rollup_equals_a_recomputation(
    no_cases, settings, steps
):
    settings.TIME_ZONE = "Asia/Shanghai"
    with transaction.atomic():
        invitations = pool()
        for step in steps:
            play(step, invitations)

        stored = rollup.stored_rows()
        assert stored == rollup.recomputed_rows()
        assert sum(row[5] + row[6] + row[7] for row in stored) == (
            6 * SurveyResponse.objects.count()
        )
        rollup.rebuild_rollup()
        assert rollup.stored_rows() == stored
        transaction.set_rollback(True)  # the next example starts empty


# serialized_rollback: the flush after the test must not take the roles and
# root causes that migrations made from the tests that run later.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_answers_and_rebuilds_leave_the_rollup_equal_to_a_recomputation(
    no_cases,
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent writers need PostgreSQL")
    survey = SurveyFactory.create(kind="nps")
    touchpoints = [TouchpointFactory.create() for _ in range(3)]
    invitations = [
        invitation(
            survey=survey,
            touchpoint=touchpoints[n % 3],
            segment=["smb", "enterprise"][n % 2],
            channel=["chat", "email"][n % 4 // 2],
        )
        for n in range(12)
    ]
    start = threading.Barrier(len(invitations) + 2)
    errors: list[BaseException] = []

    def answer(n: int) -> None:
        try:
            start.wait()
            sent = invitations[n]
            answers.record_response(sent, score=[10, 3, 8][n % 3], now=NOW)
            answers.record_response(sent, score=[2, 9, 7][n % 3], now=NOW)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    def rebuild(days: dict[str, date]) -> None:
        try:
            start.wait()
            for _ in range(3):
                rollup.rebuild_rollup(**days)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=answer, args=[n]) for n in range(12)] + [
        threading.Thread(target=rebuild, args=[{}]),
        threading.Thread(target=rebuild, args=[{"start": DAY, "end": DAY}]),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert rollup.stored_rows() == rollup.recomputed_rows()
    assert list(
        ScoreRollup.objects.filter(dimension="all").values_list(
            "promoters", "passives", "detractors"
        )
    ) == [(4, 4, 4)]


# The command


def rebuild_command(*arguments):
    out = StringIO()
    call_command("rebuild_metrics_rollup", *arguments, stdout=out)
    return out.getvalue()


def test_the_command_rebuilds_and_prints_the_rows_written(no_cases):
    answers.record_response(invitation(), score=9, now=NOW)
    answers.record_response(invitation(), score=9, now=NOW + timedelta(days=1))
    ScoreRollup.objects.all().delete()

    assert rebuild_command() == "Score rollup rebuilt: 12 rows written.\n"
    assert rollup.stored_rows() == rollup.recomputed_rows()
    assert len(rollup.stored_rows()) == 12


def test_the_command_rebuilds_the_days_asked_for(no_cases):
    for days in [0, 1, 2]:
        answers.record_response(invitation(), score=9, now=NOW + timedelta(days=days))
    ScoreRollup.objects.all().delete()

    output = rebuild_command("--from", "2026-11-19", "--to", "2026-11-20")

    assert output == "Score rollup rebuilt: 12 rows written.\n"
    assert sorted(ScoreRollup.objects.values_list("day", flat=True).distinct()) == [
        date(2026, 11, 19),
        date(2026, 11, 20),
    ]


def test_the_command_checks_the_rollup_without_writing(no_cases):
    answers.record_response(invitation(), score=9, now=NOW)
    assert rebuild_command("--check") == "Score rollup correct: 6 rows.\n"

    ScoreRollup.objects.filter(dimension="stage").update(promoters=3)
    with pytest.raises(CommandError, match="differs from a recomputation in 2 rows"):
        rebuild_command("--check")
    assert ScoreRollup.objects.get(dimension="stage").promoters == 3


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


# Bulk writers rebuild what they wrote


def test_the_demo_data_leaves_the_rollup_equal_to_a_recomputation():
    call_command("seed_demo", password="x-demo-password", stdout=StringIO())

    stored = rollup.stored_rows()
    assert stored == rollup.recomputed_rows()
    assert sum(row[5] + row[6] + row[7] for row in stored) == (
        6 * SurveyResponse.objects.count()
    )


def test_the_benchmark_data_leaves_the_rollup_equal_to_a_recomputation():
    call_command("seed_bench", customers=40, stdout=StringIO())

    stored = rollup.stored_rows()
    assert SurveyResponse.objects.count() > 0
    assert stored == rollup.recomputed_rows()
    assert sum(row[5] + row[6] + row[7] for row in stored) == (
        6 * SurveyResponse.objects.count()
    )
