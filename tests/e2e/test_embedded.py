"""`make run`'s processes, started for real: web server, Celery worker, beat."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from crm import __version__

pytestmark = pytest.mark.e2e

START_TIMEOUT = 120


def read_until(process: subprocess.Popen, marker: str) -> str:
    """Everything the process prints up to and including the line with `marker`."""
    seen = []
    deadline = time.monotonic() + START_TIMEOUT
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"no {marker!r} in output:\n{''.join(seen)}")


def group_is_gone(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return True
    return False


def test_make_run_serves_healthz_and_ctrl_c_stops_every_process(
    fresh_checkout, free_port, embedded_env
):
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_embedded", "--port", str(free_port)],
        cwd=fresh_checkout,
        env=embedded_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    group = process.pid
    try:
        output = read_until(process, "Press Ctrl-C")
        with urllib.request.urlopen(
            f"http://127.0.0.1:{free_port}/healthz"
        ) as response:
            health = json.load(response)

        assert health == {
            "status": "ok",
            "database": "ok",
            "broker": "ok",
            "version": __version__,
        }
        assert f"http://127.0.0.1:{free_port}/" in output
        assert "Staff login: support" in output
        assert "Manager login: manager" in output
        assert (fresh_checkout / "var" / "touchloop.sqlite3").exists()

        os.killpg(group, signal.SIGINT)  # what Ctrl-C does
        process.wait(timeout=30)
        deadline = time.monotonic() + 15
        while not group_is_gone(group) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert group_is_gone(group), "a child process outlived Ctrl-C"
    finally:
        if not group_is_gone(group):
            os.killpg(group, signal.SIGKILL)
