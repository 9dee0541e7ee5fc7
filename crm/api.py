"""The REST API's router and error handling."""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, routers
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.viewsets import ViewSetMixin

from customers import api as customers_api
from feedback import api as feedback_api
from feedback import metrics_api
from idempotency import api as idempotency_api
from imports import api as imports_api
from surveys import api as surveys_api
from tokens import api as tokens_api
from webhooks import api as webhooks_api


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus two of Django's exceptions as JSON errors.

    A ValidationError (raised by services) is a 400; its errors about the whole
    object (`__all__`) get DRF's key for them. A body over
    DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 (Django's own answer is an HTML 400).
    """
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    if isinstance(exc, DjangoValidationError):
        detail = as_serializer_error(exc)
        if NON_FIELD_ERRORS in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)


class Router(routers.DefaultRouter):
    """DRF's router, honouring an `Idempotency-Key` on every POST of every
    viewset it routes, `@action`s included (idempotency/api.py)."""

    def register(
        self, prefix: str, viewset: type[ViewSetMixin], *args: Any, **kwargs: Any
    ) -> None:
        super().register(prefix, idempotency_api.idempotent(viewset), *args, **kwargs)


router = Router()
router.register("customers", customers_api.CustomerViewSet)
router.register("companies", customers_api.CompanyViewSet)
router.register("touchpoints", customers_api.TouchpointViewSet)
router.register("interactions", customers_api.InteractionViewSet)
router.register("surveys", surveys_api.SurveyViewSet)
router.register("invitations", surveys_api.InvitationViewSet)
router.register("responses", surveys_api.SurveyResponseViewSet)
router.register("cases", feedback_api.CaseViewSet)
router.register("root-causes", feedback_api.RootCauseViewSet)
router.register("metrics", metrics_api.MetricsViewSet, basename="metrics")
router.register("imports", imports_api.ImportViewSet, basename="import")
router.register("exports", imports_api.ExportViewSet, basename="export")
router.register("tokens", tokens_api.ApiTokenViewSet)
router.register("webhooks", webhooks_api.SubscriptionViewSet)
