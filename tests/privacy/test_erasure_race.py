"""An answer and an erasure of its customer at the same moment, on
PostgreSQL with two connections: the answer is refused cleanly or erased
with the rest — never left with what the person wrote."""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from privacy.services.erasure import erase_customer
from surveys.models import Invitation, SurveyResponse
from surveys.services.answers import record_response
from tests.factories import CustomerFactory, InvitationFactory, SurveyFactory

# serialized_rollback: the flush after the test must not take the roles and
# root causes that migrations made from the tests that run later.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WORDS = "my neighbour Ingrid Vasquez-Holt at 12 Larch Road saw it all"


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent writers need PostgreSQL")


def sent_invitation() -> Invitation:
    return InvitationFactory.create(
        customer=CustomerFactory.create(email="ingrid@race.example"),
        survey=SurveyFactory.create(kind="nps"),
        status=Invitation.Status.SENT,
    )


def wait_for_a_lock_wait(timeout: float = 30) -> None:
    """Until another connection waits for a row lock."""
    deadline = time.monotonic() + timeout
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("no connection waited for a lock")


def in_thread(target, outcome: dict) -> threading.Thread:
    def run() -> None:
        try:
            outcome["value"] = target()
        except BaseException as error:
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_an_answer_under_way_is_erased_with_the_rest():
    invitation = sent_invitation()
    person = invitation.customer
    holding, answer_now = threading.Event(), threading.Event()
    answered: dict = {}

    def answer() -> object:
        with transaction.atomic():
            # The answer service's first step: the invitation's row.
            Invitation.objects.select_for_update(no_key=True).get(pk=invitation.pk)
            holding.set()
            answer_now.wait(timeout=30)
            return record_response(invitation, score=2, comment=WORDS)

    answering = in_thread(answer, answered)
    assert holding.wait(timeout=30)
    erased: dict = {}
    erasing = in_thread(lambda: erase_customer(person.pk), erased)
    wait_for_a_lock_wait()  # the erasure waits for the answer
    answer_now.set()
    answering.join()
    erasing.join()

    assert "error" not in answered
    assert "error" not in erased
    [response] = SurveyResponse.objects.all()
    assert response.comment == ""
    assert response.customer_id == erased["value"].tombstone_id
    assert not SurveyResponse.objects.filter(comment__contains="Ingrid").exists()


def test_an_answer_that_waited_for_the_erasure_is_refused():
    invitation = sent_invitation()
    person = invitation.customer
    erased_inside, commit_now = threading.Event(), threading.Event()
    erased: dict = {}

    def erase() -> object:
        with transaction.atomic():
            erasure = erase_customer(person.pk)
            erased_inside.set()
            commit_now.wait(timeout=30)
            return erasure

    erasing = in_thread(erase, erased)
    assert erased_inside.wait(timeout=30)
    answered: dict = {}
    answering = in_thread(
        lambda: record_response(invitation, score=2, comment=WORDS), answered
    )
    wait_for_a_lock_wait()  # the answer waits for the erasure
    commit_now.set()
    erasing.join()
    answering.join()

    assert "error" not in erased
    assert isinstance(answered.get("error"), ValidationError)
    assert "can no longer be answered" in str(answered["error"])
    assert not SurveyResponse.objects.exists()
