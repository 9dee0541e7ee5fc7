"""The answers list shows each comment with the words behind its reading
marked, its sentiment and its themes, in the same number of queries for
any page size; the CSV follows the comment filters."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.feedback.dashboard_helpers import ANSWERS, CSV_URL, NOW, answer, read_csv
from text.models import CommentAnalysis, CommentTheme, Theme, comment_digest

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]

DAY = date(2026, 11, 16)


@pytest.fixture
def waiting(db) -> Theme:
    return Theme.objects.create(key="test-waiting", name_en="Waiting", name_zh="等待")


@pytest.fixture
def billing(db) -> Theme:
    return Theme.objects.create(key="test-billing", name_en="Billing", name_zh="账单")


def read_comment(response, *, label, spans, themes=(), corrected=""):
    analysis = CommentAnalysis.objects.create(
        response=response,
        comment_digest=comment_digest(response.comment),
        dictionary_digest="test",
        language="en",
        score=-0.5,
        label=label,
        corrected_label=corrected,
        spans=spans,
        analysed_at=response.answered_at,
    )
    for theme, theme_spans, is_present in themes:
        CommentTheme.objects.create(
            analysis=analysis,
            theme=theme,
            spans=theme_spans,
            source="analysis",
            is_present=is_present,
        )
    return response


def test_a_comment_is_shown_with_its_words_marked_its_sentiment_and_themes(
    client, manager, nps_survey, waiting, billing
):
    comment = "Not happy: the wait was <long> & the bill wrong"
    read_comment(
        answer(nps_survey, 2, comment=comment),
        label="negative",
        # "Not happy" against the reading.
        spans=[[0, 9, -0.6]],
        themes=[
            (waiting, [[15, 19, 0]], True),
            # Taken away by staff: neither marked nor named.
            (billing, [[39, 43, 0]], False),
        ],
    )
    client.force_login(manager)

    page = client.get(ANSWERS)
    html = page.content.decode()

    assert (
        '<span class="highlighted"><mark class="comment-negative">Not happy</mark>: '
        'the <mark class="comment-theme">wait</mark> was &lt;long&gt; &amp; the bill '
        "wrong</span>"
    ) in html
    assert '<span class="sentiment sentiment-negative"' in html
    assert '<span class="theme-tag">Waiting</span>' in html
    assert '<span class="theme-tag">Billing</span>' not in html


def test_a_corrected_sentiment_is_the_one_shown_and_theme_names_follow_the_language(
    client, manager, nps_survey, waiting
):
    read_comment(
        answer(nps_survey, 9, comment="Waited, fine"),
        label="negative",
        corrected="positive",
        spans=[],
        themes=[(waiting, [[0, 6, 0]], True)],
    )
    client.force_login(manager)

    page = client.get(ANSWERS, HTTP_ACCEPT_LANGUAGE="zh-hans")
    [(_response, reading)] = page.context["rows"]

    assert reading.sentiment == "positive"
    assert reading.themes == ["等待"]


def test_a_reading_of_an_older_comment_is_not_shown_on_the_new_one(
    client, manager, nps_survey
):
    response = read_comment(
        answer(nps_survey, 2, comment="Not happy at all"),
        label="negative",
        spans=[[0, 9, -0.6]],
    )
    response.comment = "Fine now"
    response.save(update_fields=["comment"])
    client.force_login(manager)

    html = client.get(ANSWERS).content.decode()

    assert '<td class="comment">Fine now</td>' in html
    assert "<mark" not in html


def test_an_answer_without_a_reading_shows_its_comment_as_it_is(
    client, manager, nps_survey
):
    answer(nps_survey, 7, comment="<b>plain</b>")
    client.force_login(manager)

    html = client.get(ANSWERS).content.decode()

    assert '<td class="comment">&lt;b&gt;plain&lt;/b&gt;</td>' in html


def test_the_answers_list_reads_comments_in_a_constant_number_of_queries(
    client, manager, nps_survey, waiting, billing, django_assert_num_queries
):
    def make(count: int, start: int) -> None:
        for number in range(start, start + count):
            read_comment(
                answer(
                    nps_survey,
                    number % 11,
                    day=DAY + timedelta(hours=number),
                    comment="slow bill",
                ),
                label="negative",
                spans=[[0, 4, -0.4]],
                themes=[(waiting, [[0, 4, 0]], True), (billing, [[5, 9, 0]], True)],
            )

    make(2, 0)
    client.force_login(manager)
    with CaptureQueriesContext(connection) as few:
        small = client.get(ANSWERS)
    make(40, 2)

    with django_assert_num_queries(len(few.captured_queries)):
        large = client.get(ANSWERS)

    assert len(small.context["rows"]) == 2
    assert len(large.context["rows"]) == 42
    assert all(
        reading.themes == ["Billing", "Waiting"]
        for _row, reading in large.context["rows"]
    )


def test_the_csv_and_the_list_follow_the_theme_and_sentiment_filters(
    client, manager, nps_survey, waiting
):
    about_waiting = read_comment(
        answer(nps_survey, 3, comment="slow"),
        label="negative",
        spans=[],
        themes=[(waiting, [[0, 4, 0]], True)],
    )
    read_comment(answer(nps_survey, 10, comment="great"), label="positive", spans=[])
    read_comment(
        answer(nps_survey, 9, comment="slow but kind"),
        label="mixed",
        spans=[],
        themes=[(waiting, [[0, 4, 0]], False)],
    )
    client.force_login(manager)
    query = {"theme": waiting.pk, "sentiment": "negative"}

    listed = client.get(ANSWERS, query)
    rows = read_csv(client.get(CSV_URL, query))

    assert [row.pk for row in listed.context["page"].rows] == [about_waiting.pk]
    assert [row[0] for row in rows[1:]] == [str(about_waiting.pk)]
