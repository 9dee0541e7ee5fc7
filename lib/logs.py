"""Log lines that hold no working secret and no email address, phone number or
Chinese ID number.

A survey link's token answers, comments and unsubscribes for its customer; an
API key acts as its user; an email address, a phone number and a resident ID
are personal data (an SMTP refusal names its recipient; a database error
quotes its row). Whoever reads the
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
# A Chinese resident ID: region, birth date, sequence, check digit (or X).
CHINESE_ID = re.compile(
    r"(?<![\dA-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])"
    r"(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])"
)
# A phone number written internationally (+86 138 0013 8000, +44 (20) 7946-0958),
# a Chinese mobile number (138 0013 8000, 13800138000) or a number in the
# North American way ((555) 123-4567, 555.123.4567). Not a time offset
# (+08:00), a signed figure (+7.3) or an id.
INTERNATIONAL_PHONE = re.compile(r"(?<![0-9A-Za-z_+])\+\d[\d\s().-]{6,18}\d(?!\d)")
# (ASCII borders: a number written right after Chinese text is a number.)
CHINESE_MOBILE = re.compile(
    r"(?<![0-9A-Za-z_.])1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?![0-9A-Za-z_.])"
)
NATIONAL_PHONE = re.compile(
    r"(?<![0-9A-Za-z_.])\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?![0-9A-Za-z_.])"
)
# A survey token (64 hex digits), its hash, a token's nonce (32) or an API key
# of the old format (40): any run of hex digits as long as a secret.
LONG_HEX = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{32,}(?![0-9A-Fa-f])")


def redact(text: str) -> str:
    """`text` without survey tokens, API keys, email addresses, phone
    numbers, Chinese ID numbers or query string values; redacting twice
    changes nothing more."""
    text = QUERY.sub(lambda match: "?" + redact_query(match[1]), text)
    text = SURVEY_PATH.sub(f"/s/{REDACTED}", text)
    text = API_KEY.sub(f"tl_{REDACTED}", text)
    text = EMAIL.sub(REDACTED, text)
    # Secrets first: a run of digits inside a token is no phone number.
    text = LONG_HEX.sub(REDACTED, text)
    text = CHINESE_ID.sub(REDACTED, text)
    for phone in (INTERNATIONAL_PHONE, CHINESE_MOBILE, NATIONAL_PHONE):
        text = phone.sub(REDACTED, text)
    return text


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
