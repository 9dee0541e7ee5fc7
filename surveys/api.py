"""The surveys API: survey definitions (with a manual send), and the
invitations and responses they led to, read only.

Lists render foreign keys as ids, read from the row itself, and a survey's
touchpoints from one prefetch: the query count does not grow with the page.
"""

from typing import ClassVar

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Touchpoint
from lib.api import list_filters
from surveys import filters, serializers
from surveys.models import Invitation, Survey, SurveyResponse
from surveys.services import definitions, scheduling


class MaySendSurveys(permissions.BasePermission):
    """Sending writes invitations: it takes the right to add them."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(
            request.user.is_authenticated
            and request.user.has_perm("surveys.add_invitation")
        )


class SurveyViewSet(viewsets.ModelViewSet[Survey]):
    queryset = Survey.objects.prefetch_related(
        Prefetch("touchpoints", queryset=Touchpoint.objects.only("id"))
    )
    serializer_class = serializers.SurveySerializer
    filterset_class = filters.SurveyFilter
    filter_backends = list_filters()
    # A small table: any order is cheap.
    search_fields: ClassVar[list[str]] = ["name"]
    ordering_fields: ClassVar[list[str]] = ["id", "updated_at", "name"]

    def perform_destroy(self, instance: Survey) -> None:
        definitions.delete_survey(instance)

    @extend_schema(
        request=serializers.SendSerializer,
        responses={202: serializers.SendResultSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[MaySendSurveys],
        serializer_class=serializers.SendSerializer,
    )
    def send(self, request: Request, pk: str | None = None) -> Response:
        """Ask customers now: listed by id, or those a filter selects. Each
        goes through the usual eligibility rules; the work is queued."""
        survey = self.get_object()
        if not survey.is_active:
            raise exceptions.ValidationError(
                {
                    "non_field_errors": [
                        _("This survey is inactive: activate it before sending.")
                    ]
                }
            )
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer_ids: list[int] = serializer.validated_data["customer_ids"]
        scheduling.queue_manual_send(survey, customer_ids=customer_ids)
        return Response(
            {"survey": survey.pk, "customers": len(customer_ids), "status": "queued"},
            status=status.HTTP_202_ACCEPTED,
        )


class InvitationViewSet(viewsets.ReadOnlyModelViewSet[Invitation]):
    queryset = Invitation.objects.all()
    serializer_class = serializers.InvitationSerializer
    filterset_class = filters.InvitationFilter
    filter_backends = list_filters()
    # The customer's email through its trigram index, as the admin searches.
    search_fields: ClassVar[list[str]] = ["customer__email"]
    ordering_fields: ClassVar[list[str]] = ["id", "updated_at"]


class SurveyResponseViewSet(viewsets.ReadOnlyModelViewSet[SurveyResponse]):
    queryset = SurveyResponse.objects.all()
    serializer_class = serializers.SurveyResponseSerializer
    filterset_class = filters.SurveyResponseFilter
    filter_backends = list_filters()
    search_fields: ClassVar[list[str]] = ["customer__email"]
    ordering_fields: ClassVar[list[str]] = ["id", "updated_at", "answered_at"]
