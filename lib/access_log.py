"""Who looked at whom (README "Privacy"): a staff member's read of a
customer, an answer or a case is written to django-auditlog's log as an
ACCESS entry, next to the change history it keeps of the same rows.

- a page or an API retrieve of one row: an entry about that row;
- a list (an API page) or an export: one entry for the request, about the
  model, with the names of the filters used and the number of rows — not
  the rows, and not the filters' values (a search may be a name or an
  address, which the log would then have to erase).

Entries name the row by its model and id (`customer #42`), never by
str(row), which is the customer's name. privacy.access_log reads them back
("who accessed this customer") and forgets them on erasure.
"""

import re
from collections.abc import Iterable
from typing import Any

from auditlog.context import auditlog_value
from auditlog.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest, HttpResponse
from rest_framework.request import Request
from rest_framework.response import Response


class Via(models.TextChoices):
    """How the row was read."""

    ADMIN = "admin"
    API = "api"
    EXPORT = "export"


# Query parameters that are the request's mechanics, not a filter.
NOT_FILTERS = frozenset({"cursor", "page_size", "format", "bom", "ordering"})

User = AbstractBaseUser | AnonymousUser


def object_repr(model: type[models.Model], pk: object) -> str:
    """What an entry calls its row: the model and the id, in no language."""
    return f"{model._meta.model_name} #{pk}"


def staff_member(user: User | None) -> Any:
    return user if user is not None and user.is_authenticated else None


def record_view(user: User | None, row: models.Model, *, via: Via) -> LogEntry:
    """`user` read `row` (its page, or its API retrieve)."""
    model = type(row)
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_pk=str(row.pk),
        object_id=row.pk if isinstance(row.pk, int) else None,
        object_repr=object_repr(model, row.pk),
        action=LogEntry.Action.ACCESS,
        actor=staff_member(user),
        additional_data={"via": via.value},
    )


# A filter's name as the views spell them (`created_at__gte`, `search`): a
# client's made-up parameter (`?ada@example.com=1`) is not copied to the log.
FILTER_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def record_list(
    user: User | None,
    model: type[models.Model],
    *,
    via: Via,
    parameters: Iterable[str],
    count: int,
) -> LogEntry:
    """`user` read `count` rows of `model` in one request (a list page or an
    export) chosen with the query `parameters`: one entry, whatever the
    count, with the filters' names only."""
    used = sorted(
        {
            name
            for name in parameters
            if name not in NOT_FILTERS and FILTER_NAME.fullmatch(name)
        }
    )
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_pk="",
        object_id=None,
        object_repr=f"{model._meta.model_name} list",
        action=LogEntry.Action.ACCESS,
        actor=staff_member(user),
        additional_data={
            "via": via.value,
            "list": True,
            "filters": used,
            "count": count,
        },
    )


def attribute_changes_to(user: User | None) -> None:
    """The change history's actor for the rest of the request. Its
    middleware knows the session's user; an API token's user is known only
    once the API has authenticated the request."""
    try:
        context = auditlog_value.get()
    except LookupError:  # outside a request: a task, a command
        return
    if context.get("actor") is None and staff_member(user) is not None:
        context["actor"] = user


class LogAccessAdmin:
    """A ModelAdmin whose change (or view) page records who opened it."""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response: HttpResponse = super().change_view(  # type: ignore[misc]
            request, object_id, form_url, extra_context
        )
        # Shown, not saved: a save is in the change history, and its
        # redirect shows the page again (recorded then).
        row = getattr(response, "context_data", {}).get("original")
        if request.method == "GET" and response.status_code == 200 and row:
            record_view(request.user, row, via=Via.ADMIN)
        return response


class LogAccessViewSet:
    """A DRF viewset whose retrieve records the row read, and whose list
    records one entry per page with its filters' names and its count (one
    insert, whatever the page's size)."""

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        row = self.get_object()  # type: ignore[attr-defined]
        serializer = self.get_serializer(row)  # type: ignore[attr-defined]
        record_view(request.user, row, via=Via.API)
        return Response(serializer.data)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response: Response = super().list(  # type: ignore[misc]
            request, *args, **kwargs
        )
        if response.status_code == 200:
            data = response.data
            rows = data.get("results", []) if isinstance(data, dict) else data
            record_list(
                request.user,
                self.get_queryset().model,  # type: ignore[attr-defined]
                via=Via.API,
                parameters=request.query_params.keys(),
                count=len(rows),
            )
        return response

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        attribute_changes_to(request.user)
