"""The customers API: create, read, update and list; nothing is deleted here
(customers are erased, and history keeps pointing at them).

Lists render foreign keys as ids, read from the row itself: no joins needed
and no query per row.
"""

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from customers import consent, filters, serializers
from customers.models import Company, ConsentEvent, Customer, Interaction, Touchpoint
from lib.access_log import LogAccessViewSet
from lib.api import ModelPermissions, list_filters

M = TypeVar("M", bound=models.Model)


class CreateReadUpdateViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet[M],
):
    filter_backends = list_filters()
    ordering_fields: ClassVar[list[str]] = ["id", "updated_at"]


EXTERNAL_ID = OpenApiParameter(
    "external_id",
    str,
    OpenApiParameter.PATH,
    description="The id the row has in the calling system (no `/`).",
)


class UpsertByExternalIdMixin(CreateReadUpdateViewSet[M]):
    """`PUT …/external/{external_id}/`: the row with this external id, created
    (201) or updated (200), validated like POST and like PUT by id (fields
    left out keep their value). Two clients creating the same external id at once cannot
    both win: the unique constraint refuses the second, which then updates."""

    def upsert_by_external_id(self, request: Request, external_id: str) -> Response:
        external_id = self.valid_external_id(external_id)
        data = request.data
        if isinstance(data, Mapping):
            if data.get("external_id", external_id) != external_id:
                raise drf_serializers.ValidationError(
                    {"external_id": [_("Differs from the external id in the URL.")]}
                )
            data = {**data, "external_id": external_id}
        for attempt in range(2):
            instance = self.get_queryset().filter(external_id=external_id).first()
            if instance is None:
                self.check_may_add(request)
            serializer = self.get_serializer(instance, data=data)
            serializer.is_valid(raise_exception=True)
            try:
                serializer.save()
            except DjangoValidationError:
                # Lost a race to create it: once more, as an update.
                lost_race = (
                    instance is None
                    and attempt == 0
                    and self.get_queryset().filter(external_id=external_id).exists()
                )
                if not lost_race:
                    raise
                continue
            code = status.HTTP_201_CREATED if instance is None else status.HTTP_200_OK
            return Response(serializer.data, status=code)
        raise AssertionError("unreachable")  # pragma: no cover

    def valid_external_id(self, external_id: str) -> str:
        # Checked before any query: a NUL would reach PostgreSQL as a 500.
        field = drf_serializers.CharField(max_length=100)
        try:
            value: str = field.run_validation(external_id)
        except drf_serializers.ValidationError as error:
            raise drf_serializers.ValidationError(
                {"external_id": error.detail}
            ) from None
        return value

    def get_object(self) -> M:
        # OPTIONS describes the upsert's PUT with the row it would replace.
        if "external_id" not in self.kwargs:
            return super().get_object()
        external_id = self.valid_external_id(self.kwargs["external_id"])
        instance = self.get_queryset().filter(external_id=external_id).first()
        if instance is None:
            raise exceptions.NotFound()
        return instance

    def check_may_add(self, request: Request) -> None:
        # PUT takes the right to change rows; creating one takes the right to
        # add them too.
        model = self.get_queryset().model
        permission = f"{model._meta.app_label}.add_{model._meta.model_name}"
        if not request.user.has_perm(permission):
            raise exceptions.PermissionDenied()


EXTERNAL_PATH = r"external/(?P<external_id>[^/]+)"


class ConsentPermissions(ModelPermissions):
    """Reading a customer's consent takes the right to view customers;
    recording an event, the right to change them."""

    perms_map = {
        **ModelPermissions.perms_map,
        "POST": ["%(app_label)s.change_%(model_name)s"],
    }


def consent_body(customer: Customer) -> dict[str, Any]:
    """The customer's consent (two queries): each purpose's state, then
    every event, newest first."""
    states = consent.consent_state(customer)
    events = ConsentEvent.objects.filter(customer=customer).order_by(
        "-created_at", "-id"
    )
    return {
        "state": [
            {
                "purpose": state.purpose,
                "granted": state.granted,
                "is_default": state.is_default,
                "since": state.event.created_at if state.event else None,
            }
            for state in states.values()
        ],
        "events": list(events),
    }


