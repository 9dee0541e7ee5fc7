"""Log lines that hold no working secret and no email address.

A survey link's token answers, comments and unsubscribes for its customer; an
API key acts as its user; an email address is personal data. Whoever reads the
logs gets none of them: gunicorn's access and error logs (gunicorn.conf.py)
and every handler of Django's logging (crm/settings.py LOGGING) pass what they
write through `redact`.
"""

import logging
import re

REDACTED = "…"

# A query string keeps its parameter names, never their values: a filter's
# value may be an email address, a search a name, a mistaken parameter a key.
QUERY = re.compile(r"\?([^\s\"'#]*)")
PARAMETER_NAME = re.compile(r"[\w.\[\]-]+")
# The segment after /s/ is a survey link's token, whatever its shape.
SURVEY_PATH = re.compile(r"/s/[^/?#\s\"']+")
# tokens.services.KEY_PREFIX, then the key (its first 8 characters, the
# prefix the admin shows, say which token it is and stay).
API_KEY = re.compile(r"(?<![\w-])tl_[\w-]{6,}")
EMAIL = re.compile(r"[\w.%+-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+")
# A survey token (64 hex digits), its hash, a token's nonce (32) or an API key
# of the old format (40): any run of hex digits as long as a secret.
LONG_HEX = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{32,}(?![0-9A-Fa-f])")


def redact(text: str) -> str:
    """`text` without survey tokens, API keys, email addresses or query
    string values; redacting twice changes nothing more."""
    text = QUERY.sub(lambda match: "?" + redact_query(match[1]), text)
    text = SURVEY_PATH.sub(f"/s/{REDACTED}", text)
    text = API_KEY.sub(f"tl_{REDACTED}", text)
    text = EMAIL.sub(REDACTED, text)
    return LONG_HEX.sub(REDACTED, text)


def redact_query(query: str) -> str:
    """`a=1&b=x@y.z` → `a=…&b=…`; a name that is no parameter name goes too."""
    parameters = []
    for parameter in query.split("&"):
        name, equals, value = parameter.partition("=")
        if not PARAMETER_NAME.fullmatch(name):
            name = REDACTED if name else ""
        parameters.append(f"{name}{equals}{REDACTED if value else ''}")
    return "&".join(parameters)


class RedactingFilter(logging.Filter):
    """Redacts a record's whole text, its traceback and stack included, before
    a handler writes it. Attached to a handler (Django's console) or to a
    logger (gunicorn's); it never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(message_of(record))
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def message_of(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # arguments that do not fit the format: keep both
        return f"{record.msg} {record.args!r}"
