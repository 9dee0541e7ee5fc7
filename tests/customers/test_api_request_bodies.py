"""Request bodies the API refuses before they reach a customer: wrong types,
NUL characters, malformed JSON, bodies too large or in the wrong encoding."""

import json
import zlib

import pytest
from rest_framework.test import APIClient

from customers.models import Customer
from tests.api import bearer
from tests.customers.api_helpers import CUSTOMERS, NOW

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def post_raw(client: APIClient, url: str, body: bytes | str, content_type=None):
    """POST a body as it is: broken JSON, bytes that are not UTF-8."""
    return client.generic(
        "POST",
        url,
        body,  # type: ignore[arg-type]  # the stubs say str; Django sends bytes too
        content_type=content_type or "application/json",
    )


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"name": {"first": "Eve"}}, {"name": ["Not a valid string."]}),
        ({"name": ["Eve"]}, {"name": ["Not a valid string."]}),
        ({"name": None}, {"name": ["This field may not be null."]}),
        (
            {"name": "Eve", "company": "abc"},
            {"company": ["A valid integer is required."]},
        ),
        (
            {"name": "Eve", "company": 1.5},
            {"company": ["A valid integer is required."]},
        ),
        (
            {"name": "Eve", "company": True},
            {"company": ["A valid integer is required."]},
        ),
        (
            {"name": "Eve", "company": 10**30},
            {"company": [f'Invalid pk "{10**30}" - object does not exist.']},
        ),
        (
            {"name": "Eve", "tags": "vip"},
            {"tags": ['Expected a list of items but got type "str".']},
        ),
        (
            {"name": "Eve", "tags": [{"a": 1}]},
            {"tags": {"0": ["Not a valid string."]}},
        ),
        (
            {"name": "Eve", "tags": ["x" * 51]},
            {"tags": {"0": ["Ensure this field has no more than 50 characters."]}},
        ),
        (
            {"name": "Eve", "tags": [str(n) for n in range(51)]},
            {"tags": ["Ensure this field has no more than 50 elements."]},
        ),
        (
            {"name": "Eve", "created_at": None, "language": None},
            {"language": ["This field may not be null."]},
        ),
    ],
)
def test_wrong_types_are_refused(support, body, errors):
    response = bearer(support).post(CUSTOMERS, body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([{"name": "Eve"}], "Invalid data. Expected a dictionary, but got list."),
        ("Eve", "Invalid data. Expected a dictionary, but got str."),
        (None, "No data provided"),
    ],
)
def test_a_body_that_is_not_an_object_is_refused(support, body, message):
    response = post_raw(bearer(support), CUSTOMERS, json.dumps(body))

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [message]}
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"name": "Eve\x00"}, {"name": ["Null characters are not allowed."]}),
        (
            {"name": "Eve", "email": "eve\x00@example.com"},
            {
                "email": [
                    "Null characters are not allowed.",
                    "Enter a valid email address.",
                ]
            },
        ),
        (
            {"name": "Eve", "tags": ["v\x00ip"]},
            {"tags": {"0": ["Null characters are not allowed."]}},
        ),
        (
            {"name": "Eve", "stage": "\x00"},
            {"stage": ['"\x00" is not a valid choice.']},
        ),
        (
            {"name": "Eve", "timezone": "UTC\x00"},
            {
                "timezone": [
                    "UTC\x00 is not a known time zone (use a name like Asia/Shanghai).",
                    "Null characters are not allowed.",
                ]
            },
        ),
    ],
)
def test_nul_characters_are_refused(support, body, errors):
    response = bearer(support).post(CUSTOMERS, body, format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert not Customer.objects.exists()


def test_a_nul_character_in_a_field_name_is_refused(support):
    response = bearer(support).post(
        CUSTOMERS, {"name": "Eve", "na\x00me": "x"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"na\x00me": ["Unknown field."]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"name": ', "JSON parse error - Expecting value: line 1 column 10 (char 9)"),
        (
            "{'name': 'Eve'}",
            "JSON parse error - Expecting property name enclosed in "
            "double quotes: line 1 column 2 (char 1)",
        ),
        (
            '{"name": NaN}',
            "JSON parse error - Out of range float values are not JSON compliant: "
            "'NaN'",
        ),
        (
            '{"name": "\\ud800"}',
            "JSON parse error - lone surrogate escapes are not allowed.",
        ),
        (
            '{"stage": "\\ud800"}',
            "JSON parse error - lone surrogate escapes are not allowed.",
        ),
        (
            '{"\\udfff": 1}',
            "JSON parse error - lone surrogate escapes are not allowed.",
        ),
        ("[" * 100_000 + "]" * 100_000, "JSON parse error - nested too deeply."),
        (
            b'{"name": "\xff"}',
            "JSON parse error - 'utf-8' codec can't decode byte "
            "0xff in position 10: invalid start byte",
        ),
    ],
)
def test_malformed_json_is_refused(support, body, message):
    response = post_raw(bearer(support), CUSTOMERS, body)

    assert response.status_code == 400
    assert response.json() == {"detail": message}
    assert not Customer.objects.exists()


def test_an_emoji_written_as_a_surrogate_pair_is_accepted(support):
    response = post_raw(bearer(support), CUSTOMERS, '{"name": "Eve \\ud83d\\ude00"}')

    assert response.status_code == 201
    assert Customer.objects.get().name == "Eve 😀"


def test_a_number_too_large_for_a_float_is_not_an_id(support):
    response = post_raw(bearer(support), CUSTOMERS, '{"name": "Eve", "company": 1e400}')

    assert response.status_code == 400
    assert response.json() == {"company": ["A valid integer is required."]}


def test_a_compression_codec_is_not_a_charset(support):
    """`charset=zlib` must not inflate a small body into gigabytes."""
    body = zlib.compress(json.dumps({"name": "x" * 5_000_000}).encode())

    response = post_raw(
        bearer(support), CUSTOMERS, body, "application/json; charset=zlib"
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": 'Unsupported charset "zlib" in request Content-Type header.'
    }
    assert not Customer.objects.exists()


def test_a_body_above_the_upload_limit_is_refused(support, settings):
    body = json.dumps({"name": "Eve", "notes": "x" * 2_621_440})
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = post_raw(bearer(support), CUSTOMERS, body)

    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large."}
    assert not Customer.objects.exists()


def test_a_form_encoded_body_is_refused(support):
    response = bearer(support).post(CUSTOMERS, {"name": "Eve"})

    assert response.status_code == 415
    assert not Customer.objects.exists()