class CompanyViewSet(UpsertByExternalIdMixin[Company]):
    # Search: name (contains, trigram index) and external id (exact, unique).
    queryset = Company.objects.all()
    serializer_class = serializers.CompanySerializer
    filterset_class = filters.CompanyFilter
    search_fields: ClassVar[list[str]] = ["name", "external_id__exact"]
    ordering_fields: ClassVar[list[str]] = ["id", "updated_at"]

    @extend_schema(
        parameters=[EXTERNAL_ID],
        request=serializers.CompanySerializer,
        responses={
            200: serializers.CompanySerializer,
            201: serializers.CompanySerializer,
        },
    )
    @action(detail=False, methods=["put"], url_path=EXTERNAL_PATH, url_name="upsert")
    def upsert(self, request: Request, external_id: str) -> Response:
        """Create (201) or update (200) the company with this external id (the
        id it has in the calling system). The body is validated as for POST;
        on update, fields left out keep their value."""
        return self.upsert_by_external_id(request, external_id)


class CustomerViewSet(LogAccessViewSet, UpsertByExternalIdMixin[Customer]):
    # Search: name and email (contains, trigram indexes) and external id (exact,
    # unique).
    queryset = Customer.objects.all()
    serializer_class = serializers.CustomerSerializer
    filterset_class = filters.CustomerFilter
    search_fields: ClassVar[list[str]] = ["name", "email", "external_id__exact"]
    ordering_fields: ClassVar[list[str]] = ["id", "updated_at"]

    @extend_schema(
        parameters=[EXTERNAL_ID],
        request=serializers.CustomerSerializer,
        responses={
            200: serializers.CustomerSerializer,
            201: serializers.CustomerSerializer,
        },
    )
    @action(detail=False, methods=["put"], url_path=EXTERNAL_PATH, url_name="upsert")
    def upsert(self, request: Request, external_id: str) -> Response:
        """Create (201) or update (200) the customer with this external id (the
        id it has in the calling system). The body is validated as for POST;
        on update, fields left out keep their value."""
        return self.upsert_by_external_id(request, external_id)

    @extend_schema(
        methods=["GET"],
        request=None,
        responses={200: serializers.ConsentSerializer},
    )
    @extend_schema(
        methods=["POST"],
        request=serializers.RecordConsentSerializer,
        responses={201: serializers.ConsentEventSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        permission_classes=[ConsentPermissions],
        pagination_class=None,
        filter_backends=[],
    )
    def consent(self, request: Request, pk: str | None = None) -> Response:
        """GET: the customer's consent per purpose (the latest event, or the
        purpose's default when there is none) and its whole history, newest
        first. POST: record a grant or a withdrawal (source `api`, by the
        requester); withdrawing `surveys` opts the customer out of survey
        mail and cancels their pending invitations and reminders."""
        customer = self.get_object()
        if request.method == "GET":
            body = serializers.ConsentSerializer(consent_body(customer)).data
            return Response(body)
        data = serializers.RecordConsentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        user = request.user
        event = consent.record_consent(
            customer,
            purpose=fields["purpose"],
            granted=fields["granted"],
            source=consent.Source.API,
            ip_address=fields.get("ip_address") or "",
            user_agent=fields.get("user_agent") or "",
            staff_member=user if user.is_staff else None,
            version=fields.get("policy_version") or None,
        )
        return Response(
            serializers.ConsentEventSerializer(event).data,
            status=status.HTTP_201_CREATED,
        )


class TouchpointViewSet(CreateReadUpdateViewSet[Touchpoint]):
    queryset = Touchpoint.objects.all()
    serializer_class = serializers.TouchpointSerializer
    filterset_class = filters.TouchpointFilter
    # A small table: any order is cheap.
    search_fields: ClassVar[list[str]] = ["name"]
    ordering_fields: ClassVar[list[str]] = ["id", "updated_at", "name"]


class InteractionViewSet(LogAccessViewSet, CreateReadUpdateViewSet[Interaction]):
    queryset = Interaction.objects.all()
    serializer_class = serializers.InteractionSerializer
    filterset_class = filters.InteractionFilter
    # The customer's email through its trigram index, as the admin searches.
    search_fields: ClassVar[list[str]] = ["customer__email"]
    ordering_fields: ClassVar[list[str]] = ["id", "updated_at", "occurred_at"]

    def perform_create(self, serializer: BaseSerializer[Interaction]) -> None:
        serializer.save(logged_by=self.request.user)
