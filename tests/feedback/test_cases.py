"""The case services: which answers open a case, who gets it, its deadline,
its lifecycle, the recovery re-survey and escalation."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from feedback import deadlines
from feedback.models import Alert, Case, CaseEvent, RootCause
from feedback.services import cases
from surveys.models import Invitation, SurveyResponse
from surveys.services import answers, sending
from surveys.services.eligibility import ContactHistory
from tests.factories import (
    CaseFactory,
    CompanyFactory,
    CustomerFactory,
    InteractionFactory,
    InvitationFactory,
    SurveyFactory,
    UserFactory,
)

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


@pytest.fixture
def owner(db):
    return UserFactory.create(
        username="oona-owner", email="oona@example.com", groups=["Support"]
    )


def sent(kind="nps", *, customer=None, survey=None, interaction=None):
    return InvitationFactory.create(
        survey=survey or SurveyFactory.create(kind=kind),
        customer=customer or CustomerFactory.create(),
        interaction=interaction,
        status="sent",
        sent_at=NOW - timedelta(hours=1),
        expires_at=NOW + timedelta(days=29),
    )


def answer(invitation, score, comment=None):
    return answers.record_response(invitation, score=score, comment=comment).response


def case_of(invitation) -> Case:
    return Case.objects.get(response__invitation=invitation)


def recovery_of(case: Case) -> Invitation:
    assert case.recovery_invitation is not None
    return case.recovery_invitation


CASE_OPENING = [
    *[("nps", score, score <= 6) for score in range(0, 11)],
    *[("csat", score, score <= 2) for score in range(1, 6)],
    *[("ces", score, score <= 3) for score in range(1, 8)],
]


@pytest.mark.parametrize(("kind", "score", "opens"), CASE_OPENING)
def test_every_score_of_every_kind_opens_a_case_as_the_rules_say(kind, score, opens):
    invitation = sent(kind)

    answer(invitation, score)

    assert Case.objects.count() == (1 if opens else 0)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("nps", "detractor"), ("csat", "low_csat"), ("ces", "high_effort")],
)
def test_a_case_names_the_reason_of_its_kind(kind, reason):
    invitation = sent(kind)

    answer(invitation, 1)

    assert case_of(invitation).reason == reason


@pytest.mark.parametrize(("score", "opens"), [(7, True), (8, True), (9, False)])
def test_a_survey_can_open_cases_at_a_higher_score(score, opens):
    invitation = sent(survey=SurveyFactory.create(kind="nps", case_at_most=8))

    answer(invitation, score)

    assert Case.objects.filter(response__invitation=invitation).exists() is opens


@pytest.mark.parametrize(
    ("kind", "threshold", "valid"),
    [("nps", 8, True), ("nps", 10, False), ("csat", 4, True), ("csat", 5, False)],
)
def test_a_survey_threshold_must_leave_a_score_that_opens_no_case(
    kind, threshold, valid
):
    survey = SurveyFactory.build(kind=kind, case_at_most=threshold)

    if valid:
        survey.clean()
    else:
        with pytest.raises(ValidationError) as error:
            survey.clean()
        assert "case_at_most" in error.value.message_dict


def test_a_passive_answer_with_an_angry_comment_opens_a_urgent_case():
    invitation = sent("nps")

    answer(invitation, 7, "The delivery was TERRIBLE, I want a refund")

    case = case_of(invitation)
    assert (case.reason, case.priority) == ("negative_comment", "urgent")


@pytest.mark.parametrize(
    ("comment", "opens"),
    [
        ("Could be better", False),
        ("Not bad at all", False),
        ("还可以吧", False),
        ("Not happy at all, the worst support I have had", True),
        ("我一点也不满意，太差了", True),
    ],
)
def test_a_passive_answer_opens_a_case_when_its_comment_reads_angry(comment, opens):
    """The comment's sentiment decides (text.analysis, at most ANGRY_AT_MOST),
    with its negations: not a list of words."""
    invitation = sent("nps")

    answer(invitation, 7, comment)

    assert Case.objects.filter(response__invitation=invitation).exists() is opens


def test_a_promoter_with_strong_words_opens_no_case():
    invitation = sent("nps")

    answer(invitation, 10, "Terrible competitors, you are the best")

    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    ("score", "comment", "priority", "hours"),
    [
        (0, "", "urgent", 4),
        (3, "", "urgent", 4),
        (4, "", "normal", 48),
        (6, "", "normal", 48),
        (5, "服务太差了，我要投诉", "urgent", 4),
    ],
)
def test_strong_detractors_and_angry_comments_are_urgent(
    score, comment, priority, hours
):
    invitation = sent("nps")

    answer(invitation, score, comment)

    case = case_of(invitation)
    assert case.priority == priority
    assert case.due_at == NOW + timedelta(hours=hours)


def test_the_same_answer_recorded_twice_opens_one_case():
    invitation = sent("nps")

    answer(invitation, 2)
    answer(invitation, 2)
    answer(invitation, 1, "Still bad")

    assert Case.objects.count() == 1
    notes = CaseEvent.objects.filter(kind="note").values_list("data", flat=True)
    assert list(notes) == [
        {
            "from_score": 2,
            "from_comment": "",
            "score": 1,
            "comment": "Still bad",
            "score_changed": True,
            "changes": 1,
            "changed_at": NOW.isoformat(),
        }
    ]


def test_an_angry_comment_after_the_score_makes_the_case_urgent():
    invitation = sent("nps")
    answer(invitation, 5)
    assert case_of(invitation).due_at == NOW + timedelta(hours=48)

    answer(invitation, 5, "Unacceptable, I am cancelling")

    case = case_of(invitation)
    assert (case.priority, case.due_at) == ("urgent", NOW + timedelta(hours=4))


def test_an_answer_changed_to_negative_opens_its_case():
    invitation = sent("csat")
    answer(invitation, 5)

    answer(invitation, 1)

    assert case_of(invitation).reason == "low_csat"


def test_no_answer_is_kept_without_its_case(monkeypatch):
    invitation = sent("nps")

    def broken(*args, **kwargs):
        raise RuntimeError("the deadline could not be computed")

    monkeypatch.setattr(deadlines, "first_contact_due", broken)
    with pytest.raises(RuntimeError):
        answer(invitation, 0)

    assert SurveyResponse.objects.count() == 0
    invitation.refresh_from_db()
    assert invitation.status == "sent"


# serialized_rollback: the flush after the test must not take the roles and
# root causes that migrations made from the tests that run later.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_exactly_one_case_when_threads_record_the_same_answer_at_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent writers need PostgreSQL")
    invitation = sent("nps")
    start = threading.Barrier(6)
    errors: list[BaseException] = []

    def record() -> None:
        try:
            start.wait()
            answers.record_response(invitation, score=2)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert SurveyResponse.objects.count() == 1
    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(kind="opened").count() == 1


# Assignment


def test_the_customers_owner_gets_the_case(owner):
    invitation = sent("nps", customer=CustomerFactory.create(owner=owner))

    answer(invitation, 2)

    case = case_of(invitation)
    assert (case.owner, case.assignment_rule) == (owner, "customer_owner")
    assigned = case.events.get(kind="assigned")
    assert assigned.data == {"from": None, "to": owner.pk, "rule": "customer_owner"}
    assert assigned.actor is None


def test_the_companys_owner_when_the_customers_owner_has_left(owner):
    gone = UserFactory.create(is_active=False)
    company = CompanyFactory.create(owner=owner)
    customer = CustomerFactory.create(owner=gone, company=company)
    invitation = sent("nps", customer=customer)

    answer(invitation, 2)

    case = case_of(invitation)
    assert (case.owner, case.assignment_rule) == (owner, "company_owner")


def test_round_robin_among_active_managers_when_nobody_owns_the_customer():
    first, second, third = (
        UserFactory.create(username=f"m{n}", groups=["Manager"]) for n in range(3)
    )
    UserFactory.create(username="left", groups=["Manager"], is_active=False)

    owners = []
    for _ in range(4):
        invitation = sent("nps")
        answer(invitation, 2)
        owners.append(case_of(invitation).owner)

    assert owners == [first, second, third, first]
    assert set(Case.objects.values_list("assignment_rule", flat=True)) == {
        "round_robin"
    }


def test_the_fallback_group_is_a_setting(settings):
    settings.CASE_FALLBACK_GROUP = "Support"
    UserFactory.create(username="boss", groups=["Manager"])
    agent = UserFactory.create(username="agent", groups=["Support"])
    invitation = sent("nps")

    answer(invitation, 2)

    assert case_of(invitation).owner == agent


def test_a_case_with_nobody_to_assign_still_opens():
    invitation = sent("nps")

    answer(invitation, 2)

    case = case_of(invitation)
    assert (case.owner, case.assignment_rule) == (None, "")
    assert not case.events.filter(kind="assigned").exists()


def test_reassigning_by_hand_is_recorded_and_alerts_the_new_owner(
    owner, manager, queued
):
    case = CaseFactory.create(owner=owner)
    newcomer = UserFactory.create(email="new@example.com", groups=["Support"])

    cases.assign_case(case, owner=newcomer, by=manager)

    case.refresh_from_db()
    assert (case.owner, case.assignment_rule) == (newcomer, "by_hand")
    event = case.events.get(kind="assigned")
    assert (event.actor, event.data) == (
        manager,
        {"from": owner.pk, "to": newcomer.pk, "rule": "by_hand"},
    )
    assert list(Alert.objects.values_list("recipient", "channel")) == [
        (newcomer.pk, "email")
    ]


def test_bulk_reassignment_is_all_or_nothing(owner, support):
    mine = CaseFactory.create(owner=owner)
    theirs = CaseFactory.create(owner=support)

    with pytest.raises(PermissionDenied):
        cases.assign_cases([mine.pk, theirs.pk], owner=support, by=owner)

    mine.refresh_from_db()
    assert mine.owner == owner
    assert not CaseEvent.objects.exists()


def test_bulk_reassignment_by_a_manager(owner, support, manager):
    both = [CaseFactory.create(owner=owner), CaseFactory.create(owner=support)]

    changed = cases.assign_cases([case.pk for case in both], owner=support, by=manager)

    assert changed == 1
    assert set(Case.objects.values_list("owner", flat=True)) == {support.pk}


def test_a_case_cannot_go_to_someone_who_has_left(owner, manager):
    case = CaseFactory.create(owner=owner)
    gone = UserFactory.create(is_active=False)

    with pytest.raises(ValidationError):
        cases.assign_case(case, owner=gone, by=manager)

    case.refresh_from_db()
    assert case.owner == owner


# Manual cases


def test_staff_open_a_case_by_hand_from_an_interaction(support, owner):
    customer = CustomerFactory.create(owner=owner)
    interaction = InteractionFactory.create(customer=customer)

    case = cases.open_case(
        customer=customer, interaction=interaction, by=support, note="Called angry"
    )

    assert (case.reason, case.owner, case.interaction) == ("manual", owner, interaction)
    opened = case.events.get(kind="opened")
    assert (opened.actor, opened.note) == (support, "Called angry")


def test_a_manual_case_for_an_answer_that_has_one_is_refused(support):
    invitation = sent("nps")
    response = answer(invitation, 1)

    with pytest.raises(ValidationError):
        cases.open_case(customer=response.customer, response=response, by=support)

    assert Case.objects.count() == 1


def test_a_manual_case_for_a_promoter_answer(support):
    invitation = sent("nps")
    response = answer(invitation, 9)

    case = cases.open_case(customer=response.customer, response=response, by=support)

    assert (case.response, case.reason) == (response, "manual")


def test_someone_without_a_role_cannot_open_a_case(outsider):
    with pytest.raises(PermissionDenied):
        cases.open_case(customer=CustomerFactory.create(), by=outsider)

    assert Case.objects.count() == 0


# Lifecycle


def billing() -> RootCause:
    return RootCause.objects.get(name="Billing")


def test_recording_a_contact_stops_the_first_contact_clock(owner, clock):
    case = CaseFactory.create(owner=owner, created_at=NOW - timedelta(hours=3))

    cases.record_contact(
        case, by=owner, channel="phone", at=NOW - timedelta(hours=1), note="Spoke"
    )

    case.refresh_from_db()
    assert (case.status, case.first_contact_at, case.contact_channel) == (
        "contacted",
        NOW - timedelta(hours=1),
        "phone",
    )
    event = case.events.get(kind="contacted")
    assert (event.actor, event.note, event.data["channel"]) == (owner, "Spoke", "phone")
    clock.shift(timedelta(days=5))
    assert case not in Case.objects.overdue(NOW + timedelta(days=5))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"channel": "pigeon"}, "Choose how the customer was reached"),
        ({"at": NOW + timedelta(hours=1)}, "cannot be in the future"),
        ({"at": NOW - timedelta(days=9)}, "before the case was opened"),
    ],
)
def test_a_contact_must_make_sense(owner, fields, message):
    case = CaseFactory.create(owner=owner, created_at=NOW - timedelta(days=1))

    with pytest.raises(ValidationError, match=message):
        cases.record_contact(case, by=owner, **{"channel": "phone", **fields})

    case.refresh_from_db()
    assert (case.status, case.first_contact_at) == ("open", None)


def test_closing_needs_a_root_cause_and_a_resolution(owner):
    case = CaseFactory.create(owner=owner)

    with pytest.raises(ValidationError) as error:
        cases.close_case(case, by=owner, root_cause=None, resolution="  ")

    assert set(error.value.message_dict) == {"root_cause", "resolution"}
    case.refresh_from_db()
    assert case.status == "open"


def test_closing_schedules_the_recovery_survey(owner, settings):
    settings.SURVEY_THROTTLE_DAYS = 30
    invitation = sent("nps", customer=CustomerFactory.create(owner=owner))
    answer(invitation, 2)
    case = case_of(invitation)

    cases.close_case(case, by=owner, root_cause=billing(), resolution="Refunded")

    case.refresh_from_db()
    assert (case.status, case.closed_at, case.root_cause) == ("closed", NOW, billing())
    recovery = recovery_of(case)
    assert (recovery.survey, recovery.customer, recovery.status) == (
        invitation.survey,
        invitation.customer,
        "scheduled",
    )
    assert recovery.scheduled_for == NOW + timedelta(days=7)
    assert recovery.is_throttle_exempt
    # The first survey went out within the throttle window; the re-survey
    # goes out anyway.
    assert (
        sending.refusal(
            recovery,
            history=ContactHistory.load(
                [case.customer_id], now=NOW, surveys=[recovery.survey]
            ),
            now=NOW,
        )
        == ""
    )


def test_the_recovery_survey_respects_an_opt_out(owner):
    invitation = sent("nps", customer=CustomerFactory.create(owner=owner))
    answer(invitation, 2)
    answers.unsubscribe(invitation.customer, now=NOW)
    case = case_of(invitation)

    cases.close_case(case, by=owner, root_cause=billing(), resolution="Refunded")

    case.refresh_from_db()
    assert recovery_of(case).status == "suppressed"
    assert recovery_of(case).suppressed_reason == "opted_out"


def mail_recovery(case: Case) -> Invitation:
    recovery = recovery_of(case)
    Invitation.objects.filter(id=recovery.pk).update(
        status="sent", sent_at=NOW, expires_at=NOW + timedelta(days=30)
    )
    recovery.refresh_from_db()
    return recovery


def closed_case(owner) -> Case:
    invitation = sent("nps", customer=CustomerFactory.create(owner=owner))
    answer(invitation, 2)
    case = case_of(invitation)
    cases.record_contact(case, by=owner, channel="phone")
    return cases.close_case(
        case, by=owner, root_cause=billing(), resolution="Refunded", recovery_days=0
    )


def test_a_good_recovery_answer_marks_the_case_recovered(owner):
    case = closed_case(owner)

    answer(mail_recovery(case), 9, "Thanks for calling")

    case.refresh_from_db()
    assert (case.outcome, case.status) == ("recovered", "closed")
    assert Case.objects.count() == 1
    event = case.events.get(kind="recovery_answered")
    assert event.data["score"] == 9


def test_a_negative_recovery_answer_reopens_the_case(owner, queued):
    case = closed_case(owner)

    answer(mail_recovery(case), 3)

    case.refresh_from_db()
    assert (case.outcome, case.status, case.root_cause, case.resolution) == (
        "not_recovered",
        "open",
        None,
        "",
    )
    assert case.due_at == NOW + timedelta(hours=4)  # 3 is a strong detractor
    assert Case.objects.count() == 1
    reopened = case.events.get(kind="reopened")
    assert reopened.actor is None
    assert Alert.objects.filter(event=reopened, recipient=owner).exists()


def test_reopening_by_hand_withdraws_a_recovery_survey_not_sent_yet(owner):
    case = closed_case(owner)

    cases.reopen_case(case, by=owner, note="Customer called again")

    case.refresh_from_db()
    assert case.status == "open"
    assert recovery_of(case).status == "cancelled"


def test_only_a_closed_case_can_be_reopened(owner):
    case = CaseFactory.create(owner=owner)

    with pytest.raises(ValidationError):
        cases.reopen_case(case, by=owner)


# Who may do what


@pytest.mark.parametrize(
    "action",
    [
        lambda case, user: cases.record_contact(case, by=user, channel="phone"),
        lambda case, user: cases.close_case(
            case, by=user, root_cause=billing(), resolution="Refunded"
        ),
        lambda case, user: cases.assign_case(case, owner=user, by=user),
        lambda case, user: cases.add_note(case, by=user, note="Hello"),
    ],
    ids=["contact", "close", "assign", "note"],
)
@pytest.mark.parametrize("who", ["support", "outsider"])
def test_only_the_owner_and_managers_work_on_a_case(request, owner, action, who):
    user = request.getfixturevalue(who)
    case = CaseFactory.create(owner=owner)
    before = Case.objects.values().get(id=case.pk)

    with pytest.raises(PermissionDenied):
        action(case, user)

    assert Case.objects.values().get(id=case.pk) == before
    assert not CaseEvent.objects.exists()


def test_a_manager_works_on_anyones_case(owner, manager):
    case = CaseFactory.create(owner=owner)

    cases.record_contact(case, by=manager, channel="email")
    cases.close_case(case, by=manager, root_cause=billing(), resolution="Fixed")

    case.refresh_from_db()
    assert case.status == "closed"


# Escalation


@pytest.fixture
def managers(db):
    return [
        UserFactory.create(
            username=f"boss{n}", email=f"boss{n}@example.com", groups=["Manager"]
        )
        for n in range(2)
    ]


def test_an_overdue_case_is_escalated_to_the_managers_once_an_hour_at_most_three_times(
    owner, managers, clock
):
    case = CaseFactory.create(owner=owner, due_at=NOW - timedelta(minutes=1))
    CaseFactory.create(owner=owner, due_at=NOW + timedelta(days=1))

    levels = []
    for minutes in [0, 1, 59, 60, 120, 180, 240]:
        clock.move_to(NOW + timedelta(minutes=minutes))
        cases.escalate_overdue(now=NOW + timedelta(minutes=minutes))
        cases.escalate_overdue(now=NOW + timedelta(minutes=minutes))
        case.refresh_from_db()
        levels.append(case.escalation_level)

    assert levels == [1, 1, 1, 2, 3, 3, 3]
    escalations = CaseEvent.objects.filter(kind="escalated")
    assert [event.data["level"] for event in escalations] == [1, 2, 3]
    assert Alert.objects.filter(event__kind="escalated").count() == 3 * len(managers)


def test_a_contacted_case_is_not_escalated(owner, managers):
    case = CaseFactory.create(owner=owner, due_at=NOW - timedelta(hours=1))
    cases.record_contact(case, by=owner, channel="chat", at=case.created_at)

    assert cases.escalate_overdue(now=NOW) == 0


def test_a_reopened_case_waits_for_a_new_contact_and_keeps_its_escalations(
    owner, managers, clock
):
    case = closed_case(owner)
    Case.objects.filter(id=case.pk).update(escalation_level=2)

    cases.reopen_case(case, by=owner, note="Called again")

    case.refresh_from_db()
    assert (case.status, case.first_contact_at, case.contact_channel) == (
        "open",
        None,
        "",
    )
    assert case.escalation_level == 2
    later = NOW + timedelta(days=3)
    clock.move_to(later)
    assert cases.escalate_overdue(now=later) == 1
    assert cases.escalate_overdue(now=later + timedelta(hours=2)) == 0
    case.refresh_from_db()
    assert case.escalation_level == 3


def test_staff_who_cannot_see_cases_are_not_given_one(owner):
    no_role = UserFactory.create(username="no-role", is_staff=True)
    company = CompanyFactory.create(owner=owner)
    invitation = sent(
        "nps", customer=CustomerFactory.create(owner=no_role, company=company)
    )

    answer(invitation, 2)

    assert case_of(invitation).owner == owner
    with pytest.raises(ValidationError):
        cases.assign_case(case_of(invitation), owner=no_role, by=owner)


def test_a_later_angry_comment_never_moves_the_deadline_back(owner, clock):
    invitation = sent("nps", customer=CustomerFactory.create(owner=owner))
    answer(invitation, 5)
    case = case_of(invitation)
    Case.objects.filter(id=case.pk).update(due_at=NOW + timedelta(hours=1))

    clock.move_to(NOW + timedelta(minutes=10))
    answer(invitation, 5, "This is unacceptable, the worst service ever")

    case.refresh_from_db()
    assert (case.priority, case.due_at) == ("urgent", NOW + timedelta(hours=1))
