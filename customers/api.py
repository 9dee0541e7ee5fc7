"""The customers API: create, read, update and list; nothing is deleted here
(customers are erased, and history keeps pointing at them).

Lists render foreign keys as ids, read from the row itself: no joins needed
and no query per row.
"""

from typing import TypeVar

from django.db import models
from rest_framework import mixins, viewsets
from rest_framework.serializers import BaseSerializer

from customers import filters, serializers
from customers.models import Company, Customer, Interaction, Touchpoint

M = TypeVar("M", bound=models.Model)


class CreateReadUpdateViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet[M],
):
    pass


class CompanyViewSet(CreateReadUpdateViewSet[Company]):
    queryset = Company.objects.all()
    serializer_class = serializers.CompanySerializer
    filterset_class = filters.CompanyFilter


class CustomerViewSet(CreateReadUpdateViewSet[Customer]):
    queryset = Customer.objects.all()
    serializer_class = serializers.CustomerSerializer
    filterset_class = filters.CustomerFilter


class TouchpointViewSet(CreateReadUpdateViewSet[Touchpoint]):
    queryset = Touchpoint.objects.all()
    serializer_class = serializers.TouchpointSerializer
    filterset_class = filters.TouchpointFilter


class InteractionViewSet(CreateReadUpdateViewSet[Interaction]):
    queryset = Interaction.objects.all()
    serializer_class = serializers.InteractionSerializer
    filterset_class = filters.InteractionFilter

    def perform_create(self, serializer: BaseSerializer[Interaction]) -> None:
        serializer.save(logged_by=self.request.user)
