import re

import pytest
from rest_framework.test import APIClient

from tests import factories
from tests.api import bearer
from tests.factories import UserFactory

# Documents the browser tests loaded and the CSP violations they met
# (tests/e2e/conftest.py), summed over xdist's workers and printed at the end.
CSP_TALLY = {"documents": 0, "violations": 0}


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["csp_tally"] = dict(CSP_TALLY)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    for key, value in getattr(node, "workeroutput", {}).get("csp_tally", {}).items():
        CSP_TALLY[key] += value


def pytest_terminal_summary(terminalreporter) -> None:
    if CSP_TALLY["documents"]:
        terminalreporter.write_line(
            f"Content-Security-Policy: {CSP_TALLY['documents']} documents loaded "
            f"in Chromium, {CSP_TALLY['violations']} violations"
        )


@pytest.fixture
def support(db):
    """A support-staff member: logs interactions, sees surveys and cases."""
    return UserFactory.create(username="sam-support", groups=["Support"])


@pytest.fixture
def manager(db):
    """A manager: may do everything in the three apps."""
    return UserFactory.create(username="mia-manager", groups=["Manager"])


@pytest.fixture
def outsider(db):
    """A logged-in user with no role."""
    return UserFactory.create(username="olly-outsider")


# An API client per role, signed in with a Bearer key of the role's user.


@pytest.fixture
def support_api(support) -> APIClient:
    return bearer(support)


@pytest.fixture
def manager_api(manager) -> APIClient:
    return bearer(manager)


@pytest.fixture
def outsider_api(outsider) -> APIClient:
    return bearer(outsider)


@pytest.fixture
def anonymous_api() -> APIClient:
    return bearer(None)


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    """Production's manifest storage needs `collectstatic`; tests serve no files."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2's rounds cost 0.3 s a user; no test needs the hash to be strong."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def no_api_rate_limits(settings):
    """The API's rates count per token and user id in the cache, and ids come
    round again (SQLite reuses them after a rollback) while frozen clocks keep
    old counts alive: tests would be throttled by each other's requests. The
    tests of the rates (tests/tokens) set their own."""
    settings.API_TOKEN_RATE = None
    settings.API_USER_RATE = None


# Every factory of tests/factories.py as a fixture, by its snake-case name:
# `customer_factory.create(...)`, `case_factory.build(...)`.


def factory_fixture(factory: type) -> object:
    @pytest.fixture(name=re.sub(r"(?<!^)(?=[A-Z])", "_", factory.__name__).lower())
    def fixture(db: None) -> type:
        return factory

    return fixture


for _name in dir(factories):
    if _name.endswith("Factory") and _name != "Factory":
        globals()[f"_{_name}_fixture"] = factory_fixture(getattr(factories, _name))
