"""The answers API with each comment's reading: surveys' viewset, whose
answers carry `analysis` and take its filters. Registered by crm/api.py at
/api/v1/responses/ in place of surveys' own (surveys cannot import text)."""

from django.db.models import Prefetch, QuerySet

from surveys import api as surveys_api
from surveys.models import SurveyResponse
from text import filters, serializers
from text.models import CommentTheme


def with_analysis(answers: QuerySet[SurveyResponse]) -> QuerySet[SurveyResponse]:
    """The analysis in the answers' query and every theme of a page in one
    more: the query count does not grow with the page."""
    return answers.select_related("analysis").prefetch_related(
        Prefetch(
            "analysis__themes",
            queryset=CommentTheme.objects.filter(is_present=True).select_related(
                "theme"
            ),
        )
    )


class SurveyResponseViewSet(surveys_api.SurveyResponseViewSet):
    queryset = with_analysis(SurveyResponse.objects.all())
    serializer_class = serializers.SurveyResponseSerializer
    filterset_class = filters.SurveyResponseFilter
