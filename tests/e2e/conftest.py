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
        if name
        not in {"DATABASE_URL", "REDIS_URL", "SMTP_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["DEBUG"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Flags for a closed network: no background calls home that would be refused.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(
                f"REQUIRE_BROWSER is set and there is no Chromium at {CHROMIUM}"
            )
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, and the test's
    # own ORM calls are synchronous by nature. Only while the browser is up:
    # a deployment check in a later test must not see the variable.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        locale="en-US", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
