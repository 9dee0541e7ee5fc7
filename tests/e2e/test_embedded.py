"""`make run`'s processes, started for real: web server, Celery worker, beat."""

import json
import os
import signal
import socket
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


def start_make_run(checkout, port: int, env: dict[str, str], *options: str):
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_embedded", "--port", str(port), *options],
        cwd=checkout,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    )


def wait_for_line(path, marker: str) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if marker in text:
            return text
        time.sleep(0.2)
    raise AssertionError(f"no {marker!r} in {path}:\n{text}")


def ctrl_c(process: subprocess.Popen) -> str:
    """Ctrl-C, and what the console showed after it."""
    os.killpg(process.pid, signal.SIGINT)
    rest, _ = process.communicate(timeout=30)
    return rest


def group_is_gone(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return True
    return False


def test_make_run_serves_healthz_and_ctrl_c_stops_every_process(
    fresh_checkout, free_port, embedded_env
):
    process = start_make_run(fresh_checkout, free_port, embedded_env)
    group = process.pid
    try:
        output = read_until(process, "Ctrl-C stops everything")
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


def test_make_run_shows_one_banner_and_writes_the_processes_logs_to_var_log(
    fresh_checkout, free_port, embedded_env
):
    logs = fresh_checkout / "var" / "log"
    process = start_make_run(fresh_checkout, free_port, embedded_env)
    try:
        output = read_until(process, "Ctrl-C stops everything")
        worker_log = wait_for_line(logs / "worker.log", " ready.")
        wait_for_line(logs / "beat.log", "beat: Starting...")
        wait_for_line(logs / "web.log", '"GET /healthz HTTP/1.1" 200')
        output += ctrl_c(process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)

    url = f"http://127.0.0.1:{free_port}/"
    assert output.splitlines()[0] == "Starting Touchloop… (logs in var/log/)"
    assert output.count("Touchloop is running at") == 1
    assert output.count(url) == 3  # the site, the admin, the mail
    assert output.count("Staff login: support / touchloop-demo (Support)") == 1
    assert output.count("Manager login: manager / touchloop-demo (Manager)") == 1
    assert f"Mail is written to var/mail/ (listed at {url}admin/mail/)" in output
    assert "Logs: var/log/web.log, var/log/worker.log, var/log/beat.log" in output
    for noise in ("celery@", "-------------- ", "Traceback", "Warning", "WARNING"):
        assert noise not in output
    assert "development server" not in output
    assert worker_log.startswith("=== ")
    assert "celery@" in worker_log
    assert "development server" in (logs / "web.log").read_text()


def test_a_process_that_dies_at_start_is_named_with_the_end_of_its_log(
    fresh_checkout, free_port, embedded_env
):
    with socket.socket() as taken:  # the web server's port, already in use
        taken.bind(("127.0.0.1", free_port))
        taken.listen()
        process = start_make_run(fresh_checkout, free_port, embedded_env, "--skip-seed")
        try:
            output, _ = process.communicate(timeout=START_TIMEOUT)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)

    assert process.returncode == 1
    died = output.index(
        "The web process exited with code 1. The end of var/log/web.log:"
    )
    assert output.index("That port is already in use.", died) > died
    assert "Touchloop is running" not in output
    assert (
        "That port is already in use."
        in (fresh_checkout / "var" / "log" / "web.log").read_text()
    )
    deadline = time.monotonic() + 15
    while not group_is_gone(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert group_is_gone(process.pid), "the worker or beat outlived the failure"
