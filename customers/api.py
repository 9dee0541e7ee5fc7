from rest_framework import viewsets

from customers.models import Company, Customer, Interaction, Touchpoint


class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Customer.objects.all()


class CompanyViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Company.objects.all()


class TouchpointViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Touchpoint.objects.all()


class InteractionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Interaction.objects.all()
