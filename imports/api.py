"""CSV import and export over the API.

POST /api/v1/imports/customers/ and /api/v1/imports/interactions/ (multipart:
`file`, `mapping` as a JSON object of column → field, `dry_run`): 201 with
the report, 200 with it for a dry run, 400 when the file or the mapping
cannot be used at all, 413 for a file over IMPORT_MAX_BYTES. GET
/api/v1/exports/customers/, /responses/ and /cases/: a streamed CSV of the
rows the list endpoint's filters and `?search=` select, in a fixed order;
plain UTF-8, or with a BOM for Excel with `?bom=1`.
"""

from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django_filters import FilterSet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import (
    exceptions,
    parsers,
    permissions,
    renderers,
    serializers,
    status,
    viewsets,
)
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.api import CustomerViewSet
from customers.filters import CustomerFilter
from customers.models import Customer
from feedback.api import CaseViewSet
from feedback.filters import CaseFilter
from feedback.models import Case
from imports import exports, services
from imports.reading import UnreadableFileError
from lib.access_log import Via, record_list
from lib.api import SearchFilter, Serializer
from surveys.api import SurveyResponseViewSet
from surveys.filters import SurveyResponseFilter
from surveys.models import SurveyResponse


def requires(*perms: str) -> type[permissions.BasePermission]:
    class HasPermission(permissions.BasePermission):
        def has_permission(self, request: Request, view: APIView) -> bool:
            return bool(request.user and request.user.has_perms(perms))

    HasPermission.__name__ = "Has_" + "_".join(p.replace(".", "_") for p in perms)
    return HasPermission


class FileTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "file_too_large"


class ImportSerializer(Serializer):
    file = serializers.FileField(help_text="A CSV file, UTF-8, comma or semicolon.")
    mapping = serializers.JSONField(
        binary=True,
        required=False,
        help_text='JSON object, column → field ({"E-mail": "email", "Notes": ""}); '
        "a column mapped to an empty string is left out. Default: columns named "
        "like fields.",
    )
    dry_run = serializers.BooleanField(default=False)

    def validate_file(self, value: Any) -> Any:
        limit = settings.IMPORT_MAX_BYTES
        if value.size > limit:
            # 413, not 400: the file, not its fields, is the problem.
            raise FileTooLarge(
                f"The file is {value.size} bytes; the API takes files up to "
                f"{limit} bytes (IMPORT_MAX_BYTES). Import larger files with "
                "manage.py import_csv."
            )
        return value

    def validate_mapping(self, value: Any) -> dict[str, str]:
        if not isinstance(value, dict) or not all(
            isinstance(key, str) and isinstance(item, str)
            for key, item in value.items()
        ):
            raise serializers.ValidationError(
                "A JSON object of column names to field names."
            )
        return value


class InteractionImportSerializer(ImportSerializer):
    schedule_surveys = serializers.BooleanField(
        default=False,
        help_text="Save each row through the interaction service, so that "
        "surveys are scheduled as for a logged interaction (slow; off for history).",
    )


class ImportReportSerializer(serializers.Serializer[Any]):
    """The report's shape, for the schema."""

    kind = serializers.CharField()
    dry_run = serializers.BooleanField()
    mapping = serializers.DictField(child=serializers.CharField())
    delimiter = serializers.CharField()
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    merged = serializers.IntegerField()
    failed = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())  # type: ignore[assignment]
    errors_truncated = serializers.BooleanField()
    preview = serializers.ListField(child=serializers.DictField())


IMPORT_RESPONSES = {
    200: OpenApiResponse(
        ImportReportSerializer, description="Dry run: nothing written."
    ),
    201: OpenApiResponse(ImportReportSerializer, description="Imported."),
    400: OpenApiResponse(description="Unreadable file or unusable mapping."),
    413: OpenApiResponse(description="The file is over IMPORT_MAX_BYTES."),
}


class ImportViewSet(viewsets.GenericViewSet[Any]):
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    def report(self, serializer: serializers.Serializer[Any], run: Any) -> Response:
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            report = run(data)
        except (UnreadableFileError, services.MappingError) as error:
            raise exceptions.ValidationError({"file": [str(error)]}) from None
        code = status.HTTP_200_OK if report.dry_run else status.HTTP_201_CREATED
        return Response(report.as_dict(), status=code)

    @extend_schema(request=ImportSerializer, responses=IMPORT_RESPONSES)
    @action(
        detail=False,
        methods=["post"],
        # An import merges into existing customers: it adds and changes them.
        permission_classes=[
            requires("customers.add_customer", "customers.change_customer")
        ],
        serializer_class=ImportSerializer,
    )
    def customers(self, request: Request) -> Response:
        return self.report(
            ImportSerializer(data=request.data),
            lambda data: services.import_customers(
                data["file"],
                mapping=data.get("mapping"),
                dry_run=data["dry_run"],
                user=cast(User, request.user),
            ),
        )

    @extend_schema(request=InteractionImportSerializer, responses=IMPORT_RESPONSES)
    @action(
        detail=False,
        methods=["post"],
        permission_classes=[requires("customers.add_interaction")],
        serializer_class=InteractionImportSerializer,
    )
    def interactions(self, request: Request) -> Response:
        return self.report(
            InteractionImportSerializer(data=request.data),
            lambda data: services.import_interactions(
                data["file"],
                mapping=data.get("mapping"),
                dry_run=data["dry_run"],
                user=cast(User, request.user),
                schedule_surveys=data["schedule_surveys"],
            ),
        )


