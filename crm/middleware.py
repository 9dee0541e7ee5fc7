from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import translation

from feedback.services import preferences


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


def staff_language(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """A signed-in staff member's pages in the language they keep (their
    StaffPreference, which their mail speaks too), on whatever browser; the
    choice they make in the language menu is kept there.

    Everyone else has LocaleMiddleware's: the language menu's cookie, else the
    browser's Accept-Language. The menu posts to Django's set_language, which
    checks the language and sets that cookie; a staff member's choice is
    taken from the cookie it set, so that both agree."""

    def middleware(request: HttpRequest) -> HttpResponse:
        user = request.user
        is_staff = user.is_authenticated and user.is_staff
        if is_staff:
            kept = preferences.staff_language(user)  # type: ignore[arg-type]
            if kept is not None:
                translation.activate(kept)
                request.LANGUAGE_CODE = kept
        response = get_response(request)
        match = request.resolver_match
        chosen = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
        if (
            is_staff
            and chosen is not None
            # set_language takes any language Django has a catalog for; the
            # others are ignored, as LocaleMiddleware ignores their cookie.
            and chosen.value in dict(settings.LANGUAGES)
            and match is not None
            and match.url_name == "set_language"
        ):
            preferences.set_staff_language(user, language=chosen.value)  # type: ignore[arg-type]
        return response

    return middleware
