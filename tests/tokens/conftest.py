import pytest
from django.core.cache import cache


@pytest.fixture
def fresh_rates():
    """The request rates count in the cache (Redis in CI): a test of them
    starts with none of the requests of the tests before it."""
    cache.clear()
    yield
    cache.clear()
