"""Around each task, Django's rule for database connections (as around each
web request): a connection younger than CONN_MAX_AGE serves the next task;
a broken or older one is closed. Celery's own rule, a new connection for
every task, cost a comment's reading more than the reading itself."""

import time

import pytest
from celery.fixups.django import DjangoFixup
from django.db import connection

from crm.celery import app, close_spent_connections
from text import tasks

# serialized_rollback: the flush after the test must not take the roles and
# root causes that migrations made from the tests that run later.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def open_connection(*, closes_in: float) -> object:
    connection.ensure_connection()
    connection.close_at = time.monotonic() + closes_in
    return connection.connection


def test_a_young_connection_serves_the_next_task():
    opened = open_connection(closes_in=600)

    close_spent_connections(sender=tasks.enrich_comment_task)

    assert connection.connection is opened


def test_a_connection_older_than_its_age_is_closed_after_a_task():
    open_connection(closes_in=-1)

    close_spent_connections(sender=tasks.enrich_comment_task)

    assert connection.connection is None


def test_celerys_own_closing_leaves_the_connection_alone():
    opened = open_connection(closes_in=600)
    fixup = DjangoFixup(app).worker_fixup  # what a worker installs

    for _ in range(1000):
        fixup.on_task_prerun(sender=tasks.enrich_comment_task)
        fixup.on_task_postrun(sender=tasks.enrich_comment_task)

    assert connection.connection is opened
