"""The public survey pages through Django's test client: the answer page and
the unsubscribe page, with every kind of bad input a link can receive."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.test import Client

from surveys import tokens
from surveys.models import Invitation, SurveyResponse
from tests.factories import CustomerFactory, InvitationFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db

Status = Invitation.Status
NOW = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    """The rate limit counts per client and minute in the cache; every test
    starts with none of the requests of the tests before it."""
    cache.clear()
    yield
    cache.clear()


def link(invitation: Invitation) -> str:
    return f"/s/{tokens.token_for(invitation.nonce)}/"


def sent_invitation(**fields) -> Invitation:
    return InvitationFactory.create(
        interaction__customer__name="Wang Fang",
        interaction__customer__email="wang.fang@acme.cn",
        **fields,
    )


def answer(client: Client, invitation: Invitation, **data):
    return client.post(link(invitation), data)


# GET never answers


def test_a_get_never_records_an_answer(client):
    invitation = sent_invitation()

    page = client.get(link(invitation))
    clicked = client.get(link(invitation) + "?score=9")

    assert page.status_code == 200
    assert clicked.status_code == 200
    assert not SurveyResponse.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == Status.SENT
    assert invitation.answered_at is None


def test_the_first_get_sets_opened_at_and_later_ones_keep_it(client):
    invitation = sent_invitation()

    with time_machine.travel(NOW, tick=False):
        client.get(link(invitation) + "?score=3")
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        client.get(link(invitation))

    invitation.refresh_from_db()
    assert invitation.opened_at == NOW


def test_the_clicked_score_is_preselected_and_sent_by_the_page(client):
    invitation = sent_invitation()

    page = client.get(link(invitation) + "?score=7").content.decode()

    assert 'id="score-7" value="7" checked>' in page
    assert page.count(" checked>") == 1
    assert 'data-auto-submit="true"' in page


def test_without_a_clicked_score_nothing_is_selected_or_sent(client):
    invitation = sent_invitation()

    page = client.get(link(invitation)).content.decode()

    assert " checked>" not in page
    assert 'data-auto-submit="false"' in page


def test_reloading_an_answered_link_shows_the_answer_without_sending_it_again(
    client,
):
    invitation = sent_invitation()
    answer(client, invitation, score="8", comment="Quick reply")

    page = client.get(link(invitation) + "?score=8").content.decode()

    assert 'id="score-8" value="8" checked>' in page
    assert 'data-auto-submit="false"' in page
    assert "Quick reply</textarea>" in page


@pytest.mark.parametrize(
    "score", ["11", "-1", "abc", "", "1.5", "٣", "9" * 5000, "\x00"]
)
def test_a_clicked_score_off_the_scale_preselects_nothing(client, score):
    invitation = sent_invitation()

    page = client.get(link(invitation), {"score": score})

    assert page.status_code in {200, 400}
    assert " checked>" not in page.content.decode()
    assert 'data-auto-submit="true"' not in page.content.decode()
    assert not SurveyResponse.objects.exists()


# POST answers, once


def test_a_post_records_the_answer(client):
    invitation = sent_invitation()

    with time_machine.travel(NOW, tick=False):
        page = answer(client, invitation, score="9", comment="  Very helpful  ")

    assert page.status_code == 200
    assert "Thank you for your answer!" in page.content.decode()
    response = SurveyResponse.objects.get()
    assert response.invitation == invitation
    assert (response.score, response.comment, response.band) == (
        9,
        "Very helpful",
        "promoter",
    )
    assert response.answered_at == NOW
    invitation.refresh_from_db()
    assert invitation.status == Status.ANSWERED
    assert invitation.answered_at == NOW


def test_the_same_post_twice_changes_nothing(client):
    invitation = sent_invitation()
    with time_machine.travel(NOW, tick=False):
        answer(client, invitation, score="9", comment="Fine")
    first = SurveyResponse.objects.get()

    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        again = answer(client, invitation, score="9", comment="Fine")

    assert again.status_code == 200
    second = SurveyResponse.objects.get()
    assert second.pk == first.pk
    assert second.updated_at == first.updated_at
    assert (second.score, second.comment) == (9, "Fine")


def test_a_double_submit_stores_one_answer(client):
    invitation = sent_invitation()

    pages = [answer(client, invitation, score="4") for _ in range(2)]

    assert [page.status_code for page in pages] == [200, 200]
    assert SurveyResponse.objects.filter(invitation=invitation).count() == 1


def test_within_the_edit_window_score_and_comment_change_the_one_response(client):
    invitation = sent_invitation()
    with time_machine.travel(NOW, tick=False):
        answer(client, invitation, score="9")

    with time_machine.travel(NOW + timedelta(hours=23), tick=False):
        page = answer(client, invitation, score="3", comment="Second thoughts")

    assert page.status_code == 200
    response = SurveyResponse.objects.get()
    assert (response.score, response.comment, response.band) == (
        3,
        "Second thoughts",
        "detractor",
    )
    assert response.answered_at == NOW


def test_the_automatic_post_without_a_comment_keeps_the_comment(client):
    invitation = sent_invitation()
    answer(client, invitation, score="9", comment="Keep me")

    answer(client, invitation, score="10")

    response = SurveyResponse.objects.get()
    assert (response.score, response.comment) == (10, "Keep me")


def test_after_the_edit_window_a_post_thanks_and_changes_nothing(client):
    invitation = sent_invitation()
    with time_machine.travel(NOW, tick=False):
        answer(client, invitation, score="9", comment="Good")

    with time_machine.travel(NOW + timedelta(hours=24, seconds=1), tick=False):
        page = answer(client, invitation, score="2", comment="Changed my mind")
        reopened = client.get(link(invitation) + "?score=2")

    assert page.status_code == 200
    assert "can no longer be changed" in page.content.decode()
    assert "can no longer be changed" in reopened.content.decode()
    response = SurveyResponse.objects.get()
    assert (response.score, response.comment) == (9, "Good")


def test_a_post_asking_for_json_gets_json(client):
    invitation = sent_invitation()

    page = client.post(
        link(invitation), {"score": "6"}, headers={"accept": "application/json"}
    )

    assert page.status_code == 200
    assert page.json() == {"saved": True, "score": 6}
    assert SurveyResponse.objects.get().score == 6


def test_a_bad_post_asking_for_json_gets_the_message_as_json(client):
    invitation = sent_invitation()

    page = client.post(
        link(invitation), {"score": "11"}, headers={"accept": "application/json"}
    )

    assert page.status_code == 400
    assert page.json() == {
        "saved": False,
        "errors": {"score": ["Choose a score from 0 to 10."]},
    }
    assert not SurveyResponse.objects.exists()


# Tokens


def token_shapes() -> list[str]:
    valid_looking = "0123456789abcdef" * 4
    return [
        "-",
        "%20",
        "0",
        "abc",
        "a" * 63,
        "a" * 65,
        "a" * 10_000,
        "G" * 64,
        "z" * 64,
        "é" * 64,
        "%E2%80%8B" + "a" * 63,
        "a" * 63 + "%00",
        "%00" * 64,
        "..%2F..%2Fetc%2Fpasswd",
        "..",
        valid_looking,
    ]


@pytest.mark.parametrize("token", token_shapes())
@pytest.mark.parametrize("suffix", ["", "?score=9", "unsubscribe"])
def test_every_bad_token_gets_a_404_that_names_no_one(client, token, suffix):
    sent_invitation()

    page = client.get(f"/s/{token}/{suffix}")

    assert page.status_code == 404
    text = page.content.decode()
    assert "Wang Fang" not in text
    assert "wang.fang" not in text


@pytest.mark.parametrize("token", token_shapes())
def test_a_post_to_a_bad_token_records_nothing(client, token):
    customer = sent_invitation().customer

    page = client.post(f"/s/{token}/", {"score": "9"})
    unsubscribe = client.post(f"/s/{token}/unsubscribe")

    assert (page.status_code, unsubscribe.status_code) == (404, 404)
    assert not SurveyResponse.objects.exists()
    customer.refresh_from_db()
    assert customer.email_opted_out_at is None


def test_a_valid_token_in_upper_case_is_unknown(client):
    invitation = sent_invitation()

    page = client.get(link(invitation).upper().replace("/S/", "/s/"))

    assert page.status_code == 404
    assert "Survey not found" in page.content.decode()


def test_the_404_page_is_the_survey_page(client):
    page = client.get("/s/" + "ab" * 32 + "/")

    assert page.status_code == 404
    assert "Survey not found" in page.content.decode()


# Closed invitations


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Status.EXPIRED},
        {"expires_at": NOW - timedelta(seconds=1)},
        {"status": Status.SCHEDULED, "sent_at": None},
        {
            "status": Status.SUPPRESSED,
            "sent_at": None,
            "suppressed_reason": "opted_out",
        },
        {"status": Status.CANCELLED, "sent_at": None},
        {"status": Status.CANCELLED},
        {"status": Status.FAILED, "sent_at": None},
    ],
    ids=[
        "expired",
        "past-expiry",
        "scheduled",
        "suppressed",
        "cancelled",
        "cancelled-after-sending",
        "failed",
    ],
)
def test_a_closed_invitation_gets_a_410_and_takes_no_answer(client, fields):
    invitation = sent_invitation(**fields)

    with time_machine.travel(NOW, tick=False):
        get = client.get(link(invitation) + "?score=9")
        post = answer(client, invitation, score="9")

    assert (get.status_code, post.status_code) == (410, 410)
    assert "This survey is closed" in get.content.decode()
    assert "Wang Fang" not in get.content.decode()
    assert "wang.fang" not in get.content.decode()
    assert not SurveyResponse.objects.exists()


# Scores and comments


@pytest.mark.parametrize(
    ("kind", "score", "message"),
    [
        ("nps", "-1", "Choose a score from 0 to 10."),
        ("nps", "11", "Choose a score from 0 to 10."),
        ("csat", "0", "Choose a score from 1 to 5."),
        ("csat", "6", "Choose a score from 1 to 5."),
        ("ces", "0", "Choose a score from 1 to 7."),
        ("ces", "8", "Choose a score from 1 to 7."),
        ("nps", "abc", "Choose a score from 0 to 10."),
        ("nps", "", "Choose a score from 0 to 10."),
        ("nps", "1.5", "Choose a score from 0 to 10."),
        ("nps", " 5x", "Choose a score from 0 to 10."),
        ("nps", "٣", "Choose a score from 0 to 10."),
        ("nps", "9" * 30, "Choose a score from 0 to 10."),
        ("nps", "9" * 5000, "Choose a score from 0 to 10."),
        ("csat", "-9223372036854775809", "Choose a score from 1 to 5."),
    ],
)
def test_a_score_off_the_scale_is_refused(client, kind, score, message):
    invitation = sent_invitation(survey__kind=kind)

    page = answer(client, invitation, score=score)

    assert page.status_code == 400
    assert message in page.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_post_without_a_score_is_refused(client):
    invitation = sent_invitation()

    page = answer(client, invitation, comment="No score")

    assert page.status_code == 400
    assert "Choose a score from 0 to 10." in page.content.decode()
    assert not SurveyResponse.objects.exists()


def test_every_score_of_each_scale_is_taken(client):
    scales = {"nps": range(11), "csat": range(1, 6), "ces": range(1, 8)}
    for kind, scores in scales.items():
        for score in scores:
            invitation = InvitationFactory.create(survey__kind=kind)
            cache.clear()
            assert answer(client, invitation, score=str(score)).status_code == 200
            assert SurveyResponse.objects.get(invitation=invitation).score == score


def test_a_comment_over_5000_characters_is_refused(client):
    invitation = sent_invitation()

    page = answer(client, invitation, score="9", comment="x" * 5001)

    assert page.status_code == 400
    assert not SurveyResponse.objects.exists()


def test_a_comment_of_5000_characters_is_taken(client):
    invitation = sent_invitation()

    page = answer(client, invitation, score="9", comment="长" * 5000)

    assert page.status_code == 200
    assert SurveyResponse.objects.get().comment == "长" * 5000


def test_a_ten_megabyte_body_is_refused(client):
    invitation = sent_invitation()

    page = answer(client, invitation, score="9", comment="x" * 10 * 1024 * 1024)

    assert page.status_code in {400, 413}
    assert not SurveyResponse.objects.exists()


def test_a_comment_with_a_nul_is_refused(client):
    invitation = sent_invitation()

    page = answer(client, invitation, score="9", comment="before\x00after")

    assert page.status_code == 400
    assert not SurveyResponse.objects.exists()


def test_a_nul_in_a_changed_comment_keeps_the_answer(client):
    invitation = sent_invitation()
    answer(client, invitation, score="9", comment="Fine")

    page = answer(client, invitation, score="9", comment="\x00")

    assert page.status_code == 400
    assert SurveyResponse.objects.get().comment == "Fine"


# CSRF


def test_an_answer_without_the_csrf_token_is_refused():
    invitation = sent_invitation()
    client = Client(enforce_csrf_checks=True)

    page = answer(client, invitation, score="9")

    assert page.status_code == 403
    assert not SurveyResponse.objects.exists()


def test_an_answer_with_the_page_s_csrf_token_is_taken():
    invitation = sent_invitation()
    client = Client(enforce_csrf_checks=True)
    client.get(link(invitation) + "?score=9")

    page = answer(
        client,
        invitation,
        score="9",
        csrfmiddlewaretoken=client.cookies["csrftoken"].value,
    )

    assert page.status_code == 200
    assert SurveyResponse.objects.get().score == 9


# Unsubscribe


def test_the_unsubscribe_get_only_asks(client):
    invitation = sent_invitation(next_reminder_at=NOW + timedelta(days=3))
    customer = invitation.customer
    scheduled = InvitationFactory.create(
        interaction__customer=customer, status=Status.SCHEDULED, sent_at=None
    )

    page = client.get(link(invitation) + "unsubscribe")

    assert page.status_code == 200
    assert "Stop survey emails" in page.content.decode()
    customer.refresh_from_db()
    assert customer.email_opted_out_at is None
    scheduled.refresh_from_db()
    assert scheduled.status == Status.SCHEDULED
    invitation.refresh_from_db()
    assert invitation.next_reminder_at == NOW + timedelta(days=3)


def test_the_one_click_unsubscribe_post_needs_no_csrf_token():
    invitation = sent_invitation(next_reminder_at=NOW + timedelta(days=3))
    customer = invitation.customer
    scheduled = InvitationFactory.create(
        interaction__customer=customer, status=Status.SCHEDULED, sent_at=None
    )
    other = InvitationFactory.create(status=Status.SCHEDULED, sent_at=None)
    # A mail provider's RFC 8058 POST: no cookie, no token, just this body.
    provider = Client(enforce_csrf_checks=True)

    with time_machine.travel(NOW, tick=False):
        page = provider.post(
            link(invitation) + "unsubscribe",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )

    assert page.status_code == 200
    assert "You are unsubscribed" in page.content.decode()
    customer.refresh_from_db()
    assert customer.email_opted_out_at == NOW
    scheduled.refresh_from_db()
    assert scheduled.status == Status.CANCELLED
    invitation.refresh_from_db()
    assert invitation.status == Status.SENT
    assert invitation.next_reminder_at is None
    other.refresh_from_db()
    assert other.status == Status.SCHEDULED


def test_unsubscribing_twice_keeps_the_first_time(client):
    invitation = sent_invitation()
    with time_machine.travel(NOW, tick=False):
        client.post(link(invitation) + "unsubscribe")

    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        again = client.post(link(invitation) + "unsubscribe")

    assert again.status_code == 200
    invitation.customer.refresh_from_db()
    assert invitation.customer.email_opted_out_at == NOW


def test_an_answered_customer_can_still_unsubscribe(client):
    response = SurveyResponseFactory.create(invitation__sent_at=NOW)

    page = client.post(link(response.invitation) + "unsubscribe")

    assert page.status_code == 200
    response.customer.refresh_from_db()
    assert response.customer.email_opted_out_at is not None


# Rate limit, methods, language


def test_more_requests_than_the_limit_get_a_429(client, settings):
    settings.SURVEY_RATE_LIMIT_PER_MINUTE = 3
    invitation = sent_invitation()

    with time_machine.travel(NOW, tick=False):
        allowed = [client.get(link(invitation)).status_code for _ in range(3)]
        refused = client.post(link(invitation), {"score": "9"})
        unknown = client.get("/s/" + "ab" * 32 + "/")

    assert allowed == [200, 200, 200]
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert unknown.status_code == 429
    assert not SurveyResponse.objects.exists()


def test_the_limit_is_per_client_and_per_minute(client, settings):
    settings.SURVEY_RATE_LIMIT_PER_MINUTE = 2
    invitation = sent_invitation()
    other_client = Client(REMOTE_ADDR="192.0.2.7")

    with time_machine.travel(NOW, tick=False):
        for _ in range(3):
            client.get(link(invitation))
        other = other_client.get(link(invitation))
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        later = client.get(link(invitation))

    assert other.status_code == 200
    assert later.status_code == 200


def test_retry_after_is_the_wait_until_the_oldest_request_leaves_the_minute(
    client, settings
):
    settings.SURVEY_RATE_LIMIT_PER_MINUTE = 2
    invitation = sent_invitation()

    with time_machine.travel(NOW, tick=False):
        client.get(link(invitation))
    with time_machine.travel(NOW + timedelta(seconds=40), tick=False):
        client.get(link(invitation))
        refused = client.get(link(invitation))
    with time_machine.travel(NOW + timedelta(seconds=60), tick=False):
        freed = client.get(link(invitation))

    assert refused.status_code == 429
    assert refused["Retry-After"] == "20"
    assert freed.status_code == 200


def test_behind_the_proxy_the_client_is_the_last_forwarded_address(settings):
    settings.SURVEY_RATE_LIMIT_PER_MINUTE = 1
    settings.BEHIND_PROXY = True
    invitation = sent_invitation()
    proxy = Client(REMOTE_ADDR="10.0.0.1")

    with time_machine.travel(NOW, tick=False):
        first = proxy.get(link(invitation), headers={"X-Forwarded-For": "198.51.100.1"})
        # A client cannot escape by forging the first entry.
        forged = proxy.get(
            link(invitation), headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.1"}
        )
        another = proxy.get(
            link(invitation), headers={"X-Forwarded-For": "198.51.100.2"}
        )

    assert (first.status_code, forged.status_code, another.status_code) == (
        200,
        429,
        200,
    )


def test_a_redis_outage_does_not_stop_answers(client, settings, caplog):
    settings.SURVEY_RATE_LIMIT_PER_MINUTE = 1
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    invitation = sent_invitation()

    pages = [client.post(link(invitation), {"score": "9", "comment": ""})]
    pages.append(client.post(link(invitation), {"score": "10", "comment": ""}))

    assert [page.status_code for page in pages] == [200, 200]
    assert SurveyResponse.objects.get().score == 10
    assert "Request rate not counted, request let through" in caplog.text


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_are_not_allowed(client, method):
    invitation = sent_invitation()

    page = getattr(client, method)(link(invitation))

    assert page.status_code == 405
    assert not SurveyResponse.objects.exists()


def test_the_page_speaks_the_customer_s_language(client):
    customer = CustomerFactory.create(language="zh-hans")
    invitation = InvitationFactory.create(interaction__customer=customer)

    page = client.get(link(invitation) + "?score=9", headers={"accept-language": "en"})

    assert page.status_code == 200
    assert '<html lang="zh-Hans">' in page.content.decode()


def test_an_english_customer_gets_english_whatever_the_browser_asks(client):
    invitation = sent_invitation()

    page = client.get(link(invitation), headers={"accept-language": "zh-hans"})

    assert '<html lang="en">' in page.content.decode()
    assert "How likely are you to recommend" in page.content.decode()


def test_the_page_sends_its_origin_with_its_own_form(client):
    """With `no-referrer`, Chromium posts the form with "Origin: null", which
    CSRF refuses; `same-origin` keeps the token from every other site."""
    invitation = sent_invitation()

    page = client.get(link(invitation)).content.decode()

    assert '<meta name="referrer" content="same-origin">' in page
    assert "no-referrer" not in page


def test_the_pages_are_not_cached(client):
    invitation = sent_invitation()

    page = client.get(link(invitation))

    assert "no-cache" in page["Cache-Control"]
    assert "private" in page["Cache-Control"]


# Queries


def test_the_answer_page_reads_the_invitation_and_its_answer_in_one_query(
    client, django_assert_num_queries
):
    invitation = sent_invitation()

    # The lookup, with survey, customer and answer; the first view's mark;
    # whether a running pilot varies the question (one query when none does).
    with django_assert_num_queries(3):
        first_view = client.get(link(invitation) + "?score=9")
    with django_assert_num_queries(2):
        second_view = client.get(link(invitation) + "?score=9")

    assert (first_view.status_code, second_view.status_code) == (200, 200)


def test_an_answer_is_recorded_in_a_fixed_number_of_queries(
    client, django_assert_num_queries
):
    invitation = sent_invitation()
    client.get(link(invitation))
    # The change history's content type, which a running process has cached.
    ContentType.objects.get_for_model(SurveyResponse)

    # The lookup; in a transaction (a savepoint here, two queries): the row
    # locked, its answer read, the answer inserted, the invitation marked
    # answered, its score rollup counted; a change asks whether a case about
    # the answer has been followed up, updates the answer, looks for its case
    # and its comment's reading (to move it in the comment rollup) and moves
    # the answer to its new band in the rollup. Each also looks for a webhook
    # subscriber to the response event. The thanks page asks whether a
    # running pilot varies the question. The change history (privacy/
    # access_log.py) writes an entry for each; for a change, it reads the row
    # as it was, and the customer for the answer's str() (which auditlog
    # computes before privacy.access_log names the entry by id instead).
    with django_assert_num_queries(11):
        first = client.post(link(invitation), {"score": "9"})
    with django_assert_num_queries(15):
        changed = client.post(link(invitation), {"score": "7", "comment": "Slow"})

    assert (first.status_code, changed.status_code) == (200, 200)
    assert SurveyResponse.objects.get().score == 7
