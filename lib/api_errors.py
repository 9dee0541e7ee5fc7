"""The API's error answers: DRF's exception handler, plus Django's own
exceptions as JSON (settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]).

Apart from lib/api.py: this imports DRF's views module, which itself imports
the classes lib/api.py holds while it loads.
"""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


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
