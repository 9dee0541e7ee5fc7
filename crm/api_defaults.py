"""The API's default classes, named in settings.REST_FRAMEWORK.

Kept apart from `crm/api.py`: DRF imports these while its own views module
loads, so this module must not import views, viewsets or the router.
"""

from rest_framework import pagination, permissions
from rest_framework.authentication import TokenAuthentication


class BearerTokenAuthentication(TokenAuthentication):
    """`Authorization: Bearer <key>`, the header every HTTP client knows."""

    keyword = "Bearer"


class ModelPermissions(permissions.DjangoModelPermissions):
    """The user's Django permissions, with `view` required for reads too."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


class IdCursorPagination(pagination.CursorPagination):
    """Stable, index-backed pages: `?cursor=` never skips or repeats a row."""

    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 500
