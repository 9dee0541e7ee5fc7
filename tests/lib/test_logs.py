"""What lib/logs.py leaves of a log line: no survey token, API key, email
address or query string value, and everything else as it was."""

import io
import logging
from collections.abc import Iterator

import pytest

from lib.logs import RedactingFilter, redact

TOKEN = "3f0a" * 16  # a survey link's token: 64 hex digits
KEY = "tl_" + "Ab1_-" * 8  # an API key: tl_ and 40 characters


@pytest.mark.parametrize(
    ("line", "redacted"),
    [
        (
            f'127.0.0.1 - - [t] "GET /s/{TOKEN}/?score=9 HTTP/1.1" 200 512 "-" "-"',
            '127.0.0.1 - - [t] "GET /s/…/?score=… HTTP/1.1" 200 512 "-" "-"',
        ),
        (
            f'"POST /s/{TOKEN}/unsubscribe HTTP/1.1" 200',
            '"POST /s/…/unsubscribe HTTP/1.1" 200',
        ),
        (
            f'"https://touchloop.example.com/s/{TOKEN}/?score=2"',
            '"https://touchloop.example.com/s/…/?score=…"',
        ),
        (f"Bad Request: /s/{TOKEN}/", "Bad Request: /s/…/"),
        ("Not Found: /s/a-mistyped-link/", "Not Found: /s/…/"),
        (
            '"GET /api/v1/customers/?email=ada%40example.com&cursor=cD0x HTTP/1.1"',
            '"GET /api/v1/customers/?email=…&cursor=… HTTP/1.1"',
        ),
        ("/api/v1/customers/?ada@example.com", "/api/v1/customers/?…"),
        ("/api/v1/customers/?email=&flag", "/api/v1/customers/?email=&flag"),
        (f"Authorization: Bearer {KEY}", "Authorization: Bearer tl_…"),
        ("Could not send to ada.lovelace+crm@example.co.uk", "Could not send to …"),
        (f"Invitation 42: no answer with {TOKEN}", "Invitation 42: no answer with …"),
        ("a key of the old format: " + "0a" * 20, "a key of the old format: …"),
        ("550 no mailbox for +86 138 0013 8000", "550 no mailbox for …"),
        ("call 13800138000 back", "call … back"),
        ("手机：138-0013-8000。", "手机：…。"),
        ("请致电13800138000联系", "请致电…联系"),
        ("desk: +44 (20) 7946-0958, ext", "desk: …, ext"),
        ("row (555) 123-4567 and 555.123.4567", "row … and …"),
        ("身份证 11010519491231002X 不符", "身份证 … 不符"),
        ("id 110105194912310021,", "id …,"),
        # Digits inside a secret are the secret's: all of it goes.
        ("token a13800138000" + "b" * 30, "token …"),
    ],
)
def test_redact_leaves_no_token_key_email_phone_or_id_number(line, redacted):
    assert redact(line) == redacted


@pytest.mark.parametrize(
    "line",
    [
        '127.0.0.1 - - [07/Dec/2026:10:00:00 +0000] "GET /healthz HTTP/1.1" 200 61',
        "Invitation 42 left to its lease",
        "Token Support desk (tl_ab3dE…) revoked",  # the prefix the admin shows
        "Task 6f1c2a9e-3b4d-4c5e-8f70-1a2b3c4d5e6f succeeded",
        "Is anyone there? Yes.",
        '"GET /static/admin/css/base.css HTTP/1.1" 200',
        "2026-12-07T14:30:00+08:00 answer 1234567 read in 532.1 ms",
        "NPS +10.0 points (95% CI +7.3 to +12.7), n = 2,000 / 2,000",
        "Read 100000 comments at 690.8/s; batch of 500 in 0.73 s",
        "Case #20261207 closed; invitation 13800 sent",
    ],
)
def test_redact_keeps_a_line_without_secrets_as_it_is(line):
    assert redact(line) == line


def test_redacting_twice_changes_nothing_more():
    line = f'"GET /s/{TOKEN}/?score=9&e=ada@example.com HTTP/1.1" "{KEY}"'

    assert redact(redact(line)) == redact(line)


@pytest.fixture
def written() -> Iterator[io.StringIO]:
    """What a handler with the filter writes for the logger `tests.logs`."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.logs")
    logger.addHandler(handler)
    logger.propagate = False
    yield stream
    logger.removeHandler(handler)
    logger.propagate = True


def test_the_filter_redacts_the_message_its_arguments_and_the_traceback(written):
    try:
        raise LookupError(f"no invitation for {TOKEN}")
    except LookupError:
        logging.getLogger("tests.logs").exception("Bad Request: %s", f"/s/{TOKEN}/")

    first, *traceback = written.getvalue().splitlines()
    assert first == "Bad Request: /s/…/"
    assert traceback[-1] == "LookupError: no invitation for …"
    assert TOKEN not in written.getvalue()


def test_a_record_whose_arguments_do_not_fit_its_format_is_written_redacted(
    written,
):
    logging.getLogger("tests.logs").warning("Mail to %s %s", "ada@example.com")

    assert written.getvalue() == "Mail to %s %s ('…',)\n"
