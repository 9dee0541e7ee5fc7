"""The error answers every API operation can give, in the OpenAPI schema: a
drf-spectacular postprocessing hook (settings.SPECTACULAR_SETTINGS).

drf-spectacular documents what a view returns when all goes well; the errors
come from layers it does not see (authentication, permissions, throttling,
the parsers, the filters, the cursor and `lib.api_errors.exception_handler`), the
same for every view, so they are added here by method and shape of the
operation. A view's own description of a code is kept; only its missing body
is filled in.
"""

import copy
from typing import Any

DETAIL = "ErrorDetail"
INVALID = "ValidationError"

COMPONENTS: dict[str, dict[str, Any]] = {
    DETAIL: {
        "type": "object",
        "description": "An error about the whole request.",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    INVALID: {
        "type": "object",
        "description": (
            "Invalid input: each field's name with a list of messages (nested "
            "for nested fields), `non_field_errors` for the input as a whole, or "
            "`detail` for a body that could not be read at all."
        ),
        "additionalProperties": {},
        "example": {"email": ["Enter a valid email address."]},
    },
}

RETRY_AFTER = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer"},
}


def error(description: str, component: str = DETAIL) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": f"#/components/schemas/{component}"}
            }
        },
    }


def standard_errors(
    path: str, method: str, operation: dict[str, Any]
) -> dict[str, Any]:
    """The errors this operation can answer with, by code."""
    errors: dict[str, Any] = {}
    has_body = "requestBody" in operation
    query = {
        parameter["name"]
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == "query"
    }
    if has_body or query - {"cursor", "page_size"}:
        errors["400"] = error(
            "Invalid input: a field or filter value refused, or a body that is "
            "not valid JSON.",
            INVALID,
        )
    security = operation.get("security", [])
    if security and {} not in security:
        errors["401"] = error(
            "No credentials, or invalid ones: an unknown, expired or revoked "
            "token (`WWW-Authenticate: Bearer`)."
        )
        errors["403"] = error(
            "Not allowed: the user's permissions or the token's scope do not "
            "cover this operation (or this row)."
        )
    if "{id}" in path:
        errors["404"] = error("No such row, or not one the requester may see.")
    elif "cursor" in query:
        errors["404"] = error("Invalid cursor.")
    errors["406"] = error("No answer in a media type the Accept header allows.")
    if has_body:
        errors["413"] = error("The request body is too large.")
        errors["415"] = error("The body's Content-Type is not supported.")
    if security:
        errors["429"] = {
            **error("Too many requests for this token or user: slow down."),
            "headers": {"Retry-After": RETRY_AFTER},
        }
    return errors


def document_errors(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, component in COMPONENTS.items():
        schemas.setdefault(name, copy.deepcopy(component))
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, response in standard_errors(path, method, operation).items():
                known = responses.get(code)
                if known is None:
                    # Copies: a YAML dump would show shared objects as aliases.
                    responses[code] = copy.deepcopy(response)
                elif "content" not in known:
                    known["content"] = copy.deepcopy(response["content"])
            # Validation errors of a body or a filter, whoever declared the 400.
            if "400" in responses and "content" not in responses["400"]:
                responses["400"]["content"] = copy.deepcopy(
                    error("", INVALID)["content"]
                )
    return result
