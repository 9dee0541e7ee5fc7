"""The security review's attacks, run again on the production-shaped
deployment of prod_check.py (issue 16): each finding of the review, what it
did then, and what it does now. A row that does not hold fails the check.

Run by prod_check.py after the loop, before SIGTERM, against the same
gunicorn, worker, beat, PostgreSQL and Redis, with DEBUG off.
"""

from __future__ import annotations

import http.cookiejar
import json
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Row:
    finding: str
    then: str
    now: str
    held: bool


class Client:
    """Plain HTTP to the deployment: status, headers and body of a request."""

    def __init__(self, site: str) -> None:
        self.site = site
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar)
        )

    def send(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        request = urllib.request.Request(  # noqa: S310 (our own server)
            self.site + path, data=body, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=60) as reply:
                return reply.status, dict(reply.headers), reply.read().decode()
        except urllib.error.HTTPError as error:
            text = error.read().decode(errors="replace")
            return error.code, dict(error.headers), text

    def log_in(self, username: str, password: str) -> None:
        """A staff session, through the admin's login form."""
        _status, _headers, page = self.send("GET", "/admin/login/")
        form = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": csrf_token(page),
                "username": username,
                "password": password,
            }
        )
        status, _headers, _page = self.send(
            "POST",
            "/admin/login/?next=/admin/",
            body=form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if status != 200 or "sessionid" not in self.cookies():
            raise RuntimeError(f"{username} could not log in ({status})")

    def cookies(self) -> dict[str, str]:
        return {cookie.name: cookie.value or "" for cookie in self.jar}

    def api(
        self, method: str, path: str, key: str | None, data: object = None
    ) -> tuple[int, Any]:
        """An API call with a Bearer key, or (key None) in the session."""
        headers = {"Content-Type": "application/json"}
        if key is None:
            headers["X-CSRFToken"] = self.cookies().get("csrftoken", "")
        else:
            headers["Authorization"] = f"Bearer {key}"
        body = None if data is None else json.dumps(data).encode()
        status, _headers, text = self.send(
            method, f"/api/v1/{path}", body=body, headers=headers
        )
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text


def csrf_token(page: str) -> str:
    return page.split('name="csrfmiddlewaretoken" value="', 1)[-1].split('"', 1)[0]


def login_flood(client: Client) -> Row:
    """40 wrong passwords for one username from one address, through the
    login form (with its CSRF cookie and token, as a browser sends them)."""
    _status, _headers, page = client.send("GET", "/admin/login/")
    form = f"csrfmiddlewaretoken={csrf_token(page)}&username=owner&password=wrong"
    seconds: dict[int, list[float]] = {}
    for _ in range(40):
        started = time.perf_counter()
        status, _headers, _text = client.send(
            "POST",
            "/admin/login/",
            body=form.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        seconds.setdefault(status, []).append(time.perf_counter() - started)
    refused = len(seconds.get(429, []))
    checked = len(seconds.get(200, []))

    def median_ms(status: int) -> float:
        return statistics.median(seconds.get(status, [0.0])) * 1000

    return Row(
        "login flood",
        "40 wrong passwords, all 200; ~0.7 s of hashing each",
        f"{checked} checked ({median_ms(200):.0f} ms each), then {refused} refused "
        f"with 429 ({median_ms(429):.0f} ms each, no hashing)",
        refused == 40 - checked and checked < 5 and median_ms(429) < median_ms(200),
    )


def wide_csv(client: Client, key: str) -> Row:
    """A CSV file whose header names 50,000 columns."""
    header = ",".join(f"c{i}" for i in range(50_000)).encode()
    boundary = "touchloop-attack"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="wide.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        + header
        + b"\r\nx\r\n"
        + f"--{boundary}--\r\n".encode()
    )
    started = time.perf_counter()
    status, _headers, text = client.send(
        "POST",
        "/api/v1/imports/customers/",
        body=body,
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    seconds = time.perf_counter() - started
    return Row(
        "50,000-column CSV",
        "a 34 MB mapping page, 30.7 s in one worker",
        f"{status} in {seconds * 1000:.0f} ms: {text[:90]}",
        status == 400 and seconds < 5,
    )


def token_rate(support: Client) -> Row:
    """Signed in as support, a token of one's own with any rate."""
    status, body = support.api(
        "POST", "tokens/", None, {"name": "greedy", "requests_per_minute": 999_999_999}
    )
    return Row(
        "token rate 999999999",
        "201: any rate accepted",
        f"{status}: {json.dumps(body)[:100]}",
        status == 400 and "requests_per_minute" in body,
    )


def concurrent_throttle(support: Client) -> Row:
    """60 concurrent GETs with a token of 5 requests a minute."""
    status, token = support.api(
        "POST", "tokens/", None, {"name": "five a minute", "requests_per_minute": 5}
    )
    if status != 201:
        return Row("concurrent throttle", "", f"no token: {status} {token}", False)
    start = threading.Barrier(60)
    statuses: list[int] = []

    def one() -> None:
        start.wait()
        statuses.append(support.api("GET", "touchpoints/", token["key"])[0])

    threads = [threading.Thread(target=one) for _ in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = Counter(statuses)
    return Row(
        "concurrent throttle",
        "a 5/min token let 7 of 16-60 concurrent requests through",
        f"{counts[200]} of 60 through, {counts[429]} refused with 429",
        counts[200] == 5 and counts[429] == 55,
    )


def line_break_in_a_name(client: Client, key: str) -> Row:
    status, body = client.api(
        "POST",
        "customers/",
        key,
        {"name": "Eve\r\nBcc: victim@example.com", "email": "eve@example.com"},
    )
    return Row(
        "CR/LF in a name",
        "201: forged lines in plain-text mail",
        f"{status}: {json.dumps(body)[:100]}",
        status == 400 and "name" in body,
    )


def webhook_to_6to4(client: Client, key: str) -> Row:
    status, body = client.api(
        "POST",
        "webhooks/",
        key,
        {"url": "http://[2002:7f00:1::1]:8080/", "event_types": ["case.opened"]},
    )
    return Row(
        "webhook to 6to4 loopback",
        "accepted",
        f"{status}: {json.dumps(body)[:100]}",
        status == 400 and "url" in body,
    )


def timeline_flood(client: Client, link: str, notes: Callable[[], int]) -> Row:
    """Six alternating edits of an answer through its link."""
    path = link.removeprefix(client.site).split("?")[0]
    before = notes()
    for score in [3, 2, 3, 2, 3, 2]:
        _status, _headers, page = client.send("GET", path)
        client.send(
            "POST",
            path,
            body=f"csrfmiddlewaretoken={csrf_token(page)}&score={score}".encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    added = notes() - before
    return Row(
        "timeline flood",
        "6 alternating edits: 6 notes, 6 events",
        f"6 alternating edits: {added} timeline note(s) added",
        added <= 1,
    )


def headers(client: Client) -> Row:
    _status, found, _text = client.send("GET", "/admin/login/")
    policy = found.get("Content-Security-Policy", "")
    permissions = found.get("Permissions-Policy", "")
    return Row(
        "CSP and Permissions-Policy",
        "neither header",
        f"CSP: {policy[:70]}…; Permissions-Policy: {permissions[:40]}…",
        "default-src 'self'" in policy
        and "frame-ancestors 'none'" in policy
        and "unsafe-inline" not in policy.split("script-src", 1)[-1].split(";")[0]
        and "camera=()" in permissions,
    )


def weak_secret_key(refused: Callable[[dict[str, str]], str]) -> Row:
    message = refused({"SECRET_KEY": "abc"})
    return Row(
        "SECRET_KEY=abc",
        "accepted; check --deploy only warned",
        f"refused at start: {message[:90]}",
        "SECRET_KEY" in message,
    )


def weak_demo_password(refused: Callable[[list[str]], str]) -> Row:
    message = refused(["seed_demo", "--password", "123"])
    return Row(
        "seed_demo --password 123",
        "set without the validators; existing users reset",
        f"refused: {message[:90]}",
        "password" in message.lower(),
    )


def print_table(rows: list[Row]) -> None:
    print("   finding | then | now | held", flush=True)
    for row in rows:
        mark = "yes" if row.held else "NO"
        print(f"   {row.finding} | {row.then} | {row.now} | {mark}", flush=True)


def rerun(
    site: str,
    key: str,
    survey_link: str,
    *,
    support_login: tuple[str, str],
    notes: Callable[[], int],
    refused_settings: Callable[[dict[str, str]], str],
    refused_command: Callable[[list[str]], str],
) -> list[Row]:
    """Every attack of the review, in the order of its table. `key` is a
    superuser's API key; `support_login` a support user's name and password."""
    client = Client(site)
    support = Client(site)
    support.log_in(*support_login)
    return [
        login_flood(client),
        wide_csv(client, key),
        timeline_flood(client, survey_link, notes),
        token_rate(support),
        concurrent_throttle(support),
        line_break_in_a_name(client, key),
        webhook_to_6to4(client, key),
        headers(client),
        weak_secret_key(refused_settings),
        weak_demo_password(refused_command),
    ]
