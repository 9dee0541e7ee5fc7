"""Bad and hostile query strings on the dashboard, its answers list and its
CSV: explained, never a 500; the extreme ranges that are allowed."""

import html

import pytest

from tests.feedback.dashboard_helpers import ANSWERS, CSV_URL, INDEX, NOW

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def test_bad_query_parameters_are_explained_not_a_500(client, manager, five):
    client.force_login(manager)

    response = client.get(
        INDEX,
        {"kind": "loyalty", "from": "2026-13-01", "touchpoint": "x", "mode": "some"},
    )

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {
        "kind",
        "from_",
        "touchpoint",
        "mode",
    }
    page = response.content.decode()
    assert "These filters cannot be shown." in page
    assert "Select a valid choice. loyalty is not one of the available choices." in (
        html.unescape(page)
    )
    assert "Enter a valid date." in page
    assert '<svg class="chart' not in page


def test_a_range_that_ends_before_it_starts_is_explained(client, manager):
    client.force_login(manager)

    response = client.get(INDEX, {"from": "2026-11-10", "to": "2026-11-01"})

    assert response.status_code == 400
    assert "The range ends before it starts." in response.content.decode()


def test_a_survey_of_another_kind_is_explained(client, manager, survey):
    client.force_login(manager)

    response = client.get(INDEX, {"survey": survey.pk, "kind": "csat"})

    assert response.status_code == 400
    assert "The survey asks nps, not csat." in response.content.decode()


def test_bad_parameters_for_the_list_and_the_csv_are_400s(client, manager):
    client.force_login(manager)

    listed = client.get(ANSWERS, {"to": "yesterday"})
    exported = client.get(CSV_URL, {"to": "yesterday"})

    assert listed.status_code == 400
    assert "Enter a valid date." in listed.content.decode()
    assert exported.status_code == 400
    assert exported.content.decode() == "to: Enter a valid date."


HOSTILE_RANGES = [
    ({"from": "9999-12-31"}, "from", "Choose a day from 1900-01-01 to 2999-12-31."),
    ({"to": "0001-01-05"}, "to", "Choose a day from 1900-01-01 to 2999-12-31."),
    ({"from": "0001-01-01", "to": "9999-12-31"}, "from", "Choose a day from"),
    (
        {"from": "1900-01-01", "interval": "day"},
        "from",
        "Ask for at most 1830 days at once.",
    ),
    (
        {"from": "2026-11-10", "to": "2026-11-01"},
        "to",
        "The range ends before it starts.",
    ),
    ({"from": "99999-01-01"}, "from", "Enter a valid date."),
    ({"to": "2026-02-30"}, "to", "Enter a valid date."),
]


@pytest.mark.parametrize(("params", "name", "message"), HOSTILE_RANGES)
@pytest.mark.parametrize("path", [INDEX, ANSWERS])
def test_a_hostile_range_is_a_400_page_that_says_why(
    client, manager, five, path, params, name, message
):
    client.force_login(manager)

    response = client.get(path, params)

    assert response.status_code == 400
    field = "from_" if name == "from" else name
    assert message in " ".join(response.context["form"].errors[field])
    assert message in html.unescape(response.content.decode())
    assert "answer_filter" not in response.context  # no figures were read


@pytest.mark.parametrize(("params", "name", "message"), HOSTILE_RANGES)
def test_a_hostile_range_is_a_400_text_for_the_csv(
    client, manager, five, params, name, message
):
    client.force_login(manager)

    response = client.get(CSV_URL, params)

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(f"{name}: {message}")


@pytest.mark.parametrize(
    "params",
    [
        # From a future day without an end: that one day.
        {"from": "2030-01-01"},
        # The oldest and newest days allowed, in whole quarters, the range
        # before them included.
        {"from": "1900-01-01", "to": "1900-03-31", "interval": "quarter"},
        {"from": "2999-10-01", "to": "2999-12-31", "interval": "quarter"},
        # The default start, 90 days before, may be before the oldest day.
        {"to": "1900-01-05"},
        {"from": "2022-01-01", "to": "2026-11-18", "interval": "day"},
    ],
)
@pytest.mark.parametrize("path", [INDEX, ANSWERS, CSV_URL])
def test_extreme_ranges_that_are_allowed_are_shown(client, manager, five, path, params):
    client.force_login(manager)

    response = client.get(path, params)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "cursor",
    [
        "99999999999999999999.1",
        "-99999999999999999999.1",
        "1.99999999999999999999",
        "1.-99999999999999999999",
        "1e400.1",
        ".",
    ],
)
@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_hostile_page_cursor_is_never_a_500(client, manager, five, direction, cursor):
    client.force_login(manager)

    response = client.get(ANSWERS, {direction: cursor})

    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert "This page link is broken." in response.content.decode()


def test_a_broken_page_link_is_explained(client, manager, five):
    client.force_login(manager)

    response = client.get(ANSWERS, {"after": "not-a-cursor"})

    assert response.status_code == 400
    assert "This page link is broken." in response.content.decode()
