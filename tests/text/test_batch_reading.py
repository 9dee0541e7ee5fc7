"""An answer's task reads its comment and the stale comments after it in one
transaction (a few statements for the whole batch), so that a burst of
answers costs one commit per batch, not a dozen statements per comment: the
later answers' tasks then find their reading done. An answer another worker
holds is left to it, without waiting."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from surveys.models import Invitation, SurveyResponse
from surveys.services import answers
from tests.factories import InvitationFactory, SurveyFactory
from text import analysis, services, tasks
from text.models import CommentAnalysis, CommentTheme, comment_digest

LATE = "The delivery was late and nobody answered my calls."
KIND = "Friendly staff, problem solved quickly."
RUDE = "The agent was rude and nobody solved my problem."


def unread_answers(count: int) -> list[SurveyResponse]:
    """Answers whose tasks have not run (their commit callbacks dropped)."""
    survey = SurveyFactory.create(kind="nps")
    comments = [LATE, KIND, RUDE]
    recorded = []
    for number in range(count):
        invitation = InvitationFactory.create(
            survey=survey, status=Invitation.Status.SENT
        )
        with transaction.atomic():
            recorded.append(
                answers.record_response(
                    invitation, score=number % 11, comment=comments[number % 3]
                ).response
            )
    return recorded


@pytest.fixture
def no_queued_tasks(monkeypatch):
    monkeypatch.setattr(tasks.enrich_comment_task, "delay", lambda *args: None)


@pytest.mark.django_db
def test_an_answers_task_reads_the_comments_after_it_and_theirs_find_them_read(
    no_queued_tasks,
):
    first, second, third = unread_answers(3)

    assert tasks.enrich_comment_task(second.pk) == 2
    assert set(CommentAnalysis.objects.values_list("pk", flat=True)) == {
        second.pk,
        third.pk,
    }
    assert tasks.enrich_comment_task(third.pk) == 0
    # The answer before is its own task's business.
    assert tasks.enrich_comment_task(first.pk) == 1
    assert CommentAnalysis.objects.count() == 3


@pytest.mark.django_db
def test_a_batch_costs_the_same_statements_whatever_its_size(no_queued_tasks):
    """Three answers or twelve: the same statements, each taking them all."""

    def statements(count: int) -> int:
        first = unread_answers(count)[0]  # after every answer read before
        with CaptureQueriesContext(connection) as queries:
            assert services.read_comments_from(first.pk) == count
        return len(queries)

    assert statements(3) == statements(12)
    # Themes were written too, in the same statements.
    assert CommentTheme.objects.filter(analysis__response__comment=LATE).exists()


@pytest.mark.django_db
def test_a_removed_comment_takes_its_reading_out_through_the_task(no_queued_tasks):
    [answer] = unread_answers(1)
    tasks.enrich_comment_task(answer.pk)
    assert CommentAnalysis.objects.filter(pk=answer.pk).exists()

    with transaction.atomic():
        answers.record_response(answer.invitation, score=9, comment="")

    assert tasks.enrich_comment_task(answer.pk) == 1
    assert not CommentAnalysis.objects.filter(pk=answer.pk).exists()


@pytest.mark.django_db
def test_one_broken_comment_in_a_batch_is_left_for_the_sweep(
    no_queued_tasks, monkeypatch, caplog
):
    first, broken, last = unread_answers(3)
    real = analysis.analyse

    def breaks_on_one(comment, *, themes):
        if comment == broken.comment:
            raise RuntimeError("the analyser broke")
        return real(comment, themes=themes)

    monkeypatch.setattr(services, "analyse", breaks_on_one)

    assert services.read_comments_from(first.pk) == 2

    assert set(CommentAnalysis.objects.values_list("pk", flat=True)) == {
        first.pk,
        last.pk,
    }
    assert f"Could not read the comment of answer {broken.pk}." in caplog.text
    # Its own task fails, for Celery to try again later; the batch it took
    # with it is read.
    later = unread_answers(1)[0]
    with pytest.raises(services.UnreadableCommentError):
        services.read_comments_from(broken.pk)
    assert CommentAnalysis.objects.filter(pk=later.pk).exists()


# serialized_rollback: the flush after the test must not take the roles and
# root causes that migrations made from the tests that run later.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_answer_another_worker_holds_is_left_to_it_without_waiting(
    no_queued_tasks,
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent workers need PostgreSQL")
    first, held, last = unread_answers(3)
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                SurveyResponse.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    worker = threading.Thread(target=other_worker)
    worker.start()
    try:
        assert locked.wait(timeout=30)
        assert services.read_comments_from(first.pk) == 2
        assert services.read_comments_from(held.pk) == 0
        assert set(CommentAnalysis.objects.values_list("pk", flat=True)) == {
            first.pk,
            last.pk,
        }
    finally:
        release.set()
        worker.join()

    # Its holder let go without reading it: its own task, run again, does.
    assert services.read_comments_from(held.pk) == 1
    assert CommentAnalysis.objects.count() == 3


@pytest.mark.django_db
def test_an_edit_stamped_before_a_reading_of_the_old_comment_is_read_again(
    no_queued_tasks,
):
    """A batch read the old comment while the edit waited on its lock: the
    edit's time comes before the reading's, yet its comment is new."""
    [answer] = unread_answers(1)
    tasks.enrich_comment_task(answer.pk)
    reading = CommentAnalysis.objects.get(pk=answer.pk)
    SurveyResponse.objects.filter(pk=answer.pk).update(
        comment=KIND, updated_at=reading.analysed_at - timedelta(seconds=1)
    )

    assert tasks.enrich_comment_task(answer.pk) == 1
    reading.refresh_from_db()
    assert reading.comment_digest == comment_digest(KIND)
    assert tasks.enrich_comment_task(answer.pk) == 0
