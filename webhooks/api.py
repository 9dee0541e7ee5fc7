"""The webhooks API: one's own subscriptions (everyone's for managers), their
delivery log, a test event and a new secret.

Django's model permissions decide who reaches the endpoints (the Support and
Manager roles); `get_queryset` decides whose subscriptions they see.
"""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from lib.api import IdCursorPagination
from webhooks import serializers, services
from webhooks.models import Delivery, Subscription


class NewestFirst(IdCursorPagination):
    ordering = "-id"


class SubscriptionViewSet(viewsets.ModelViewSet[Subscription]):
    queryset = Subscription.objects.all()
    serializer_class = serializers.SubscriptionSerializer
    filterset_fields = ["is_active"]

    def get_queryset(self) -> Any:
        return super().get_queryset().filter(services.visible_to(self.request.user))

    @extend_schema(responses={201: serializers.SubscriptionWithSecretSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create a subscription; the answer holds its secret, shown only here
        and in the answer of rotate-secret."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = serializer.save(owner=self.request.user)
        data = serializers.SubscriptionWithSecretSerializer(
            subscription, context=self.get_serializer_context()
        ).data
        return Response(
            data, status=status.HTTP_201_CREATED, headers=self.get_success_headers(data)
        )

    def perform_destroy(self, instance: Subscription) -> None:
        services.delete_subscription(instance)

    @extend_schema(request=None, responses={202: serializers.DeliverySerializer})
    @action(
        detail=True, methods=["post"], serializer_class=serializers.DeliverySerializer
    )
    def test(self, request: Request, pk: str | None = None) -> Response:
        """Send a `ping` event to this subscription alone (active or not)."""
        delivery = services.send_test_event(self.get_object())
        delivery = self.deliveries_of(delivery.subscription).get(id=delivery.pk)
        serializer = serializers.DeliverySerializer(delivery)
        return Response(serializer.data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=serializers.SubscriptionWithSecretSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="rotate-secret",
        serializer_class=serializers.SubscriptionWithSecretSerializer,
    )
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """A new secret, in force at once (for retries of earlier events too),
        shown in this answer only."""
        subscription = services.rotate_secret(self.get_object())
        return Response(self.get_serializer(subscription).data)

    @extend_schema(responses=serializers.DeliverySerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        serializer_class=serializers.DeliverySerializer,
        pagination_class=NewestFirst,
        filter_backends=[],
    )
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        """The delivery log, newest first, each with its attempts."""
        subscription = self.get_object()
        page = self.paginate_queryset(self.deliveries_of(subscription))
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    def deliveries_of(self, subscription: Subscription) -> Any:
        return (
            Delivery.objects.filter(subscription=subscription)
            .select_related("event")
            .prefetch_related("attempt_log")
        )
