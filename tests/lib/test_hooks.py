"""The hook mechanism fails loudly: an undeclared event, a handler that does
not import."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from lib import hooks

CALLS: list[tuple[str, dict]] = []
NOT_CALLABLE = "a string"


def first(**payload):
    CALLS.append(("first", payload))


def second(**payload):
    CALLS.append(("second", payload))


@pytest.fixture(autouse=True)
def no_calls():
    CALLS.clear()


def test_an_event_reaches_its_handlers_in_order(settings):
    settings.HOOKS = {"thing_done": [f"{__name__}.first", f"{__name__}.second"]}

    hooks.announce("thing_done", thing=7)

    assert CALLS == [("first", {"thing": 7}), ("second", {"thing": 7})]


def test_an_event_declared_without_handlers_reaches_nobody(settings):
    settings.HOOKS = {"thing_done": []}

    hooks.announce("thing_done", thing=7)

    assert CALLS == []


def answer(**payload):
    return payload["thing"] * 2


def nothing(**payload):
    return None


def test_gathering_returns_each_handlers_answer_in_order_without_none(settings):
    settings.HOOKS = {
        "things_wanted": [
            f"{__name__}.answer",
            f"{__name__}.nothing",
            f"{__name__}.answer",
        ]
    }

    assert hooks.gather("things_wanted", thing=7) == [14, 14]


def test_gathering_an_undeclared_event_raises(settings):
    settings.HOOKS = {"things_wanted": []}

    with pytest.raises(hooks.UndeclaredEventError, match="'things_wnated'"):
        hooks.gather("things_wnated", thing=7)


def test_announcing_an_undeclared_event_raises_and_calls_nothing(settings):
    settings.HOOKS = {"thing_done": [f"{__name__}.first"]}

    with pytest.raises(hooks.UndeclaredEventError, match="'thing_dnoe'"):
        hooks.announce("thing_dnoe", thing=7)

    assert CALLS == []


def test_every_handler_of_the_real_settings_imports():
    assert hooks.check_handlers() == []


def test_a_handler_that_does_not_import_or_call_is_a_check_error(settings):
    settings.HOOKS = {
        "thing_done": [
            f"{__name__}.first",
            f"{__name__}.missing",
            "nowhere.at_all",
            f"{__name__}.NOT_CALLABLE",
        ]
    }

    errors = hooks.check_handlers()

    assert [error.id for error in errors] == [
        "touchloop.E001",
        "touchloop.E001",
        "touchloop.E002",
    ]
    assert "'nowhere.at_all'" in errors[1].msg


def test_manage_py_check_fails_on_a_handler_that_does_not_import(settings):
    settings.HOOKS = {"thing_done": ["nowhere.at_all"]}

    with pytest.raises(SystemCheckError, match=r"touchloop\.E001"):
        call_command("check")
