"""The analyser measured on staff corrections, as the admin shows it: per
language, sentiment accuracy, macro-F1 and the confusion matrix (the staff's
label is the gold one), and theme precision and recall (a theme staff added
is a miss, one they removed a false find)."""

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, f1_score

from surveys.models import SurveyResponse
from tests.factories import SurveyResponseFactory
from text import services
from text.analysis.types import LABELS
from text.models import CommentAnalysis, CommentTheme, Theme

pytestmark = pytest.mark.django_db


def reading(
    label: str, *, language: str = "en", response: SurveyResponse | None = None
) -> CommentAnalysis:
    return CommentAnalysis.objects.create(
        response=response or SurveyResponseFactory.create(comment="A comment."),
        comment_digest="-",
        dictionary_digest="-",
        language=language,
        score=0.0,
        label=label,
        analysed_at=timezone.now(),
    )


def corrected(analysis: CommentAnalysis, label: str, staff) -> None:
    services.correct_sentiment(analysis, label=label, by=staff, now=timezone.now())


def found(analysis: CommentAnalysis, *keys: str) -> None:
    """Theme rows as the analysis writes them, with the keyword's span."""
    for key in keys:
        CommentTheme.objects.create(
            analysis=analysis,
            theme=Theme.objects.get(key=key),
            spans=[[0, 4, 0.0]],
            source=CommentTheme.Source.ANALYSIS,
        )


def themes_set(analysis: CommentAnalysis, staff, *keys: str) -> None:
    services.correct_themes(
        analysis,
        themes=Theme.objects.filter(key__in=keys),
        by=staff,
        now=timezone.now(),
    )


@pytest.fixture
def corrections(support):
    """English, by hand (staff's label → analyser's):
    negative→negative twice, negative→positive, positive→neutral,
    positive→positive; one reading nobody corrected.
    Themes: a reading where the analyser found delivery and price and staff
    made it delivery and billing; one where it found delivery and staff only
    corrected the sentiment; an uncorrected one with price."""
    first = reading("negative")
    corrected(first, "negative", support)
    found(first, "delivery", "price")
    themes_set(first, support, "delivery", "billing")
    second = reading("negative")
    corrected(second, "negative", support)
    found(second, "delivery")
    corrected(reading("positive"), "negative", support)
    corrected(reading("neutral"), "positive", support)
    corrected(reading("positive"), "positive", support)
    found(reading("positive"), "price")


def test_sentiment_on_corrections_matches_the_hand_computation(corrections):
    [english, chinese] = services.correction_accuracy()

    assert (english.language, chinese.language) == ("en", "zh")
    report = english.sentiment
    assert report is not None
    assert report.n == 5
    assert report.accuracy == pytest.approx(3 / 5)
    # negative: P 2/2, R 2/3, F1 0.8; neutral: 0; positive: P 1/2, R 1/2.
    assert report.macro_f1 == pytest.approx((0.8 + 0.0 + 0.5) / 3)
    assert report.labels == ("negative", "neutral", "positive")
    assert report.confusion == {
        ("negative", "negative"): 2,
        ("negative", "positive"): 1,
        ("positive", "neutral"): 1,
        ("positive", "positive"): 1,
    }
    assert chinese.sentiment is None
    assert chinese.themes is None


def test_a_theme_staff_added_is_a_miss_and_one_they_removed_a_false_find(
    corrections,
):
    [english, _] = services.correction_accuracy()

    report = english.themes
    assert report is not None
    by_theme = {
        name: (scores.precision, scores.recall, scores.support, scores.predicted)
        for name, scores in report.per_theme.items()
    }
    assert by_theme == {
        "billing": (None, 0.0, 1, 0),
        "delivery": (1.0, 1.0, 2, 2),
        "price": (0.0, None, 0, 1),
    }
    overall = report.themes_overall
    assert overall.precision == pytest.approx(2 / 3)
    assert overall.recall == pytest.approx(2 / 3)


def test_the_figures_come_from_one_query_per_kind(
    corrections, django_assert_num_queries
):
    with django_assert_num_queries(2):
        services.correction_accuracy()


def test_the_admin_page_shows_the_figures_per_language(client, support, corrections):
    client.force_login(support)

    listing = client.get(reverse("admin:text_commentanalysis_changelist"))
    page = client.get(reverse("admin:text_commentanalysis_accuracy"))

    url = reverse("admin:text_commentanalysis_accuracy")
    assert f'href="{url}"' in listing.content.decode()
    assert page.status_code == 200
    shown = page.content.decode()
    assert "Sentiment: 5 corrected comments, accuracy 0.60, macro-F1 0.43" in shown
    assert (
        '<tr><th scope="row">negative</th><td class="number">2</td>'
        '<td class="number">0</td><td class="number">1</td></tr>'
    ) in shown
    assert "Sentiment: no corrections yet." in shown
    assert "Themes: no corrections yet." in shown


def test_the_page_says_when_nothing_was_corrected(client, manager):
    reading("negative")
    client.force_login(manager)

    shown = client.get(reverse("admin:text_commentanalysis_accuracy")).content
    page = shown.decode()

    assert page.count("Sentiment: no corrections yet.") == 2
    assert page.count("Themes: no corrections yet.") == 2


def test_someone_who_may_not_read_analyses_may_not_see_the_page(client, outsider):
    outsider.is_staff = True
    outsider.save()
    client.force_login(outsider)

    response = client.get(reverse("admin:text_commentanalysis_accuracy"))

    assert response.status_code == 403


pairs = st.lists(
    st.tuples(
        st.sampled_from(["en", "zh"]),
        st.sampled_from(LABELS),
        st.sampled_from([*LABELS, ""]),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(pairs)
def test_sentiment_figures_equal_a_plain_computation(support, rows):
    CommentAnalysis.objects.all().delete()
    responses = list(SurveyResponse.objects.order_by("pk")[: len(rows)])
    while len(responses) < len(rows):
        responses.append(SurveyResponseFactory.create(comment="A comment."))
    for response, (language, label, correction) in zip(responses, rows, strict=True):
        analysis = reading(label, language=language, response=response)
        if correction:
            corrected(analysis, correction, support)

    figures = {a.language: a.sentiment for a in services.correction_accuracy()}

    for language in ("en", "zh"):
        gold = [c for lang, _, c in rows if lang == language and c]
        predicted = [label for lang, label, c in rows if lang == language and c]
        report = figures[language]
        if not gold:
            assert report is None
            continue
        assert report is not None
        assert report.n == len(gold)
        assert report.accuracy == pytest.approx(accuracy_score(gold, predicted))
        assert report.macro_f1 == pytest.approx(
            f1_score(gold, predicted, average="macro", zero_division=0)
        )
