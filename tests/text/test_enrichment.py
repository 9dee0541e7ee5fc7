"""Every comment read once it commits: language, sentiment, themes and their
spans; again when it changes, never twice for nothing; a contradiction goes
to review; staff corrections stand through every re-reading."""

import pytest
from celery.exceptions import Retry
from django.core.management import call_command
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from crm.celery import app
from surveys.models import Invitation, SurveyResponse
from surveys.services import answers
from tests.factories import InvitationFactory, SurveyFactory, UserFactory
from text import analysis, services, tasks
from text.models import CommentAnalysis, CommentTheme, Theme

pytestmark = pytest.mark.django_db

RUDE = "The agent was rude and nobody solved my problem."


@pytest.fixture(autouse=True)
def tasks_run_in_the_test():
    """The tasks queued on commit run at once, in the test's process."""
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = False, False


@pytest.fixture
def invitation() -> Invitation:
    return InvitationFactory.create(
        survey=SurveyFactory.create(kind="nps"), status=Invitation.Status.SENT
    )


def answer(invitation, score, comment, capture) -> SurveyResponse:
    with capture(execute=True):
        return answers.record_response(
            invitation, score=score, comment=comment
        ).response


def themes_of(analysis: CommentAnalysis) -> set[str]:
    return set(
        CommentTheme.objects.filter(analysis=analysis, is_present=True).values_list(
            "theme__key", flat=True
        )
    )


def test_a_comment_is_read_once_its_answer_commits(
    invitation, django_capture_on_commit_callbacks
):
    response = answer(invitation, 2, RUDE, django_capture_on_commit_callbacks)

    analysis = CommentAnalysis.objects.get(response=response)
    assert (analysis.language, analysis.label) == ("en", "negative")
    assert -1 <= analysis.score < 0
    assert themes_of(analysis) == {"staff_attitude", "problem_solved"}
    rude = RUDE.index("rude")
    assert [rude, rude + 4] in [span[:2] for span in analysis.spans]
    assert analysis.needs_review is False


def test_reading_the_same_comment_again_changes_nothing(
    invitation, django_capture_on_commit_callbacks
):
    response = answer(invitation, 2, RUDE, django_capture_on_commit_callbacks)
    first = CommentAnalysis.objects.get(response=response).analysed_at

    services.enrich_comment(response.pk)
    services.enrich_comment(response.pk)

    assert CommentAnalysis.objects.get(response=response).analysed_at == first
    assert CommentTheme.objects.filter(analysis__response=response).count() == 2


def test_an_edited_comment_is_read_again(
    invitation, django_capture_on_commit_callbacks
):
    answer(invitation, 2, RUDE, django_capture_on_commit_callbacks)

    response = answer(
        invitation, 9, "Lovely people, thank you!", django_capture_on_commit_callbacks
    )

    analysis = CommentAnalysis.objects.get(response=response)
    assert analysis.label == "positive"
    assert themes_of(analysis) == {"staff_attitude"}


def test_an_answer_without_a_comment_has_no_reading(
    invitation, django_capture_on_commit_callbacks
):
    response = answer(invitation, 8, "", django_capture_on_commit_callbacks)

    assert services.enrich_comment(response.pk) is None
    assert not CommentAnalysis.objects.exists()


def test_a_top_score_with_an_angry_comment_goes_to_review_until_the_score_agrees(
    invitation, django_capture_on_commit_callbacks
):
    response = answer(invitation, 10, RUDE, django_capture_on_commit_callbacks)
    assert CommentAnalysis.objects.get(response=response).needs_review is True
    assert SurveyResponse.objects.get(pk=response.pk).score == 10

    answer(invitation, 3, RUDE, django_capture_on_commit_callbacks)

    assert CommentAnalysis.objects.get(response=response).needs_review is False


def test_a_low_score_with_praise_goes_to_review(
    invitation, django_capture_on_commit_callbacks
):
    response = answer(
        invitation,
        1,
        "Brilliant service, the agent was wonderful and very helpful.",
        django_capture_on_commit_callbacks,
    )

    assert CommentAnalysis.objects.get(response=response).needs_review is True


def test_staff_corrections_stand_through_a_new_dictionary(
    invitation, django_capture_on_commit_callbacks
):
    response = answer(invitation, 2, RUDE, django_capture_on_commit_callbacks)
    analysis = CommentAnalysis.objects.get(response=response)
    staff = UserFactory.create(username="li.na", groups=["Support"])
    billing = Theme.objects.get(key="billing")
    services.correct_sentiment(analysis, label="mixed", by=staff, now=timezone.now())
    services.correct_themes(
        analysis,
        themes=[Theme.objects.get(key="staff_attitude"), billing],
        by=staff,
        now=timezone.now(),
    )

    Theme.objects.filter(key="problem_solved").update(keywords_en="nobody\nsolved")
    assert services.retag_all() == 1

    analysis.refresh_from_db()
    assert (analysis.label, analysis.sentiment) == ("negative", "mixed")
    assert themes_of(analysis) == {"staff_attitude", "billing"}


