"""The theme dictionary and the comments' readings in the admin: managers
edit themes (past comments are tagged again), staff correct a reading and
clear the review queue, and the list's queries do not grow with its rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.celery import app
from surveys.models import Invitation
from surveys.services import answers
from tests.factories import InvitationFactory, SurveyFactory
from text.models import CommentAnalysis, CommentTheme, Theme

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tasks_run_in_the_test():
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = False, False


def answered(comment: str, score: int, capture) -> CommentAnalysis:
    invitation = InvitationFactory.create(
        survey=SurveyFactory.create(kind="nps"), status=Invitation.Status.SENT
    )
    with capture(execute=True):
        answers.record_response(invitation, score=score, comment=comment)
    return CommentAnalysis.objects.get(response__invitation=invitation)


def test_a_manager_adds_a_theme_and_past_comments_are_tagged(
    client, manager, django_capture_on_commit_callbacks
):
    analysis = answered(
        "There is never any parking.", 4, django_capture_on_commit_callbacks
    )
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:text_theme_add"),
            {
                "name_en": "Parking",
                "name_zh": "停车",
                "key": "parking",
                "keywords_en": "parking\ncar park",
                "keywords_zh": "停车",
                "is_active": "on",
            },
        )

    assert response.status_code == 302
    assert set(
        CommentTheme.objects.filter(analysis=analysis).values_list(
            "theme__key", flat=True
        )
    ) == {"parking"}


def test_support_staff_read_themes_but_may_not_change_them(client, support):
    client.force_login(support)

    assert client.get(reverse("admin:text_theme_changelist")).status_code == 200
    assert client.get(reverse("admin:text_theme_add")).status_code == 403
    theme = Theme.objects.get(key="billing")
    response = client.post(
        reverse("admin:text_theme_change", args=[theme.pk]),
        {"name_en": "Invoices", "keywords_en": "invoice", "is_active": "on"},
    )
    assert response.status_code == 403
    assert Theme.objects.get(key="billing").name_en == "billing"


def test_staff_correct_a_contradiction_and_it_leaves_the_queue(
    client, support, django_capture_on_commit_callbacks
):
    analysis = answered(
        "Rude agent and nothing was fixed.", 10, django_capture_on_commit_callbacks
    )
    assert analysis.needs_review is True
    client.force_login(support)
    queue = reverse("admin:text_commentanalysis_changelist") + "?needs_review__exact=1"
    assert "Rude agent" in client.get(queue).content.decode()

    response = client.post(
        reverse("admin:text_commentanalysis_change", args=[analysis.pk]),
        {
            "corrected_label": "positive",
            "themes": [Theme.objects.get(key="staff_attitude").pk],
        },
    )

    assert response.status_code == 302
    analysis.refresh_from_db()
    assert (analysis.sentiment, analysis.corrected_by) == ("positive", support)
    assert analysis.reviewed_at is not None
    assert set(
        CommentTheme.objects.filter(analysis=analysis, is_present=True).values_list(
            "theme__key", flat=True
        )
    ) == {"staff_attitude"}


def test_a_reading_shows_its_comment_with_the_words_marked_and_escaped(
    client, support, django_capture_on_commit_callbacks
):
    analysis = answered(
        "<b>Terrible</b> delivery", 2, django_capture_on_commit_callbacks
    )
    client.force_login(support)

    page = client.get(
        reverse("admin:text_commentanalysis_change", args=[analysis.pk])
    ).content.decode()

    assert "&lt;b&gt;" in page
    assert '<mark class="comment-negative">Terrible</mark>' in page
    assert '<mark class="comment-theme">delivery</mark>' in page


def test_the_list_runs_the_same_queries_for_one_row_or_twenty(
    client, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    url = reverse("admin:text_commentanalysis_changelist")
    answered("Slow delivery.", 3, django_capture_on_commit_callbacks)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for number in range(19):
        answered(f"Slow delivery {number}.", 3, django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as twenty:
        page = client.get(url)

    assert page.status_code == 200
    assert len(twenty) == len(one)


def test_as_analysed_takes_a_correction_back_in_one_event(
    client, support, manager, django_capture_on_commit_callbacks
):
    from tests.factories import SubscriptionFactory
    from webhooks.models import Event

    SubscriptionFactory.create(owner=manager, event_types=["response.analysed"])
    analysis = answered("Rude agent.", 2, django_capture_on_commit_callbacks)
    url = reverse("admin:text_commentanalysis_change", args=[analysis.pk])
    client.force_login(support)
    themes = [Theme.objects.get(key="billing").pk]
    client.post(url, {"corrected_label": "positive", "themes": themes})
    events = Event.objects.count()

    response = client.post(url, {"corrected_label": "", "themes": themes})

    assert response.status_code == 302
    analysis.refresh_from_db()
    assert (analysis.corrected_label, analysis.sentiment) == ("", "negative")
    assert Event.objects.count() == events + 1


def test_a_reading_of_an_older_comment_marks_nothing(
    client, support, django_capture_on_commit_callbacks
):
    analysis = answered("Terrible delivery", 2, django_capture_on_commit_callbacks)
    analysis.response.__class__.objects.filter(pk=analysis.pk).update(
        comment="All good now, thanks"
    )
    client.force_login(support)

    page = client.get(
        reverse("admin:text_commentanalysis_change", args=[analysis.pk])
    ).content.decode()

    assert "All good now, thanks" in page
    assert "<mark" not in page
