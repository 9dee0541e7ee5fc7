import logging
import os
from typing import Any

from celery import Celery
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    task_postrun,
    task_prerun,
)
from django.db import close_old_connections

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


@task_prerun.connect
@task_postrun.connect
def close_spent_connections(sender: Any = None, **kwargs: Any) -> None:
    """Around each task, Django's rule for database connections, as around
    each web request: close one that is broken or older than CONN_MAX_AGE,
    and check the next one's health before use. Celery's own rule (closing
    every connection before and after every task) is switched off by
    CELERY_DB_REUSE_MAX: a new PostgreSQL connection per task cost a
    comment's reading more than the reading itself. Not for a task run
    eagerly, inside its caller's transaction."""
    request = getattr(sender, "request", None)
    if not getattr(request, "is_eager", False):
        close_old_connections()
