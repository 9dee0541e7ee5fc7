"""Consent with its history (customers/consent.py): append-only events, the
state derived from them for one customer and for a list, the truncated
evidence, the jurisdiction gate on profiling, and erasure's blank evidence."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from customers import consent
from customers.models import AppendOnlyError, ConsentEvent, Customer
from privacy.services.erasure import erase_customer
from surveys.models import Invitation
from surveys.services.eligibility import person_reason
from tests.factories import CustomerFactory, InvitationFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
Purpose = consent.Purpose
Source = consent.Source


def record(customer: Customer, purpose: str, granted: bool, **fields) -> ConsentEvent:
    fields.setdefault("source", Source.STAFF)
    fields.setdefault("now", NOW)
    return consent.record_consent(customer, purpose=purpose, granted=granted, **fields)


# Append-only


def test_a_recorded_event_cannot_be_changed_through_the_model():
    event = record(CustomerFactory.create(), Purpose.MARKETING, True)

    event.granted = False
    with pytest.raises(AppendOnlyError):
        event.save()

    event.refresh_from_db()
    assert event.granted is True


def test_a_recorded_event_cannot_be_deleted_through_the_model():
    event = record(CustomerFactory.create(), Purpose.MARKETING, True)

    with pytest.raises(AppendOnlyError):
        event.delete()

    assert ConsentEvent.objects.filter(pk=event.pk).exists()


def test_every_event_is_kept_with_the_policy_version_in_force(settings):
    customer = CustomerFactory.create()
    settings.PRIVACY_POLICY_VERSION = "2026-01"
    record(customer, Purpose.MARKETING, True)
    settings.PRIVACY_POLICY_VERSION = "2027-03"
    record(customer, Purpose.MARKETING, False, now=NOW + timedelta(hours=1))

    rows = ConsentEvent.objects.filter(customer=customer).order_by("created_at")
    assert list(rows.values_list("granted", "policy_version")) == [
        (True, "2026-01"),
        (False, "2027-03"),
    ]


def test_an_unknown_purpose_or_source_is_refused():
    customer = CustomerFactory.create()

    with pytest.raises(ValueError, match="purpose"):
        record(customer, "newsletters", True)
    with pytest.raises(ValueError, match="source"):
        record(customer, Purpose.MARKETING, True, source="fax")
    assert not ConsentEvent.objects.exists()


# The state, derived from the history


def test_without_events_each_purpose_has_its_default():
    customer = CustomerFactory.create(jurisdiction="DE")

    states = consent.consent_state(customer)

    assert {purpose: state.granted for purpose, state in states.items()} == {
        "surveys": True,
        "marketing": False,
        "profiling": True,
        "cross_border": False,
    }
    assert all(state.is_default for state in states.values())


def test_the_latest_event_per_purpose_is_the_state():
    customer = CustomerFactory.create()
    record(customer, Purpose.MARKETING, True, now=NOW)
    latest = record(customer, Purpose.MARKETING, False, now=NOW + timedelta(days=2))
    record(customer, Purpose.CROSS_BORDER, True, now=NOW + timedelta(days=1))
    # An event entered later about an earlier moment does not win.
    record(customer, Purpose.MARKETING, True, now=NOW + timedelta(days=1))

    states = consent.consent_state(customer)

    assert states["marketing"].granted is False
    assert states["marketing"].event == latest
    assert states["cross_border"].granted is True
    assert states["surveys"].is_default


def test_the_list_annotation_agrees_with_the_single_state_in_one_query(
    django_assert_num_queries,
):
    plain = CustomerFactory.create(jurisdiction="DE")
    chinese = CustomerFactory.create(jurisdiction="CN")
    changed = CustomerFactory.create(jurisdiction="CN")
    record(changed, Purpose.PROFILING, True, now=NOW)
    record(changed, Purpose.SURVEYS, False, now=NOW)
    record(changed, Purpose.MARKETING, True, now=NOW)
    record(changed, Purpose.MARKETING, False, now=NOW + timedelta(minutes=1))

    with django_assert_num_queries(1):
        rows = list(consent.with_consent(Customer.objects.order_by("pk")))

    for row in rows:
        single = consent.consent_state(row)
        assert {
            purpose: getattr(row, f"consent_{purpose}") for purpose in Purpose.values
        } == {purpose: state.granted for purpose, state in single.items()}
    profiling = consent.consent_annotation(Purpose.PROFILING)
    assert [getattr(row, profiling) for row in rows] == [True, False, True]
    assert [row.pk for row in rows] == [plain.pk, chinese.pk, changed.pk]


# Evidence


@pytest.mark.parametrize(
    ("address", "stored"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::/48"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),
        ("not an address", ""),
        ("", ""),
    ],
)
def test_the_ip_address_is_kept_as_its_network_only(address, stored):
    event = record(
        CustomerFactory.create(), Purpose.MARKETING, True, ip_address=address
    )

    event.refresh_from_db()
    assert event.ip_network == stored


def test_the_user_agent_is_kept_as_one_short_line():
    agent = "Mozilla/5.0\n(X11; Linux)\x00 " + "x" * 500

    event = record(CustomerFactory.create(), Purpose.MARKETING, True, user_agent=agent)

    event.refresh_from_db()
    assert event.user_agent.startswith("Mozilla/5.0 (X11; Linux) xxx")
    assert len(event.user_agent) == consent.USER_AGENT_LENGTH


def test_a_staff_member_who_leaves_leaves_the_event():
    staff = UserFactory.create(username="lena")
    event = record(
        CustomerFactory.create(), Purpose.MARKETING, True, staff_member=staff
    )

    staff.delete()

    event.refresh_from_db()
    assert event.staff_member is None


# Survey consent, by any door


def test_withdrawing_survey_consent_by_staff_opts_out_and_cancels_pending_mail():
    customer = CustomerFactory.create()
    scheduled = InvitationFactory.create(
        interaction__customer=customer,
        status=Invitation.Status.SCHEDULED,
        sent_at=None,
    )
    reminding = InvitationFactory.create(
        interaction__customer=customer, next_reminder_at=NOW + timedelta(days=3)
    )
    someone_else = InvitationFactory.create(
        status=Invitation.Status.SCHEDULED, sent_at=None
    )

    record(customer, Purpose.SURVEYS, False)

    customer.refresh_from_db()
    assert customer.email_opted_out_at == NOW
    assert person_reason(customer) == Invitation.SuppressedReason.OPTED_OUT
    scheduled.refresh_from_db()
    reminding.refresh_from_db()
    someone_else.refresh_from_db()
    assert scheduled.status == Invitation.Status.CANCELLED
    assert reminding.next_reminder_at is None
    assert someone_else.status == Invitation.Status.SCHEDULED


def test_granting_survey_consent_again_makes_the_customer_eligible():
    customer = CustomerFactory.create()
    record(customer, Purpose.SURVEYS, False)

    record(customer, Purpose.SURVEYS, True, now=NOW + timedelta(days=1))

    customer.refresh_from_db()
    assert customer.email_opted_out_at is None
    assert person_reason(customer) == ""


def test_other_purposes_leave_survey_mail_alone():
    customer = CustomerFactory.create()
    pending = InvitationFactory.create(
        interaction__customer=customer, status=Invitation.Status.SCHEDULED, sent_at=None
    )

    record(customer, Purpose.MARKETING, False)

    customer.refresh_from_db()
    pending.refresh_from_db()
    assert customer.email_opted_out_at is None
    assert pending.status == Invitation.Status.SCHEDULED


# The jurisdiction gate on profiling


def test_customers_under_chinese_law_are_not_profiled_until_they_consent():
    chinese = CustomerFactory.create(jurisdiction="CN")
    german = CustomerFactory.create(jurisdiction="DE")

    assert consent.may_profile(chinese) is False
    assert consent.may_profile(german) is True
    record(chinese, Purpose.PROFILING, True)
    assert consent.may_profile(chinese) is True


def test_an_unknown_jurisdiction_reading_chinese_counts_as_chinese():
    reader = CustomerFactory.create(jurisdiction="", language="zh-hans")
    english = CustomerFactory.create(jurisdiction="", language="en")

    assert consent.may_profile(reader) is False
    assert consent.may_profile(english) is True


def test_the_jurisdictions_that_ask_for_consent_are_a_setting(settings):
    settings.PRIVACY_PROFILING_CONSENT_JURISDICTIONS = ["DE"]
    chinese = CustomerFactory.create(jurisdiction="CN", language="zh-hans")
    german = CustomerFactory.create(jurisdiction="DE")

    assert consent.may_profile(chinese) is True
    assert consent.may_profile(german) is False


def test_a_withdrawal_of_profiling_consent_stops_profiling_anywhere():
    german = CustomerFactory.create(jurisdiction="DE")

    record(german, Purpose.PROFILING, False)

    assert consent.may_profile(german) is False


def test_the_profilable_and_not_profilable_lists_split_the_customers():
    chinese = CustomerFactory.create(jurisdiction="CN")
    consenting = CustomerFactory.create(jurisdiction="CN")
    record(consenting, Purpose.PROFILING, True)
    german = CustomerFactory.create(jurisdiction="DE")
    withdrawn = CustomerFactory.create(jurisdiction="DE")
    record(withdrawn, Purpose.PROFILING, False)

    allowed = set(
        consent.profilable(Customer.objects.all()).values_list("pk", flat=True)
    )
    refused = set(
        consent.not_profilable(Customer.objects.all()).values_list("pk", flat=True)
    )

    assert allowed == {consenting.pk, german.pk}
    assert refused == {chinese.pk, withdrawn.pk}


def test_a_jurisdiction_is_a_two_letter_code_in_capitals():
    customer = CustomerFactory.build(jurisdiction="cn")
    with pytest.raises(ValidationError) as refused:
        customer.full_clean()

    assert "jurisdiction" in refused.value.message_dict


# Erasure


def test_erasure_keeps_the_history_and_blanks_its_evidence():
    customer = CustomerFactory.create()
    record(
        customer,
        Purpose.SURVEYS,
        False,
        source=Source.UNSUBSCRIBE,
        ip_address="203.0.113.77",
        user_agent="Mozilla/5.0 (Lena's laptop)",
    )
    other = CustomerFactory.create()
    kept = record(other, Purpose.MARKETING, True, ip_address="198.51.100.1")

    erasure = erase_customer(customer, now=NOW + timedelta(days=1))

    assert erasure.tombstone_id is not None
    events = ConsentEvent.objects.filter(customer_id=erasure.tombstone_id)
    assert list(
        events.values_list("purpose", "granted", "ip_network", "user_agent")
    ) == [("surveys", False, "", "")]
    kept.refresh_from_db()
    assert kept.ip_network == "198.51.100.0/24"


def test_erasure_by_deletion_takes_the_history_with_it():
    customer = CustomerFactory.create()
    record(customer, Purpose.MARKETING, True, ip_address="203.0.113.77")

    erase_customer(customer, mode="delete", now=NOW + timedelta(days=1))

    assert not ConsentEvent.objects.exists()
