"""`Idempotency-Key` on every POST of the REST API.

crm/api.py's router puts `IdempotentViewMixin` in front of every viewset it
registers (`idempotent`), so that each of their POSTs, `@action`s included,
honours the header without a line in the viewsets. It works inside DRF's view
rather than as a Django middleware because a key belongs to a user, and only
the view knows who the request's key or session authenticates.

The hooks are DRF's own: `initialize_request` hashes the request before
anything reads its body; `initial`, after authentication, permission and
throttle checks, claims the key, or answers with the stored response or a 409
by raising; `handle_exception` and `finalize_response` keep the answer, or
forget the key when the view failed (an exception or a 5xx) so that a retry
runs again.

Only POST: PUT, PATCH and DELETE are idempotent by themselves, and GET, PUT,
PATCH and DELETE ignore the header. Anonymous requests (on a view that allows
them) have no owner to keep a key for and ignore it too.
"""

import hashlib
import re
import tempfile
from typing import Any, BinaryIO, TypeVar, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import SimpleTemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from idempotency import services
from idempotency.models import IdempotencyKey

T = TypeVar("T")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
METHODS = frozenset({"POST"})
# Printable ASCII, as HTTP headers carry it everywhere.
KEY = re.compile(r"[ -~]{1,255}")
# What a replay repeats besides the status and the body.
KEPT_HEADERS = ("Content-Type", "Location")
CHUNK_SIZE = 64 * 1024


class InvalidKey(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _(
        "The Idempotency-Key header must be 1 to 255 printable ASCII characters."
    )
    default_code = "invalid_idempotency_key"


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _(
        "This Idempotency-Key was already used for a different request; "
        "use a new key for a new request."
    )
    default_code = "idempotency_key_reused"


class KeyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("A request with this key is still being processed.")
    default_code = "idempotency_key_in_progress"


class Replay(Exception):  # noqa: N818 (no error: a way out of `initial`)
    """Raised by `initial` to answer with a stored response instead of the
    view's (DRF's dispatch runs the handler right after `initial`)."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__()
        self.response = response


class SecretNotKept(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _(
        "This answer holds a secret that is shown once and never stored: "
        "send the request without an Idempotency-Key."
    )
    default_code = "idempotency_not_allowed"


class IdempotentViewMixin(APIView):
    idempotency_hash: str | None = None
    idempotency_claim: IdempotencyKey | None = None

    def initialize_request(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> Request:
        # Before the parsers or the session's CSRF check read the body; only
        # bodies of a size a view may accept at all.
        if (
            request.method in METHODS
            and HEADER in request.headers
            and declared_length(request) <= MAX_BODY_BYTES
        ):
            self.idempotency_hash = hash_request(request)
        return super().initialize_request(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if self.idempotency_hash is None or request.user.pk is None:
            return
        key = request.headers[HEADER]
        # A view whose answer holds a secret shown once (a new API key) sets
        # `keeps_answers_for_replay = False`: a replay would store it in plain
        # text. Read with getattr: this mixin comes first in the MRO.
        if not getattr(self, "keeps_answers_for_replay", True):
            raise SecretNotKept
        if not KEY.fullmatch(key):
            raise InvalidKey
        try:
            record = services.begin(
                owner_id=request.user.pk,
                key=key,
                method=request.method or "",
                path=request.path,
                request_hash=self.idempotency_hash,
                now=timezone.now(),
            )
        except services.KeyReusedError:
            raise KeyReused from None
        except services.KeyInProgressError:
            raise KeyInProgress from None
        if record.status == IdempotencyKey.Status.COMPLETED:
            raise Replay(replay(record))
        self.idempotency_claim = record

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, Replay):
            return cast(Response, exc.response)
        try:
            return super().handle_exception(exc)
        except BaseException:
            # An exception DRF does not answer: a 500 follows.
            self.release_idempotency_key()
            raise

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        record, self.idempotency_claim = self.idempotency_claim, None
        if record is None:
            return response
        if response.status_code >= 500 or response.streaming:
            services.release(record)
            return response
        try:
            if isinstance(response, SimpleTemplateResponse):
                response.render()
            services.complete(
                record,
                status_code=response.status_code,
                headers={
                    name: response[name] for name in KEPT_HEADERS if name in response
                },
                body=response.content,
                now=timezone.now(),
            )
        except BaseException:
            services.release(record)
            raise
        return response

    def release_idempotency_key(self) -> None:
        record, self.idempotency_claim = self.idempotency_claim, None
        if record is not None:
            services.release(record)


def idempotent(view_class: type[T]) -> type[T]:
    """`view_class` with IdempotentViewMixin in front, under its own name,
    module and docstring (the schema reads them)."""
    if issubclass(view_class, IdempotentViewMixin):
        return view_class
    return cast(
        type[T],
        type(
            view_class.__name__,
            (IdempotentViewMixin, view_class),
            {
                "__module__": view_class.__module__,
                "__qualname__": view_class.__qualname__,
                "__doc__": view_class.__doc__,
            },
        ),
    )


# Larger bodies are refused by the views themselves (the CSV upload limit is
# below this); their key is not looked at.
MAX_BODY_BYTES = 64 * 1024 * 1024


def declared_length(request: HttpRequest) -> int:
    """The body's Content-Length; a missing or bad one counts as too long
    (chunked bodies are not hashed)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return MAX_BODY_BYTES + 1


def hash_request(request: HttpRequest) -> str:
    """sha256 of the method, path, query string and body.

    The body is read in chunks and put back as a spooled file, the way Django
    keeps uploads: a large upload is hashed without being held in memory and
    without tripping DATA_UPLOAD_MAX_MEMORY_SIZE, as `request.body` would.
    """
    digest = hashlib.sha256()
    for part in (
        request.method or "",
        request.path,
        request.META.get("QUERY_STRING", ""),
    ):
        data = part.encode("utf-8", "backslashreplace")
        # Length-prefixed: no two different requests give the same bytes.
        digest.update(b"%d:" % len(data) + data)
    if hasattr(request, "_body"):
        digest.update(request.body)
        return digest.hexdigest()
    stream = request._stream
    # Open for the rest of the request: its parsers read it.
    spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115
        max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    )
    while chunk := stream.read(CHUNK_SIZE):
        digest.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    # Django and DRF read the body from here on (`_read_started` is still
    # false: nothing has read the request itself).
    request._stream = cast(BinaryIO, spool)
    return digest.hexdigest()


def replay(record: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(bytes(record.response_body), status=record.response_status)
    if "Content-Type" not in record.response_headers:
        del response["Content-Type"]
    for name, value in record.response_headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response
