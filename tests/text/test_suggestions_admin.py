"""Theme suggestions end to end: the weekly task finds a planted topic among
untagged comments, the same comments give the same suggestions, a manager
adopts one in one click (its comments are then tagged) or dismisses it (it
does not come back), and support staff only read them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.celery import app
from tests.factories import SurveyResponseFactory
from text import services, tasks
from text.models import CommentAnalysis, CommentTheme, Theme, ThemeSuggestion

pytestmark = pytest.mark.django_db

PARKING = [
    "There is never any parking near the store.",
    "Parking was impossible, I drove around the block.",
    "There were no parking spaces left at noon.",
    "The parking was full again on Saturday.",
    "Parking is a nightmare here.",
    "Could not find parking anywhere.",
    "The parking is tiny for a shop this size.",
    "Please add more parking.",
    "The parking attendant waved me away from the door.",
    "Gave up on parking and went home.",
    "The parking garage is dark and smells.",
    "Finding parking near the entrance is hopeless on a Saturday.",
]
SCATTERED = [
    "My grandmother loved the knitted scarf.",
    "Umbrella stand by the door was broken.",
    "Music in the fitting rooms was loud.",
    "Elevator smelled of paint.",
    "Christmas decorations went up in October.",
    "A dog barked through my whole visit.",
]


@pytest.fixture(autouse=True)
def tasks_run_in_the_test():
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = False, False


def comment(text: str, *, score: int = 5) -> int:
    response = SurveyResponseFactory.create(score=score, comment=text)
    services.enrich_comment(response.pk)
    return response.pk


@pytest.fixture
def parking_ids() -> set[int]:
    ids = {comment(text) for text in PARKING}
    for text in SCATTERED:
        comment(text)
    # English, and about no theme of the starter dictionary.
    assert set(
        CommentAnalysis.objects.filter(response__in=ids).values_list(
            "language", flat=True
        )
    ) == {"en"}
    assert not CommentTheme.objects.filter(analysis__response__in=ids).exists()
    return ids


def open_suggestions() -> list[tuple[str, list[str], int, list[int]]]:
    return list(
        ThemeSuggestion.objects.filter(status=ThemeSuggestion.Status.OPEN)
        .order_by("id")
        .values_list("language", "terms", "comment_count", "example_response_ids")
    )


def tagged_parking(ids: set[int]) -> set[int]:
    return set(
        CommentTheme.objects.filter(
            analysis__response__in=ids, theme__key="parking", is_present=True
        ).values_list("analysis__response", flat=True)
    )


def test_the_weekly_task_suggests_the_planted_topic_and_again_the_same(parking_ids):
    assert tasks.suggest_themes_task() == 1
    first = open_suggestions()
    assert tasks.suggest_themes_task() == 1

    assert open_suggestions() == first
    [(language, terms, count, examples)] = first
    assert (language, terms, count) == ("en", ["parking"], 12)
    assert len(examples) == 3
    assert set(examples) <= parking_ids
    assert ThemeSuggestion.objects.count() == 1


def test_comments_older_than_the_window_are_left_out(parking_ids):
    services.suggest_themes(now=timezone.now() + timedelta(days=91))

    assert open_suggestions() == []


def test_a_manager_adopts_a_suggestion_and_its_comments_are_tagged(
    client, manager, parking_ids, django_capture_on_commit_callbacks
):
    services.suggest_themes(now=timezone.now())
    suggestion = ThemeSuggestion.objects.get()
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:text_themesuggestion_adopt", args=[suggestion.pk])
        )

    theme = Theme.objects.get(key="parking")
    assert response.status_code == 302
    assert response.url == reverse("admin:text_theme_change", args=[theme.pk])
    assert (theme.name_en, theme.name_zh, theme.keywords_en, theme.is_active) == (
        "parking",
        "",
        "parking",
        True,
    )
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.theme, suggestion.decided_by) == (
        "adopted",
        theme,
        manager,
    )
    assert tagged_parking(parking_ids) == parking_ids

    services.suggest_themes(now=timezone.now())
    assert open_suggestions() == []
    assert ThemeSuggestion.objects.get().status == "adopted"


def test_a_suggestion_is_adopted_once(client, manager, parking_ids):
    services.suggest_themes(now=timezone.now())
    url = reverse(
        "admin:text_themesuggestion_adopt", args=[ThemeSuggestion.objects.get().pk]
    )
    client.force_login(manager)

    client.post(url)
    again = client.post(url, follow=True)

    assert Theme.objects.filter(name_en="parking").count() == 1
    assert "This suggestion was decided or replaced meanwhile." in (
        again.content.decode()
    )


def test_a_dismissed_suggestion_is_not_suggested_again(client, manager, parking_ids):
    services.suggest_themes(now=timezone.now())
    suggestion = ThemeSuggestion.objects.get()
    client.force_login(manager)

    response = client.post(
        reverse("admin:text_themesuggestion_dismiss", args=[suggestion.pk])
    )
    for text in [
        "The parking lot was closed when I came.",
        "There is no parking for people with a pram.",
        "I had to leave because there was no parking.",
    ]:
        comment(text)
    services.suggest_themes(now=timezone.now())

    assert response.status_code == 302
    assert open_suggestions() == []
    assert list(ThemeSuggestion.objects.values_list("status", flat=True)) == [
        "dismissed"
    ]
    assert not Theme.objects.filter(key="parking").exists()


def test_support_staff_see_suggestions_but_may_not_adopt_or_dismiss(
    client, support, parking_ids
):
    services.suggest_themes(now=timezone.now())
    suggestion = ThemeSuggestion.objects.get()
    themes_before = Theme.objects.count()
    client.force_login(support)

    page = client.get(reverse("admin:text_themesuggestion_changelist"))
    adopt = client.post(
        reverse("admin:text_themesuggestion_adopt", args=[suggestion.pk])
    )
    dismiss = client.post(
        reverse("admin:text_themesuggestion_dismiss", args=[suggestion.pk])
    )

    assert page.status_code == 200
    shown = page.content.decode()
    assert "parking" in shown
    assert "Adopt" not in shown
    assert "Dismiss" not in shown
    assert (adopt.status_code, dismiss.status_code) == (403, 403)
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.theme, suggestion.decided_by) == (
        "open",
        None,
        None,
    )
    assert Theme.objects.count() == themes_before


def test_managers_see_terms_count_examples_and_the_buttons(
    client, manager, parking_ids
):
    services.suggest_themes(now=timezone.now())
    suggestion = ThemeSuggestion.objects.get()
    client.force_login(manager)

    shown = client.get(reverse("admin:text_themesuggestion_changelist")).content
    page = shown.decode()

    examples = dict(
        SurveyResponseFactory._meta.model.objects.filter(
            pk__in=suggestion.example_response_ids
        ).values_list("pk", "comment")
    )
    assert len(examples) == 3
    for text in examples.values():
        assert f"<li>{text}</li>" in page
    assert '<td class="field-comment_count">12</td>' in page
    adopt = reverse("admin:text_themesuggestion_adopt", args=[suggestion.pk])
    assert f'formaction="{adopt}">Adopt</button>' in page


def test_adopting_takes_a_post(client, manager, parking_ids):
    services.suggest_themes(now=timezone.now())
    client.force_login(manager)

    response = client.get(
        reverse(
            "admin:text_themesuggestion_adopt",
            args=[ThemeSuggestion.objects.get().pk],
        )
    )

    assert response.status_code == 405
    assert ThemeSuggestion.objects.get().status == "open"


def test_a_chinese_suggestion_becomes_a_theme_with_chinese_keywords(manager):
    suggestion = ThemeSuggestion.objects.create(
        language="zh", terms=["停车场", "车位"], comment_count=7
    )

    theme = services.adopt_suggestion(suggestion.pk, by=manager, now=timezone.now())

    assert (
        theme.key,
        theme.name_en,
        theme.name_zh,
        theme.keywords_en,
        theme.keywords_zh,
    ) == ("theme", "停车场", "停车场", "", "停车场\n车位")


def test_a_new_themes_key_is_made_unique():
    Theme.objects.create(key="car_park", name_en="Car park")
    Theme.objects.create(key="car_park_2", name_en="Car park too")

    assert services.unique_theme_key("Car park") == "car_park_3"
    assert services.unique_theme_key("parking") == "parking"


def test_the_list_runs_the_same_queries_for_one_suggestion_or_five(client, manager):
    def suggest(term: str) -> None:
        examples = [
            SurveyResponseFactory.create(comment=f"{term} {n}").pk for n in range(3)
        ]
        ThemeSuggestion.objects.create(
            language="en",
            terms=[term],
            comment_count=5,
            example_response_ids=examples,
        )

    client.force_login(manager)
    url = reverse("admin:text_themesuggestion_changelist")
    suggest("parking")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for term in ["lockers", "trolleys", "escalator", "lighting"]:
        suggest(term)
    with CaptureQueriesContext(connection) as five:
        page = client.get(url).content.decode()

    assert len(five) == len(one)
    assert page.count("<li>lighting ") == 3


def test_a_suggestion_page_shows_it_without_a_form_to_edit(
    client, manager, parking_ids
):
    services.suggest_themes(now=timezone.now())
    client.force_login(manager)

    page = client.get(
        reverse(
            "admin:text_themesuggestion_change",
            args=[ThemeSuggestion.objects.get().pk],
        )
    )

    assert page.status_code == 200
    assert "<li>" in page.content.decode()
    assert 'name="comment_count"' not in page.content.decode()
