import pytest
from django.core.exceptions import ImproperlyConfigured

from crm.settings import env_rate


@pytest.mark.parametrize(
    ("value", "rate"),
    [
        ("", "600/min"),
        ("30/s", "30/s"),
        ("100/hour", "100/hour"),
        ("5000/day", "5000/day"),
        ("off", None),
        ("OFF", None),
    ],
)
def test_an_api_rate_is_read_from_the_environment(monkeypatch, value, rate):
    monkeypatch.setenv("API_TOKEN_RATE", value)

    assert env_rate("API_TOKEN_RATE", "600/min") == rate


@pytest.mark.parametrize("value", ["600", "0/min", "-1/min", "ten/min", "5/week"])
def test_a_bad_api_rate_is_refused_at_start(monkeypatch, value):
    monkeypatch.setenv("API_TOKEN_RATE", value)

    with pytest.raises(ImproperlyConfigured) as error:
        env_rate("API_TOKEN_RATE", "600/min")

    assert str(error.value) == (
        f'API_TOKEN_RATE must be N/s, N/min, N/hour, N/day or "off", got {value!r}'
    )
