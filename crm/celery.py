import logging
import os
from typing import Any

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

from lib.logs import RedactingFilter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def redact_worker_logs(logger: logging.Logger, **kwargs: Any) -> None:
    """The worker and beat replace Django's log handlers with their own: give
    theirs the same filter, so that an error's text (an SMTP refusal naming
    the recipient, a row in a database error) is written without an email
    address, a survey token or an API key (lib/logs.py)."""
    for handler in logger.handlers:
        handler.addFilter(RedactingFilter())
