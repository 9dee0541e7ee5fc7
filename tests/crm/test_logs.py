"""Django's log lines are redacted (crm/settings.py LOGGING): a failed
request's path names no survey token, with DEBUG on or off, and neither does
runserver's request line (`make run`)."""

import io
import logging
from collections.abc import Iterator

import pytest

from lib.logs import RedactingFilter

TOKEN = "3f0a" * 16  # a survey link's token: 64 hex digits


def handlers_writing(name: str) -> list[logging.Handler]:
    """The handlers that write a record of logger `name` (logging's own walk
    up the loggers), but for those pytest adds to the root while it runs."""
    handlers: list[logging.Handler] = []
    logger: logging.Logger | None = logging.getLogger(name)
    while logger is not None:
        handlers += logger.handlers
        logger = logger.parent if logger.propagate else None
    return [
        handler
        for handler in handlers
        if not type(handler).__module__.startswith("_pytest")
    ]


@pytest.mark.parametrize(
    "name",
    ["django.request", "django.security.csrf", "django.server", "surveys.views"],
)
def test_every_handler_that_writes_a_request_log_redacts(name):
    handlers = handlers_writing(name)

    assert handlers, name
    for handler in handlers:
        assert any(isinstance(each, RedactingFilter) for each in handler.filters), (
            name,
            handler,
        )


def output_of(handler_name: str, logger: logging.Logger) -> Iterator[io.StringIO]:
    """What the logger's handler of that name writes while the test runs."""
    [handler] = [each for each in logger.handlers if each.name == handler_name]
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    # Not setStream, which flushes the stream it replaces: when the suite
    # runs in another order, that may be a capture pytest has closed.
    previous, handler.stream = handler.stream, stream
    yield stream
    handler.stream = previous


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    yield from output_of("console", logging.getLogger())


@pytest.fixture
def runserver_output() -> Iterator[io.StringIO]:
    yield from output_of("django.server", logging.getLogger("django.server"))


def test_a_bad_request_is_logged_without_its_survey_token(console):
    logging.getLogger("django.request").warning("Bad Request: %s", f"/s/{TOKEN}/")

    assert console.getvalue() == "Bad Request: /s/…/\n"


def test_runserver_logs_a_survey_request_without_its_token(runserver_output):
    logging.getLogger("django.server").info(
        '"%s" %s %s',
        f"GET /s/{TOKEN}/?score=9 HTTP/1.1",
        "200",
        "512",
        extra={"status_code": 200, "server_time": "07/Dec/2026 10:00:00"},
    )

    assert runserver_output.getvalue().endswith(
        '"GET /s/…/?score=… HTTP/1.1" 200 512\n'
    )
    assert TOKEN not in runserver_output.getvalue()


def test_the_celery_worker_and_beat_write_their_logs_redacted():
    """Celery gives the worker and beat handlers of its own (Django's console
    handler is gone there); crm/celery.py gives them the filter."""
    from celery.signals import after_setup_logger, after_setup_task_logger

    import crm.celery  # noqa: F401 (connects the receivers)

    for number, signal in enumerate([after_setup_logger, after_setup_task_logger]):
        written = io.StringIO()
        logger = logging.getLogger(f"test-celery-{number}")
        logger.handlers = [logging.StreamHandler(written)]
        logger.propagate = False

        signal.send(
            sender=None,
            logger=logger,
            loglevel=logging.INFO,
            logfile=None,
            format="%(message)s",
            colorize=False,
        )
        logger.error("SMTP refused ada@example.com for /s/%s/", "ab" * 32)

        assert written.getvalue() == "SMTP refused … for /s/…/\n"
