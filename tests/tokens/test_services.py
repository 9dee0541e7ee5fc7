import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import ApiTokenFactory, UserFactory
from tokens import services
from tokens.models import ApiToken

NOW = datetime(2027, 5, 4, 9, 30, tzinfo=UTC)
MINUTE = timedelta(minutes=1)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


def stored_text() -> str:
    """Every value of every token row, as text."""
    return repr(list(ApiToken.objects.values_list()))


def updates(captured: CaptureQueriesContext) -> list[str]:
    sqls = [query["sql"] for query in captured.captured_queries]
    return [sql for sql in sqls if sql.startswith("UPDATE")]


def test_a_new_token_returns_its_key_and_stores_only_its_hash(support):
    token, key = services.create_token(
        support, name="Helpdesk sync", scope="read", expires_at=NOW + MINUTE
    )

    token.refresh_from_db()
    assert key.startswith("tl_")
    assert len(key) == 43
    assert (token.user, token.name, token.scope, token.prefix, token.key_hash) == (
        support,
        "Helpdesk sync",
        "read",
        key[:8],
        services.hash_key(key),
    )
    assert (token.created_at, token.expires_at, token.last_used_at) == (
        NOW,
        NOW + MINUTE,
        None,
    )
    assert key not in stored_text()
    assert key[8:] not in stored_text()


def test_two_tokens_never_share_a_key(support):
    keys = {services.create_token(support, name="t")[1] for _ in range(20)}

    assert len(keys) == 20


def test_the_key_authenticates_its_token():
    token = ApiTokenFactory.create()

    assert services.authenticate(token.key) == token


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"revoked_at": NOW - MINUTE}, "This token has been revoked."),
        ({"expires_at": NOW}, "This token has expired."),
        ({"expires_at": NOW - MINUTE}, "This token has expired."),
        ({"user__is_active": False}, "User inactive or deleted."),
    ],
)
def test_a_revoked_expired_or_orphaned_token_signs_nobody_in(changes, message):
    changes = dict(changes)
    token = ApiTokenFactory.create(
        last_used_at=None,
        user=UserFactory.create(is_active=changes.pop("user__is_active", True)),
        **changes,
    )

    with pytest.raises(services.InvalidTokenError) as error:
        services.authenticate(token.key)

    assert str(error.value) == message
    token.refresh_from_db()
    assert token.last_used_at is None


def test_a_token_still_valid_for_a_second_signs_in():
    token = ApiTokenFactory.create(expires_at=NOW + timedelta(seconds=1))

    assert services.authenticate(token.key) == token


@pytest.mark.parametrize(
    "key",
    [
        "",
        "tl_" + "a" * 39,
        "tl_" + "a" * 41,
        "tl_" + "a" * 39 + "\x00",
        "tl_" + "a" * 39 + "=",
        "A" * 40,
        "0" * 39,
    ],
)
def test_a_malformed_key_is_refused_without_a_query(key, django_assert_num_queries):
    with django_assert_num_queries(0), pytest.raises(services.InvalidTokenError):
        services.authenticate(key)


def test_an_unknown_key_is_refused():
    ApiTokenFactory.create()

    with pytest.raises(services.InvalidTokenError) as error:
        services.authenticate(services.new_key())

    assert str(error.value) == "Invalid token."


def test_the_last_use_is_written_at_most_once_a_minute(clock):
    token = ApiTokenFactory.create(last_used_at=None)

    with CaptureQueriesContext(connection) as first:
        services.authenticate(token.key)
    clock.move_to(NOW + 59 * timedelta(seconds=1), tick=False)
    with CaptureQueriesContext(connection) as within_the_minute:
        for _ in range(5):
            services.authenticate(token.key)
    token.refresh_from_db()
    assert token.last_used_at == NOW
    clock.move_to(NOW + MINUTE, tick=False)
    with CaptureQueriesContext(connection) as a_minute_later:
        services.authenticate(token.key)

    assert len(updates(first)) == 1
    assert updates(within_the_minute) == []
    assert len(updates(a_minute_later)) == 1
    token.refresh_from_db()
    assert token.last_used_at == NOW + MINUTE


def test_a_stale_read_of_the_last_use_does_not_write_it_again():
    """Two requests both read a last use over a minute old: one writes."""
    token = ApiTokenFactory.create(last_used_at=NOW - 2 * MINUTE)
    first = ApiToken.objects.get(pk=token.pk)
    second = ApiToken.objects.get(pk=token.pk)

    services.mark_used(first, now=NOW)
    with CaptureQueriesContext(connection) as captured:
        services.mark_used(second, now=NOW + timedelta(seconds=1))

    token.refresh_from_db()
    assert token.last_used_at == NOW
    assert len(updates(captured)) == 1  # tried, and matched no row


def test_revoking_is_once():
    token = ApiTokenFactory.create()

    assert services.revoke_token(token) is True
    assert token.revoked_at == NOW
    later = NOW + MINUTE
    assert services.revoke_token(token, now=later) is False
    token.refresh_from_db()
    assert token.revoked_at == NOW


def run_legacy_migration() -> None:
    migration = importlib.import_module("tokens.migrations.0002_legacy_keys")
    with connection.schema_editor() as schema_editor:
        migration.hash_legacy_keys(apps, schema_editor)


# The migration runs the schema editor inside the test's transaction, which
# SQLite refuses; PostgreSQL (CI) runs it.
legacy_migration_runs = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no schema changes inside a transaction",
)


def create_legacy_table(rows: list[tuple[str, int]]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token ("
            '"key" varchar(40) PRIMARY KEY, created timestamp with time zone NOT '
            "NULL, user_id integer NOT NULL)"
        )
        for key, user_id in rows:
            cursor.execute(
                "INSERT INTO authtoken_token VALUES (%s, %s, %s)",
                [key, NOW - timedelta(days=400), user_id],
            )
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)",
            ["authtoken", "0001_initial", NOW],
        )


@legacy_migration_runs
def test_a_key_from_before_named_tokens_keeps_working_and_only_its_hash_stays(
    support,
):
    legacy_key = "0123456789abcdef0123456789abcdef01234567"
    create_legacy_table([(legacy_key, support.pk)])

    run_legacy_migration()

    token = ApiToken.objects.get()
    assert (token.user, token.name, token.scope, token.prefix, token.created_at) == (
        support,
        "API key (from before named tokens)",
        "write",
        "01234567",
        NOW - timedelta(days=400),
    )
    assert token.key_hash == services.hash_key(legacy_key)
    assert "authtoken_token" not in connection.introspection.table_names()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'authtoken'")
        assert cursor.fetchone() == (0,)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {legacy_key}")
    assert client.get("/api/v1/customers/").status_code == 200


@legacy_migration_runs
def test_without_the_legacy_table_the_migration_does_nothing():
    run_legacy_migration()

    assert not ApiToken.objects.exists()