def test_a_new_theme_tags_the_comments_already_read(
    invitation, django_capture_on_commit_callbacks
):
    response = answer(
        invitation, 5, "No parking near the branch.", django_capture_on_commit_callbacks
    )
    Theme.objects.create(key="parking", name_en="parking", keywords_en="parking")

    with django_capture_on_commit_callbacks(execute=True):
        services.dictionary_changed()

    assert themes_of(CommentAnalysis.objects.get(response=response)) == {"parking"}


def test_a_failing_analysis_never_loses_the_answer(
    invitation, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(comment, *, themes):
        raise RuntimeError("the analyser broke")

    monkeypatch.setattr(services, "analyse", broken)

    # The task asks to run again later (with backoff), after the answer
    # committed.
    with pytest.raises(Retry):
        answer(invitation, 2, RUDE, django_capture_on_commit_callbacks)

    assert SurveyResponse.objects.get(invitation=invitation).comment == RUDE
    assert not CommentAnalysis.objects.exists()


def test_enrich_comments_reads_what_is_missing_and_is_safe_to_run_twice(
    invitation, django_capture_on_commit_callbacks, capsys
):
    with django_capture_on_commit_callbacks(execute=False):
        answers.record_response(invitation, score=2, comment=RUDE)
    assert not CommentAnalysis.objects.exists()

    call_command("enrich_comments", "--batch-size", "1")
    first = capsys.readouterr().out
    call_command("enrich_comments")
    second = capsys.readouterr().out

    assert CommentAnalysis.objects.count() == 1
    assert first.splitlines()[-1] == "Enriched 1 comments."
    assert "1/1 comments" in first
    assert second.splitlines()[-1] == "Enriched 0 comments."


def test_a_broker_out_of_reach_loses_no_answer_and_the_sweep_reads_it_later(
    invitation, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def unreachable(*args, **kwargs):
        raise KombuOperationalError("Error 111 connecting to 127.0.0.1:1.")

    monkeypatch.setattr(tasks.enrich_comment_task, "delay", unreachable)

    response = answer(invitation, 2, RUDE, django_capture_on_commit_callbacks)

    assert SurveyResponse.objects.get(pk=response.pk).comment == RUDE
    assert not CommentAnalysis.objects.exists()
    assert "the sweep will read it" in caplog.text
    assert RUDE not in caplog.text
    assert services.read_missed_comments() == 1
    assert CommentAnalysis.objects.get(response=response).label == "negative"
    assert services.read_missed_comments() == 0


def test_the_sweep_reads_again_a_comment_edited_since_its_reading(
    invitation, django_capture_on_commit_callbacks, monkeypatch
):
    answer(invitation, 2, RUDE, django_capture_on_commit_callbacks)
    monkeypatch.setattr(tasks.enrich_comment_task, "delay", lambda *args: None)
    response = answer(
        invitation, 9, "Lovely people, thank you!", django_capture_on_commit_callbacks
    )
    assert CommentAnalysis.objects.get(response=response).label == "negative"

    assert services.read_missed_comments() == 1

    assert CommentAnalysis.objects.get(response=response).label == "positive"
    assert services.read_missed_comments() == 0


def test_one_comment_the_analysis_cannot_read_does_not_stop_the_sweep(
    django_capture_on_commit_callbacks, monkeypatch, caplog
):
    first, second = (
        InvitationFactory.create(
            survey=SurveyFactory.create(kind="nps"), status=Invitation.Status.SENT
        )
        for _ in range(2)
    )
    with django_capture_on_commit_callbacks(execute=False):
        broken = answers.record_response(first, score=2, comment="BREAK").response
        fine = answers.record_response(second, score=2, comment=RUDE).response
    real = analysis.analyse

    def breaks_on_one(comment, *, themes):
        if comment == "BREAK":
            raise RuntimeError("the analyser broke")
        return real(comment, themes=themes)

    monkeypatch.setattr(services, "analyse", breaks_on_one)

    services.read_missed_comments()

    assert not CommentAnalysis.objects.filter(response=broken).exists()
    assert CommentAnalysis.objects.filter(response=fine).exists()
    assert f"Could not read the comment of answer {broken.pk}." in caplog.text
    assert "BREAK" not in caplog.text
