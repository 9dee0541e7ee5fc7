import os
import shutil
import socket
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
NOT_SOURCE = shutil.ignore_patterns(
    ".venv", "var", ".git", "staticfiles", "__pycache__", ".*_cache", "test-results"
)


@pytest.fixture
def fresh_checkout(tmp_path) -> Path:
    """The project's source in a directory of its own, as a fresh clone has it:
    its own var/ (database, broker, mail) that no other test touches."""
    checkout = tmp_path / "touchloop"
    shutil.copytree(PROJECT_DIR, checkout, ignore=NOT_SOURCE)
    return checkout


@pytest.fixture
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def embedded_env() -> dict[str, str]:
    """The environment of `make run`: no servers, DEBUG on."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "REDIS_URL", "SMTP_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["DEBUG"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env