class CSVRenderer(renderers.BaseRenderer):
    """Lets a client ask for text/csv; the exports stream their own body, and
    an error is written as JSON."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Any = None,
    ) -> bytes:
        return bytes(renderers.JSONRenderer().render(data))


CSV_RESPONSE = OpenApiResponse(
    OpenApiTypes.STR,
    description="CSV (UTF-8), streamed; the first line names the columns.",
)


class ExportQuerySerializer(serializers.Serializer[Any]):
    """The export's own query parameter, next to the list's filters."""

    bom = serializers.BooleanField(
        default=False,
        help_text="Start the file with a UTF-8 byte order mark, for Excel "
        "(which reads a file without one in the system's code page and "
        "garbles Chinese). Off: a program would find the mark in the first "
        "column's name.",
    )


class ExportViewSet(viewsets.GenericViewSet[Any]):
    """The list endpoints' filters (`?status=open`, `?updated_since=…`) and
    `?search=` select the rows; all of them, not a page, in the export's own
    order (`?ordering=` is not offered: an export is read whole)."""

    renderer_classes = [renderers.JSONRenderer, CSVRenderer]
    pagination_class = None
    filter_backends = [DjangoFilterBackend, SearchFilter]
    querysets: dict[str, tuple[QuerySet[Any], type[FilterSet], list[str], str]] = {
        "customers": (
            Customer.objects.all(),
            CustomerFilter,
            CustomerViewSet.search_fields,
            "customers.view_customer",
        ),
        "responses": (
            SurveyResponse.objects.all(),
            SurveyResponseFilter,
            SurveyResponseViewSet.search_fields,
            "surveys.view_surveyresponse",
        ),
        "cases": (
            Case.objects.all(),
            CaseFilter,
            CaseViewSet.search_fields,
            "feedback.view_case",
        ),
    }

    def chosen(self) -> tuple[QuerySet[Any], type[FilterSet], list[str], str] | None:
        # No export for OPTIONS ("metadata") or a method the view lacks (None).
        return self.querysets.get(getattr(self, "action", "") or "")

    @property
    def filterset_class(self) -> type[FilterSet] | None:
        # Read by the filter backend and by the schema, action by action.
        chosen = self.chosen()
        return chosen[1] if chosen else None

    @property
    def search_fields(self) -> list[str]:
        chosen = self.chosen()
        return chosen[2] if chosen else []

    def get_queryset(self) -> QuerySet[Any]:
        chosen = self.chosen()
        return chosen[0].all() if chosen else Customer.objects.none()

    def get_permissions(self) -> list[permissions.BasePermission]:
        # A method the view lacks (TRACE, POST) has no action: DRF checks
        # permissions before its 405, so a signed-in user gets the 405.
        chosen = self.chosen()
        if chosen is None:
            return [permissions.IsAuthenticated()]
        return [requires(chosen[3])()]

    def export(self) -> StreamingHttpResponse:
        query = ExportQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        rows = self.filter_queryset(self.get_queryset())
        # Before the first byte: a download cut short was still a read.
        record_list(
            self.request.user,
            rows.model,
            via=Via.EXPORT,
            parameters=self.request.query_params.keys(),
            count=rows.count(),
        )
        return exports.csv_response(self.action, rows, bom=query.validated_data["bom"])

    @extend_schema(
        responses={(200, "text/csv"): CSV_RESPONSE},
        parameters=[ExportQuerySerializer],
        filters=True,
    )
    @action(detail=False)
    def customers(self, request: Request) -> StreamingHttpResponse:
        return self.export()

    @extend_schema(
        responses={(200, "text/csv"): CSV_RESPONSE},
        parameters=[ExportQuerySerializer],
        filters=True,
    )
    @action(detail=False)
    def responses(self, request: Request) -> StreamingHttpResponse:
        return self.export()

    @extend_schema(
        responses={(200, "text/csv"): CSV_RESPONSE},
        parameters=[ExportQuerySerializer],
        filters=True,
    )
    @action(detail=False)
    def cases(self, request: Request) -> StreamingHttpResponse:
        return self.export()
