"""The KPIs and pilots API (`/api/v1/kpis/`, `/api/v1/pilots/` with
`…/power/` and `…/result/`). Managers manage both; support staff read them
(model permissions, as everywhere). Writes go through the services; a
refused change is a 400 naming the field and why.

A page of KPIs computes their values with a fixed number of queries
(`kpi_statuses`), whatever the page size.
"""

from datetime import date
from typing import Any, ClassVar

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from lib.api import IdRelatedField, list_filters
from pilots import serializers as pilot_serializers
from pilots.models import Kpi, Pilot
from pilots.services import definitions
from pilots.services import pilots as pilot_services
from pilots.services.kpis import kpi_statuses
from pilots.services.power import pilot_power
from pilots.services.results import pilot_result
from pilots.statistics.measures import NotEnoughDataError


def today() -> date:
    return timezone.localdate(timezone=timezone.get_default_timezone())


class NotEnoughData(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Not enough data yet."
    default_code = "not_enough_data"


NOT_ENOUGH_DATA = OpenApiResponse(
    description=(
        "Nothing to compute yet: before go-live, or a group without data in a "
        "period (`detail` says which)."
    )
)


class KpiWriteSerializer(pilot_serializers.KpiSerializer):
    owner = IdRelatedField(
        queryset=get_user_model().objects.filter(is_staff=True),
        required=False,
        allow_null=True,
        help_text="The staff member who owns the KPI; default: whoever creates it.",
    )


class KpiViewSet(viewsets.ModelViewSet[Kpi]):
    queryset = Kpi.objects.all()
    serializer_class = KpiWriteSerializer
    filter_backends = list_filters()
    search_fields: ClassVar[list[str]] = ["name"]
    ordering_fields: ClassVar[list[str]] = ["id", "updated_at", "name"]
    filterset_fields: ClassVar[list[str]] = ["formula", "owner"]

    def represent(self, kpis: list[Kpi], *, many: bool) -> Any:
        context = {
            **self.get_serializer_context(),
            "statuses": kpi_statuses(kpis, today=today()),
        }
        serializer = KpiWriteSerializer(
            kpis if many else kpis[0], many=many, context=context
        )
        return serializer.data

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        data = self.represent(rows, many=True)
        if page is not None:
            return self.get_paginated_response(data)
        return Response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.represent([self.get_object()], many=False))

    def validated(self, request: Request, *, partial: bool = False) -> dict[str, Any]:
        serializer = self.get_serializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "filters" in data:
            data["filters"] = dict(data["filters"])
        return data

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated(request)
        data.setdefault("owner", request.user)
        kpi = definitions.create_kpi(**data)
        return Response(
            self.represent([kpi], many=False), status=status.HTTP_201_CREATED
        )

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kpi = self.get_object()
        data = self.validated(request, partial=kwargs.get("partial", False))
        kpi = definitions.update_kpi(kpi, by=request.user, today=today(), **data)
        return Response(self.represent([kpi], many=False))

    def perform_destroy(self, instance: Kpi) -> None:
        definitions.delete_kpi(instance)


class PilotViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Pilot],
):
    """Pilots have no DELETE: a pilot is history its audit trail keeps."""

    queryset = Pilot.objects.prefetch_related("guardrail_kpis")
    serializer_class = pilot_serializers.PilotSerializer
    filter_backends = list_filters()
    search_fields: ClassVar[list[str]] = ["name"]
    ordering_fields: ClassVar[list[str]] = ["id", "updated_at", "go_live"]
    filterset_fields: ClassVar[list[str]] = ["unit", "analysis", "primary_kpi"]

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": today()}

    def represent(self, pilot: Pilot, code: int = status.HTTP_200_OK) -> Response:
        pilot = self.get_queryset().get(pk=pilot.pk)
        serializer = pilot_serializers.PilotSerializer(
            pilot, context=self.get_serializer_context()
        )
        return Response(serializer.data, status=code)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pilot = pilot_services.create_pilot(
            by=request.user, today=today(), **serializer.validated_data
        )
        return self.represent(pilot, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        pilot = self.get_object()
        serializer = self.get_serializer(
            pilot, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        pilot = pilot_services.update_pilot(
            pilot, by=request.user, today=today(), **serializer.validated_data
        )
        return self.represent(pilot)

    @extend_schema(
        responses={
            200: pilot_serializers.PowerSerializer,
            409: NOT_ENOUGH_DATA,
        }
    )
    @action(detail=True, methods=["get"], serializer_class=serializers.Serializer)
    def power(self, request: Request, pk: str | None = None) -> Response:
        """Before go-live: answers needed per group, the weeks that takes at
        the groups' own rates over the last 90 days, whether the planned end
        comes first, and a KPI with more power."""
        pilot = self.get_object()
        try:
            return Response(pilot_power(pilot, today=today()))
        except NotEnoughDataError as error:
            raise NotEnoughData(str(error)) from None

    @extend_schema(
        responses={
            200: pilot_serializers.ResultSerializer,
            409: NOT_ENOUGH_DATA,
        }
    )
    @action(detail=True, methods=["get"], serializer_class=serializers.Serializer)
    def result(self, request: Request, pk: str | None = None) -> Response:
        """The primary KPI's effect with its interval, the guardrails
        (Holm-corrected) and the checks; `interim` until the planned end of
        a fixed analysis."""
        pilot = self.get_object()
        try:
            return Response(pilot_result(pilot, today=today()))
        except NotEnoughDataError as error:
            raise NotEnoughData(str(error)) from None
