"""The feedback API: cases, their timelines and the root-cause taxonomy.

Cases change only through `feedback.services.cases`, one action per verb
(contact, close, reopen, assign, note); there is no PUT, PATCH or DELETE.
Someone who may not see cases is refused first (403); then the input is
checked (400); then the services decide, under the case's lock, whether this
user may act on this case: a refusal is a 403 with their message.

Lists render foreign keys as ids, read from the row itself: no joins needed
and no query per row.
"""

from typing import Any, ClassVar

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from feedback import filters, serializers
from feedback.models import Case, RootCause
from feedback.permissions import may_open, may_view
from feedback.services import cases
from lib.access_log import LogAccessViewSet
from lib.api import list_filters


class MayViewCases(permissions.BasePermission):
    """Who may see cases (the Support and Manager roles) reaches the case
    endpoints; opening a case by hand takes the right to add one too."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not may_view(request.user):
            return False
        return getattr(view, "action", None) != "create" or may_open(request.user)


class CaseViewSet(
    LogAccessViewSet,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet[Case],
):
    queryset = Case.objects.all()
    serializer_class = serializers.CaseSerializer
    filterset_class = filters.CaseFilter
    permission_classes = [MayViewCases]
    filter_backends = list_filters()
    # The customer's email through its trigram index, as the admin searches.
    search_fields: ClassVar[list[str]] = ["customer__email"]
    ordering_fields: ClassVar[list[str]] = ["id", "updated_at"]

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "create":
            return serializers.OpenCaseSerializer
        return super().get_serializer_class()

    def get_serializer_context(self) -> dict[str, Any]:
        # One time for every row of a page: `is_overdue` agrees across it.
        return {**super().get_serializer_context(), "now": timezone.now()}

    def validated(self, request: Request) -> dict[str, Any]:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def represent(self, case: Case, code: int = status.HTTP_200_OK) -> Response:
        serializer = serializers.CaseSerializer(
            case, context=self.get_serializer_context()
        )
        return Response(serializer.data, status=code)

    @extend_schema(
        request=serializers.OpenCaseSerializer,
        responses={201: serializers.CaseSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Open a case by hand (reason `manual`)."""
        case = cases.open_case(by=request.user, **self.validated(request))
        return self.represent(case, status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.ContactSerializer, responses=serializers.CaseSerializer
    )
    @action(
        detail=True, methods=["post"], serializer_class=serializers.ContactSerializer
    )
    def contact(self, request: Request, pk: str | None = None) -> Response:
        """Record that the customer was reached: the first contact stops the
        deadline clock. The case's owner or a manager."""
        case = self.get_object()
        data = self.validated(request)
        return self.represent(cases.record_contact(case, by=request.user, **data))

    @extend_schema(
        request=serializers.CloseSerializer, responses=serializers.CaseSerializer
    )
    @action(detail=True, methods=["post"], serializer_class=serializers.CloseSerializer)
    def close(self, request: Request, pk: str | None = None) -> Response:
        """Close with a root cause and a resolution; a case from an answer
        schedules a recovery re-survey. The case's owner or a manager."""
        case = self.get_object()
        data = self.validated(request)
        return self.represent(cases.close_case(case, by=request.user, **data))

    @extend_schema(
        request=serializers.ReopenSerializer, responses=serializers.CaseSerializer
    )
    @action(
        detail=True, methods=["post"], serializer_class=serializers.ReopenSerializer
    )
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        """Open a closed case again, with a new deadline. The case's owner or a
        manager."""
        case = self.get_object()
        data = self.validated(request)
        return self.represent(cases.reopen_case(case, by=request.user, **data))

    @extend_schema(
        request=serializers.AssignSerializer, responses=serializers.CaseSerializer
    )
    @action(
        detail=True, methods=["post"], serializer_class=serializers.AssignSerializer
    )
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """Give the case to another owner. The case's owner or a manager."""
        case = self.get_object()
        data = self.validated(request)
        return self.represent(cases.assign_case(case, by=request.user, **data))

    @extend_schema(
        request=serializers.NoteSerializer, responses=serializers.CaseSerializer
    )
    @action(detail=True, methods=["post"], serializer_class=serializers.NoteSerializer)
    def note(self, request: Request, pk: str | None = None) -> Response:
        """Add a note to the case's timeline. The case's owner or a manager."""
        case = self.get_object()
        data = self.validated(request)
        cases.add_note(case, by=request.user, **data)
        return self.represent(case)

    @extend_schema(
        operation_id="cases_assign_many",
        request=serializers.AssignManySerializer,
        responses=serializers.AssignManyResultSerializer,
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="assign",
        url_name="assign-many",
        serializer_class=serializers.AssignManySerializer,
    )
    def assign_many(self, request: Request) -> Response:
        """Give many cases to one owner, all or none: refused as a whole when
        one of them is neither the requester's nor are they a manager."""
        data = self.validated(request)
        changed = cases.assign_cases(
            data["cases"], owner=data["owner"], by=request.user
        )
        return Response(
            {"owner": data["owner"].pk, "cases": data["cases"], "changed": changed}
        )

    @extend_schema(responses=serializers.CaseEventSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        serializer_class=serializers.CaseEventSerializer,
        filter_backends=[],
    )
    def events(self, request: Request, pk: str | None = None) -> Response:
        """The case's timeline, oldest first."""
        case = self.get_object()
        # The viewset's pagination, over rows of another model than its own.
        events: Any = case.events.all()
        page = self.paginate_queryset(events)
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)


class RootCauseViewSet(viewsets.ModelViewSet[RootCause]):
    """The root causes a case is closed with. Everyone who may see cases reads
    them; managers add and change them.

    DELETE removes a root cause no case has; one a case has is refused with a
    400: deactivate it instead (`is_active` false), so that closed cases and
    their figures keep it while nobody can choose it any more.
    """

    queryset = RootCause.objects.all()
    serializer_class = serializers.RootCauseSerializer
    filterset_class = filters.RootCauseFilter
    filter_backends = list_filters()
    # A small table: any order is cheap.
    search_fields: ClassVar[list[str]] = ["name"]
    ordering_fields: ClassVar[list[str]] = ["id", "name", "position"]

    def perform_destroy(self, instance: RootCause) -> None:
        in_use = exceptions.ValidationError(
            {
                "non_field_errors": [
                    _(
                        "Cases have this root cause, so it cannot be deleted; "
                        "deactivate it instead (set is_active to false)."
                    )
                ]
            }
        )
        if instance.cases.exists():
            raise in_use
        try:
            # A case closed with it since the check is still protected, by
            # the PROTECT foreign key or, in a race, by the database.
            with transaction.atomic():
                instance.delete()
        except (ProtectedError, IntegrityError):
            raise in_use from None
