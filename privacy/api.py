"""The privacy requests API (`/api/v1/privacy-requests/`).

Support staff record requests and read them; managers (who may change
them) verify, fulfil, extend and refuse. A request has no PUT and no
DELETE: it is the record of how the person's right was served. Each step
goes through privacy.services.requests; a step the request's state does not
allow is a 400 that says why.

`fulfil` answers 202: a task does the work (an export, an erasure) and the
request then reaches `done` (or stays open with the reason in the log, and
the sweep tries again). A done access or portability request carries
`download_url` while its single-use link works.
"""

from collections.abc import Sequence
from typing import Any, ClassVar

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import (
    exceptions,
    mixins,
    permissions,
    serializers,
    status,
    viewsets,
)
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from customers.models import Customer
from lib import api as lib_api
from lib.api import IdRelatedField, list_filters
from privacy.models import PrivacyRequest
from privacy.services import downloads, requests

MANAGE = "privacy.change_privacyrequest"


class MayManage(permissions.BasePermission):
    message = "Only managers may verify, fulfil, extend or refuse a privacy request."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm(MANAGE))


class PrivacyRequestSerializer(lib_api.ModelSerializer[PrivacyRequest]):
    customer: IdRelatedField[Customer] = IdRelatedField(
        queryset=Customer.objects.all(),
        required=False,
        allow_null=True,
        help_text="The customer the request is about. Null once erased.",
    )
    email = serializers.EmailField(
        write_only=True,
        required=False,
        help_text=(
            "For a request that names no customer: the address it came from. "
            "Matched to a customer when one has it; otherwise only its keyed "
            'hash is kept and the request is answered "no data held".'
        ),
    )
    mode = serializers.ChoiceField(
        choices=PrivacyRequest.Mode.choices,
        required=False,
        allow_blank=True,
        help_text="Erasure only: anonymise (the default) or delete.",
    )
    download_url = serializers.SerializerMethodField(
        help_text=(
            "A done access or portability request: the ZIP's link, single use, "
            "for 72 hours; shown to managers. Null otherwise, and once used or "
            "expired."
        )
    )

    class Meta:
        model = PrivacyRequest
        fields = [
            "id",
            "kind",
            "customer",
            "email",
            "mode",
            "status",
            "outcome",
            "received_at",
            "due_at",
            "extended_due_at",
            "extension_reason",
            "refusal_reason",
            "verified_by",
            "verified_how",
            "verified_at",
            "fulfil_requested_at",
            "completed_at",
            "delivered_digest",
            "download_url",
            "downloaded_at",
            "created_at",
        ]
        read_only_fields = [
            name for name in fields if name not in {"kind", "customer", "email", "mode"}
        ]

    def get_download_url(self, request: PrivacyRequest) -> str | None:
        """For managers only: opening the link spends the requester's one
        download."""
        asker = self.context.get("request")
        if asker is None or not asker.user.has_perm(MANAGE):
            return None
        return downloads.download_url(request, now=timezone.now())

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("customer") is None and not data.get("email"):
            raise serializers.ValidationError(
                {"customer": ["Name the customer, or give the requester's email."]}
            )
        return data


class VerifySerializer(lib_api.Serializer):
    how = serializers.CharField(
        max_length=200,
        help_text=(
            "How the requester's identity was checked (e.g. a reply from the "
            "address on file)."
        ),
    )


class ReasonSerializer(lib_api.Serializer):
    reason = serializers.CharField(max_length=2000)


class ExtendSerializer(ReasonSerializer):
    days = serializers.IntegerField(
        min_value=1,
        max_value=requests.MAX_EXTENSION_DAYS,
        help_text="How much later the deadline falls (once, at most 60 days).",
    )


def staff(request: Request) -> User | None:
    user = request.user
    return user if isinstance(user, User) else None


def refused(error: requests.RequestError) -> exceptions.ValidationError:
    return exceptions.ValidationError({"detail": [str(error)]})


class PrivacyRequestViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet[PrivacyRequest],
):
    queryset = PrivacyRequest.objects.all()
    serializer_class = PrivacyRequestSerializer
    filter_backends = list_filters()
    ordering_fields: ClassVar[list[str]] = ["id", "due_at", "received_at"]
    filterset_fields: ClassVar[list[str]] = ["kind", "status", "customer"]

    def get_permissions(self) -> Sequence[Any]:
        checks = list(super().get_permissions())
        if self.action in {"verify", "fulfil", "refuse", "extend"}:
            checks.append(MayManage())
        return checks

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            created = requests.record(
                kind=data["kind"],
                customer=data.get("customer"),
                email=data.get("email", ""),
                mode=data.get("mode", ""),
                by=staff(request),
                now=timezone.now(),
            )
        except requests.RequestError as error:
            raise refused(error) from None
        return self.represent(created, status.HTTP_201_CREATED)

    def represent(
        self, obj: PrivacyRequest, code: int = status.HTTP_200_OK
    ) -> Response:
        obj.refresh_from_db()
        serializer = PrivacyRequestSerializer(
            obj, context=self.get_serializer_context()
        )
        return Response(serializer.data, status=code)

    def step(self, change: Any, code: int = status.HTTP_200_OK) -> Response:
        try:
            with transaction.atomic():
                changed = change()
        except requests.RequestError as error:
            raise refused(error) from None
        return self.represent(changed, code)

    @extend_schema(request=VerifySerializer, responses={200: PrivacyRequestSerializer})
    @action(detail=True, methods=["post"], serializer_class=VerifySerializer)
    def verify(self, request: Request, pk: str | None = None) -> Response:
        """Record who checked the requester's identity, and how."""
        obj = self.get_object()
        body = VerifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self.step(
            lambda: requests.verify(
                obj,
                by=staff(request),
                how=body.validated_data["how"],
                now=timezone.now(),
            )
        )

    @extend_schema(
        request=None,
        responses={
            202: OpenApiResponse(
                PrivacyRequestSerializer,
                description="Queued: the request reaches `done` when the task has run.",
            )
        },
    )
    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    def fulfil(self, request: Request, pk: str | None = None) -> Response:
        """Do what a verified request asks: the export, the erasure, the
        withdrawal of consent; "no data held" for someone we do not hold."""
        obj = self.get_object()
        return self.step(
            lambda: requests.ask_fulfil(obj, now=timezone.now()),
            status.HTTP_202_ACCEPTED,
        )

    @extend_schema(request=ReasonSerializer, responses={200: PrivacyRequestSerializer})
    @action(detail=True, methods=["post"], serializer_class=ReasonSerializer)
    def refuse(self, request: Request, pk: str | None = None) -> Response:
        """Refuse an open request, with the reason the requester is given."""
        obj = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self.step(
            lambda: requests.refuse(
                obj,
                reason=body.validated_data["reason"],
                by=staff(request),
                now=timezone.now(),
            )
        )

    @extend_schema(request=ExtendSerializer, responses={200: PrivacyRequestSerializer})
    @action(detail=True, methods=["post"], serializer_class=ExtendSerializer)
    def extend(self, request: Request, pk: str | None = None) -> Response:
        """Move the deadline once, by at most 60 days, with the reason."""
        obj = self.get_object()
        body = ExtendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self.step(
            lambda: requests.extend(
                obj,
                reason=body.validated_data["reason"],
                days=body.validated_data["days"],
                now=timezone.now(),
            )
        )
