"""The tokens API: each user lists and revokes their own tokens (superusers
everyone's). A token never shows its key after the answer that created it.

Creating one takes a person signed in (a session): a token that could mint
tokens would let a leaked key that expires tomorrow outlive its expiry.
"""

from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from tokens import serializers, services
from tokens.models import ApiToken


class ApiTokenViewSet(
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet[ApiToken],
):
    queryset = ApiToken.objects.all()
    serializer_class = serializers.ApiTokenSerializer
    # Every user may manage their own tokens: no model permission needed.
    permission_classes = [permissions.IsAuthenticated]
    # A new key is shown once: an Idempotency-Key would keep it for replays.
    keeps_answers_for_replay = False

    def get_queryset(self) -> QuerySet[ApiToken]:
        tokens = super().get_queryset()
        user = self.request.user
        if not isinstance(user, User):
            return tokens.none()
        return tokens if user.is_superuser else tokens.filter(user=user)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "create":
            return serializers.CreateApiTokenSerializer
        return super().get_serializer_class()

    @extend_schema(
        request=serializers.CreateApiTokenSerializer,
        responses={
            201: serializers.CreatedApiTokenSerializer,
            403: OpenApiResponse(description="Signed in with a token, not a session."),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create a token of your own; the answer holds its key, shown once."""
        if request.auth is not None or not isinstance(request.user, User):
            raise exceptions.PermissionDenied(
                _("Tokens are created by a signed-in person, not by another token.")
            )
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, key = services.create_token(
            request.user, **serializer.validated_data, by=request.user
        )
        data = serializers.CreatedApiTokenSerializer(token).data
        return Response({**data, "key": key}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=serializers.ApiTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        """Revoke the token: its key signs nobody in from now on. Revoking it
        again changes nothing."""
        token = self.get_object()
        services.revoke_token(token)
        return Response(serializers.ApiTokenSerializer(token).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Revoke the token (it stays listed, with its revocation time)."""
        services.revoke_token(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
