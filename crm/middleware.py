from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


def refuse_nul_in_query_string(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """A 400 for a NUL in the query string, before any view sees it.

    PostgreSQL cannot hold or even compare text with a NUL, so an admin filter
    or search carrying one would end in a 500. No real query needs one. The
    API is left alone: its filters refuse a NUL themselves, with a JSON error
    per parameter.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            return get_response(request)
        if any("\x00" in key or "\x00" in value for key, value in request.GET.items()):
            return HttpResponseBadRequest(
                "The query string contains a NUL character.", content_type="text/plain"
            )
        return get_response(request)

    return middleware


def permissions_policy(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """settings.PERMISSIONS_POLICY on every response: the browser features no
    page of Touchloop uses (camera, microphone, geolocation, …) are off, for
    this site and anything it frames. One fixed header, so no library."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    return middleware
