"""A customer changing an answer that opened a case: while the case is open
the change is allowed, and the customer's changes within ten minutes make one
timeline note (and one pending response.updated event) saying what changed;
once the case has been followed up, the answer is settled and nothing
changes."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from feedback.models import Case, CaseEvent, RootCause
from feedback.services import cases
from surveys.models import Invitation, ScoreRollup, SurveyResponse
from surveys.services import answers
from tests.factories import (
    CustomerFactory,
    InvitationFactory,
    SubscriptionFactory,
    SurveyFactory,
)
from webhooks.models import EVENT_TYPES, Delivery, Event

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


@pytest.fixture
def invitation(owner) -> Invitation:
    """A sent NPS invitation of a customer `owner` looks after."""
    return InvitationFactory.create(
        survey=SurveyFactory.create(kind="nps"),
        customer=CustomerFactory.create(owner=owner),
        interaction=None,
        status="sent",
        sent_at=NOW - timedelta(hours=1),
        expires_at=NOW + timedelta(days=29),
    )


@pytest.fixture
def everything(manager):
    """A subscription to every webhook event type."""
    return SubscriptionFactory.create(owner=manager, event_types=list(EVENT_TYPES))


def answer(invitation, score, comment=None) -> answers.Recorded:
    return answers.record_response(invitation, score=score, comment=comment)


def case_of(invitation) -> Case:
    return Case.objects.get(response__invitation=invitation)


def notes(case: Case) -> list[CaseEvent]:
    return list(case.events.filter(kind="note").order_by("created_at", "id"))


def rollup() -> list[tuple[int, int, int]]:
    counts = ScoreRollup.objects.filter(dimension="all")
    return list(counts.values_list("promoters", "passives", "detractors"))


# One note for a burst of changes


def test_six_alternating_changes_within_ten_minutes_make_one_note_and_one_event(
    invitation, everything, clock
):
    answer(invitation, 2, "Nobody called me back")
    case = case_of(invitation)

    for minute, score in enumerate([9, 2, 9, 2, 9, 3], start=1):
        clock.move_to(NOW + timedelta(minutes=minute))
        answer(invitation, score)

    [note] = notes(case)
    assert note.created_at == NOW + timedelta(minutes=1)
    assert note.note == "The customer changed the answer to 3."
    assert note.data == {
        "from_score": 2,
        "from_comment": "Nobody called me back",
        "score": 3,
        "comment": "Nobody called me back",
        "score_changed": True,
        "changes": 6,
        "changed_at": (NOW + timedelta(minutes=6)).isoformat(),
    }
    [updated] = Event.objects.filter(type="response.updated")
    assert updated.created_at == NOW + timedelta(minutes=1)
    assert (updated.payload["score"], updated.payload["band"]) == (3, "detractor")
    [delivery] = Delivery.objects.filter(event=updated)
    assert (delivery.status, delivery.attempts) == ("pending", 0)


def test_a_change_ten_minutes_after_the_first_gets_a_note_of_its_own(invitation, clock):
    answer(invitation, 2)
    case = case_of(invitation)
    clock.move_to(NOW + timedelta(minutes=1))
    answer(invitation, 4)
    clock.move_to(NOW + timedelta(minutes=9, seconds=59))
    answer(invitation, 5)

    clock.move_to(NOW + timedelta(minutes=11))
    answer(invitation, 6)

    first, second = notes(case)
    assert (first.note, first.data["from_score"], first.data["changes"]) == (
        "The customer changed the answer to 5.",
        2,
        2,
    )
    assert (second.note, second.data["from_score"], second.data["changes"]) == (
        "The customer changed the answer to 6.",
        5,
        1,
    )
    assert second.created_at == NOW + timedelta(minutes=11)


def test_a_change_that_changes_nothing_adds_nothing_to_the_note_or_the_event(
    invitation, everything, clock
):
    answer(invitation, 2, "Slow")
    clock.move_to(NOW + timedelta(minutes=1))
    answer(invitation, 3)
    [note] = notes(case_of(invitation))
    [updated] = Event.objects.filter(type="response.updated")
    clock.move_to(NOW + timedelta(minutes=2))

    again = answer(invitation, 3, "Slow")
    score_alone = answer(invitation, 3)

    assert (again.changed, score_alone.changed) == (False, False)
    assert notes(case_of(invitation)) == [note]
    note.refresh_from_db()
    assert (note.data["changes"], note.data["changed_at"]) == (
        1,
        (NOW + timedelta(minutes=1)).isoformat(),
    )
    assert list(Event.objects.filter(type="response.updated")) == [updated]
    assert SurveyResponse.objects.get().updated_at == NOW + timedelta(minutes=1)


# What the note says


def test_a_comment_alone_is_noted_as_a_comment(invitation):
    answer(invitation, 2)

    answer(invitation, 2, "Still waiting for the refund")

    [note] = notes(case_of(invitation))
    assert note.note == "The customer added a comment."
    assert (note.data["score"], note.data["comment"]) == (
        2,
        "Still waiting for the refund",
    )


@pytest.mark.parametrize(
    ("comments", "said"),
    [
        (["Slow", "Slow and rude"], "The customer changed the comment."),
        (["Slow", ""], "The customer removed the comment."),
        (["", "Slow", "Slow and rude"], "The customer added a comment."),
    ],
)
def test_each_change_of_the_comment_is_named(invitation, comments, said):
    first, *changes = comments
    answer(invitation, 2, first)

    for comment in changes:
        answer(invitation, 2, comment)

    [note] = notes(case_of(invitation))
    assert note.note == said


def test_a_changed_score_is_noted_as_the_score_even_with_a_comment(invitation):
    answer(invitation, 2)

    answer(invitation, 1)
    answer(invitation, 1, "Worse than I said")

    [note] = notes(case_of(invitation))
    assert note.note == "The customer changed the answer to 1."


# A followed-up case settles its answer


def contacted(case: Case, owner) -> None:
    cases.record_contact(case, by=owner, channel="phone", note="Called")


def closed(case: Case, owner) -> None:
    cases.close_case(
        case,
        by=owner,
        root_cause=RootCause.objects.get(name="Billing"),
        resolution="Refunded",
        resurvey=False,
    )


def reopened(case: Case, owner) -> None:
    closed(case, owner)
    cases.reopen_case(case, by=owner, note="Not sorted after all")


@pytest.mark.parametrize("follow_up", [contacted, closed, reopened])
def test_a_followed_up_case_settles_its_answer(
    invitation, owner, everything, clock, follow_up
):
    answer(invitation, 2, "Nobody called me back")
    case = case_of(invitation)
    follow_up(case, owner)
    clock.move_to(NOW + timedelta(hours=2))
    before = (list(case.events.values_list("id", "note")), rollup())
    events_before = list(Event.objects.values_list("id", "payload"))

    recorded = answer(invitation, 9, "All good now")

    assert (recorded.settled, recorded.changed) == (True, False)
    assert (recorded.response.score, recorded.response.comment) == (
        2,
        "Nobody called me back",
    )
    response = SurveyResponse.objects.get()
    assert (response.score, response.band, response.comment) == (
        2,
        "detractor",
        "Nobody called me back",
    )
    assert response.updated_at == NOW
    assert (list(case.events.values_list("id", "note")), rollup()) == before
    assert list(Event.objects.values_list("id", "payload")) == events_before
    assert not Event.objects.filter(type="response.updated").exists()


def test_a_contact_recorded_while_the_change_is_written_rolls_the_change_back(
    invitation, owner, everything, settings
):
    """The answer service asks before writing; a contact committed after it
    asked is seen under the case's lock, and the change is undone."""
    answer(invitation, 2)
    case = case_of(invitation)
    contacted(case, owner)
    # As if the contact came after the question: nobody refuses beforehand.
    settings.HOOKS = {**settings.HOOKS, "response_changing": []}
    before = rollup()

    recorded = answer(invitation, 9, "All good now")

    assert (recorded.settled, recorded.changed) == (True, False)
    response = SurveyResponse.objects.get()
    assert (response.score, response.band, response.comment) == (2, "detractor", "")
    assert rollup() == before
    assert notes(case) == []
    assert not Event.objects.filter(type="response.updated").exists()


