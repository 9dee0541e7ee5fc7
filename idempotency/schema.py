"""The `Idempotency-Key` header in the OpenAPI schema: a drf-spectacular
postprocessing hook (settings.SPECTACULAR_SETTINGS), for every POST, as every
POST the router serves honours it (idempotency/api.py)."""

import copy
from typing import Any

from idempotency.api import HEADER, REPLAYED_HEADER

KEY_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": "^[ -~]+$",
    },
    "description": (
        "Makes the POST safe to retry: a unique value per intended request "
        "(e.g. a UUID), up to 255 printable ASCII characters. A retry with the "
        "same key, method, path, query and body within 24 hours gets the first "
        f"answer again, with the header `{REPLAYED_HEADER}: true`, and changes "
        "nothing; the same key with a different request is a 409, and so is a "
        "retry while the first request is still running. Keys are per user; "
        "an answer with a 5xx status is not kept."
    ),
}
ERROR_CONTENT = {
    "application/json": {
        "schema": {
            "type": "object",
            "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
        }
    }
}
CONFLICT = {
    "description": (
        f"The {HEADER} was used for a different request, or the first request "
        "with it is still being processed."
    ),
    "content": ERROR_CONTENT,
}
INVALID_KEY = {
    "description": f"Invalid input, or an invalid {HEADER} header.",
}
REPLAYED = {
    "description": "`true` when this is the stored answer to an earlier request "
    f"with the same {HEADER}.",
    "schema": {"type": "string", "enum": ["true"]},
}


def document_idempotency_key(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    for operations in result.get("paths", {}).values():
        operation = operations.get("post")
        if operation is None:
            continue
        # Copies: a YAML dump would show one object shared by many operations
        # as anchors and aliases.
        operation.setdefault("parameters", []).append(copy.deepcopy(KEY_PARAMETER))
        responses = operation.setdefault("responses", {})
        for code, response in responses.items():
            if str(code).startswith("2"):
                headers = response.setdefault("headers", {})
                headers[REPLAYED_HEADER] = copy.deepcopy(REPLAYED)
        responses.setdefault("400", copy.deepcopy(INVALID_KEY))
        responses.setdefault("409", copy.deepcopy(CONFLICT))
    return result
