"""`Authorization: Bearer <key>` with an API token, for DRF."""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from tokens import services
from tokens.models import ApiToken

KEYWORD = b"bearer"


class ApiTokenAuthentication(BaseAuthentication):
    """The token's user, with `request.auth` the token.

    A read token's scope is enforced here, not by a permission class: several
    views replace the default permission classes with their own (cases,
    metrics, a survey's send), and a scope that any such view could drop
    would not narrow anything.
    """

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid Authorization header: expected `Bearer <key>`.")
            )
        try:
            key = header[1].decode("ascii")
            token = services.authenticate(key)
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        except services.InvalidTokenError as error:
            raise exceptions.AuthenticationFailed(str(error)) from None
        if token.scope == ApiToken.Scope.READ and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied(_("This token may only read."))
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return "Bearer"