def test_an_open_case_lets_the_answer_change_and_its_page_shows_both_scores(
    client, invitation, owner
):
    answer(invitation, 2)
    answer(invitation, 2, "Nobody called me back")
    case = case_of(invitation)
    client.force_login(owner)
    url = reverse("admin:feedback_case_change", args=[case.pk])
    while_the_same = client.get(url).content.decode()

    recorded = answer(invitation, 9)

    assert (recorded.settled, recorded.changed) == (False, True)
    case.refresh_from_db()
    assert (case.reason, case.status) == ("detractor", "open")
    changed = client.get(url).content.decode()
    assert "case-score-change" not in while_the_same
    assert "Opened at 2 (Detractor), now 9 (Promoter)." in changed
    assert "Nobody called me back" in changed


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            {"score_changed": True, "score": 9, "comment": "", "from_comment": ""},
            "客户已将评分改为 9。",
        ),
        (
            {"score_changed": False, "score": 2, "comment": "x", "from_comment": ""},
            "客户添加了留言。",
        ),
        (
            {"score_changed": False, "score": 2, "comment": "y", "from_comment": "x"},
            "客户修改了留言。",
        ),
        (
            {"score_changed": False, "score": 2, "comment": "", "from_comment": "x"},
            "客户删除了留言。",
        ),
    ],
)
def test_the_timeline_says_each_change_in_chinese_too(change, said):
    with translation.override("zh-hans"):
        assert cases.describe_change(change) == said
