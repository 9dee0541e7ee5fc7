import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from crm.settings import configure_smtp

PROJECT_DIR = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "SECRET_KEY": "a-long-random-production-secret-key-4f9c1d7e2b8a6c3e5d0f",
    "SITE_URL": "https://touchloop.example.com",
    "ALLOWED_HOSTS": "touchloop.example.com",
    "DATABASE_URL": "postgres://touchloop:secret@db:5432/touchloop",
    "REDIS_URL": "redis://redis:6379/0",
    "SMTP_URL": "smtps://mailer:secret@smtp.example.com",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        name: value
        for name, value in os.environ.items()
        if name
        not in {
            "SECRET_KEY",
            "DEBUG",
            "DATABASE_URL",
            "REDIS_URL",
            "SMTP_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION, "SECRET_KEY": ""}

    result = run_manage("check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize(
    "key",
    ["abc", "x" * 49, "ab" * 40, "short-but-varied-0123456789"],
    ids=["abc", "49 characters", "two characters repeated", "27 characters"],
)
def test_production_refuses_a_weak_secret_key(key):
    result = run_manage("check", env={**PRODUCTION, "SECRET_KEY": key})

    assert result.returncode != 0
    assert "SECRET_KEY is too weak: use at least 50 characters" in result.stderr


def test_production_takes_a_key_of_50_characters_of_5_kinds():
    key = "abcde" * 10

    result = run_manage("check", env={**PRODUCTION, "SECRET_KEY": key})

    assert result.returncode == 0, result.stderr


def test_debug_runs_without_a_secret_key():
    result = run_manage("check", env={"DEBUG": "1"})

    assert result.returncode == 0, result.stderr


def test_deploy_check_is_clean_with_production_values():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_database_url_that_is_not_postgres_is_refused():
    result = run_manage("check", env={**PRODUCTION, "DATABASE_URL": "mysql://db/x"})

    assert result.returncode != 0
    assert "DATABASE_URL must be a postgres:// URL" in result.stderr


def test_debug_must_be_a_boolean():
    result = run_manage("check", env={"DEBUG": "maybe"})

    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_smtps_url_means_implicit_tls_with_decoded_credentials():
    assert configure_smtp("smtps://mail%40example.com:p%2Fss@smtp.example.com") == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": 465,
        "EMAIL_HOST_USER": "mail@example.com",
        "EMAIL_HOST_PASSWORD": "p/ss",
        "EMAIL_USE_SSL": True,
        "EMAIL_USE_TLS": False,
    }


def test_smtp_url_with_starttls_and_port():
    config = configure_smtp("smtp://relay:2525?starttls=1")

    assert config["EMAIL_HOST"] == "relay"
    assert config["EMAIL_PORT"] == 2525
    assert config["EMAIL_USE_TLS"] is True
    assert config["EMAIL_USE_SSL"] is False


def test_an_smtp_url_of_another_scheme_is_refused():
    with pytest.raises(ImproperlyConfigured, match="SMTP_URL must be"):
        configure_smtp("http://smtp.example.com")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"CASE_BUSINESS_START_HOUR": "18", "CASE_BUSINESS_END_HOUR": "9"},
            "CASE_BUSINESS_START_HOUR must come before CASE_BUSINESS_END_HOUR",
        ),
        (
            {"CASE_BUSINESS_TIME_ZONE": "Europe/Atlantis"},
            "CASE_BUSINESS_TIME_ZONE is no time zone: 'Europe/Atlantis'",
        ),
        ({"CASE_SLA_URGENT_HOURS": "0"}, "CASE_SLA_*_HOURS must be whole hours"),
    ],
)
def test_case_deadline_settings_are_checked_at_start(env, message):
    result = run_manage("check", env={"DEBUG": "1", **env})

    assert result.returncode != 0
    assert message in result.stderr


def test_the_keys_before_a_rotation_come_from_the_environment():
    old = "an-earlier-production-secret-key-9a8b7c6d5e4f3a2b1c0d"
    shown = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY_FALLBACKS)",
        env={**PRODUCTION, "SECRET_KEY_FALLBACKS": f"{old}, older-key"},
    )

    assert shown.returncode == 0, shown.stderr
    # (the shell first says what it imported)
    assert shown.stdout.splitlines()[-1] == str([old, "older-key"])
