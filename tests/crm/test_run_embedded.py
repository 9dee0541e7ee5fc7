"""`make run`'s supervision of its processes, with stand-in commands."""

import sys

import pytest
from django.core.management.base import CommandError

from crm.management.commands import run_embedded

PYTHON = sys.executable
SLEEPS = [PYTHON, "-c", "import time; time.sleep(60)"]


def says(text: str, *, exit_code: int = 0) -> list[str]:
    return [PYTHON, "-c", f"print({text!r}); raise SystemExit({exit_code})"]


@pytest.fixture
def started(real_clock):
    """Start stand-in processes and stop them after the test."""
    children: list[run_embedded.Children] = []

    def start(argvs, logs):
        children.append(run_embedded.start_processes(argvs, logs=logs))
        return children[-1]

    yield start
    for each in children:
        run_embedded.stop(each)


def test_each_process_writes_to_its_own_log_after_a_line_marking_its_start(
    started, tmp_path
):
    children = started(
        {"web": says("serving"), "worker": says("working")}, tmp_path / "log"
    )
    for child in children.values():
        child.process.wait(timeout=30)

    web = (tmp_path / "log" / "web.log").read_text().splitlines()
    worker = (tmp_path / "log" / "worker.log").read_text().splitlines()
    assert web[0].startswith("=== ")
    assert web[0].endswith(" started: " + " ".join(says("serving")))
    assert web[1:] == ["serving"]
    assert worker[1:] == ["working"]


def test_the_previous_runs_log_is_kept_as_dot_1_and_older_ones_are_dropped(
    started, tmp_path
):
    logs = tmp_path / "log"
    for run in ("first", "second", "third"):
        for child in started({"beat": says(run)}, logs).values():
            child.process.wait(timeout=30)

    assert sorted(path.name for path in logs.iterdir()) == ["beat.log", "beat.log.1"]
    assert (logs / "beat.log").read_text().splitlines()[1:] == ["third"]
    assert (logs / "beat.log.1").read_text().splitlines()[1:] == ["second"]


def test_a_process_that_dies_at_start_is_named_with_the_end_of_its_log(
    started, tmp_path
):
    children = started(
        {"web": SLEEPS, "worker": says("broken setting: BROKER", exit_code=3)},
        tmp_path / "log",
    )
    children["worker"].process.wait(timeout=30)

    with pytest.raises(CommandError) as error:
        run_embedded.check_alive(children)

    message = str(error.value)
    assert message.startswith("The worker process exited with code 3. The end of ")
    assert message.endswith(
        "worker.log:\n"
        + "\n".join((tmp_path / "log" / "worker.log").read_text().splitlines())
    )
    assert message.endswith("\nbroken setting: BROKER")
    assert children["web"].process.poll() is None


def test_the_end_of_a_log_is_its_last_twenty_lines(tmp_path):
    log = tmp_path / "web.log"
    log.write_text("".join(f"line {number}\n" for number in range(1, 31)))

    lines = run_embedded.tail(log).splitlines()

    assert lines[0] == f"The end of {log}:"
    assert lines[1:] == [f"line {number}" for number in range(11, 31)]
