"""The REST API's router and error handling."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, routers
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from customers import api as customers_api


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus Django's ValidationError (raised by services) as a 400."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    return drf_exception_handler(exc, context)


router = routers.DefaultRouter()
router.register("customers", customers_api.CustomerViewSet)
router.register("companies", customers_api.CompanyViewSet)
router.register("touchpoints", customers_api.TouchpointViewSet)
router.register("interactions", customers_api.InteractionViewSet)
