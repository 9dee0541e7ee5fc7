"""The surveys API: survey definitions (with a manual send), and the
invitations and responses they led to, read only but for a manager's
"send now".

Lists render foreign keys as ids, read from the row itself, and a survey's
touchpoints from one prefetch: the query count does not grow with the page.
"""

from typing import ClassVar

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Touchpoint
from lib.access_log import LogAccessViewSet
from lib.api import list_filters
from surveys import filters, serializers
from surveys.models import Invitation, Survey, SurveyResponse
from surveys.services import decisions, definitions, scheduling
from surveys.services.send_now import may_send_now, send_invitations_now


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


class MaySendNow(permissions.BasePermission):
    message = gettext_lazy("Only managers may send invitations now.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return may_send_now(request.user)


class InvitationViewSet(viewsets.ReadOnlyModelViewSet[Invitation]):
    queryset = Invitation.objects.all()
    serializer_class = serializers.InvitationSerializer
    filterset_class = filters.InvitationFilter
    filter_backends = list_filters()
    # The customer's email through its trigram index, as the admin searches.
    search_fields: ClassVar[list[str]] = ["customer__email"]
    ordering_fields: ClassVar[list[str]] = ["id", "updated_at"]

    @extend_schema(
        request=None,
        responses={
            202: OpenApiResponse(
                serializers.SendNowSerializer,
                description=(
                    "Queued to be sent now (or on the queue already): the "
                    "invitation, due now, with `result` and `message`."
                ),
            ),
            409: OpenApiResponse(
                serializers.SendNowRefusalSerializer,
                description=(
                    "Nothing sent, nothing changed: the invitation was sent "
                    "already or is being sent, is not waiting to be sent, or "
                    "the eligibility rules refuse it now (`result`, `reason` "
                    "and `detail` say which). Or the Idempotency-Key was used "
                    "for a different request, or its first request is still "
                    "running (`detail` alone)."
                ),
            ),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="send-now",
        permission_classes=[MaySendNow],
    )
    def send_now(self, request: Request, pk: str | None = None) -> Response:
        """Send a scheduled invitation now instead of at its time (managers).

        The mail is queued at once and goes through the dispatcher's claim
        and checks, so it is never sent twice, even by a concurrent
        dispatcher; a repeated call reports `already_queued`. The answer is
        202, with the invitation (due now) and `result`; a refusal that can
        be seen now is a 409 and changes nothing."""
        invitation = self.get_object()
        now = timezone.now()
        (result,) = send_invitations_now([invitation.pk], user=request.user, now=now)
        message = decisions.send_now_message(result, now=now)
        if not result.is_queued:
            refusal = {"detail": message, "result": result.outcome}
            if result.reason:
                refusal["reason"] = result.reason
            return Response(refusal, status=status.HTTP_409_CONFLICT)
        context = {"result": result.outcome, "message": message}
        body = serializers.SendNowSerializer(result.invitation, context=context).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class SurveyResponseViewSet(
    LogAccessViewSet, viewsets.ReadOnlyModelViewSet[SurveyResponse]
):
    queryset = SurveyResponse.objects.all()
    serializer_class = serializers.SurveyResponseSerializer
    filterset_class = filters.SurveyResponseFilter
    filter_backends = list_filters()
    search_fields: ClassVar[list[str]] = ["customer__email"]
    ordering_fields: ClassVar[list[str]] = ["id", "updated_at", "answered_at"]
