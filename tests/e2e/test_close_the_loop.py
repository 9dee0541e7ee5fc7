"""The whole loop with real processes: gunicorn serving the answer page,
Celery worker and beat on Redis, PostgreSQL, and an SMTP server receiving the
mail. A detractor answers from the mailed link; the case exists with its owner
and deadline; the owner's alert arrives; closing the case sends the recovery
survey (within the throttle window: it is exempt); a good answer to it marks
the case recovered."""

import html
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import TypeVar

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from feedback.models import Case, RootCause
from feedback.services import cases
from surveys.models import Invitation
from tests.e2e.conftest import PROJECT_DIR, CeleryProcesses, SmtpServer, kill_group
from tests.factories import (
    CustomerFactory,
    InvitationFactory,
    SurveyFactory,
    UserFactory,
)
from tests.ports import free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TIMEOUT = 60  # seconds, for any one wait
T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None]) -> T:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"waited {TIMEOUT} s for {what}")


@pytest.fixture
def web(worker_env, tmp_path: Path) -> Iterator[str]:
    """gunicorn on the test database, as deployed; the mail's links point at it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    worker_env["SITE_URL"] = url
    # The owner's alert waits for the comment typed after the one-click score.
    worker_env["CASE_ALERT_DELAY_SECONDS"] = "5"
    log = tmp_path / "web.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "crm.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
            ],
            cwd=PROJECT_DIR,
            env=worker_env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def healthy() -> bool:
        try:
            health = urllib.request.urlopen(f"{url}/healthz", timeout=2)  # noqa: S310
            with health as reply:
                return bool(reply.status == 200)
        except OSError:
            return False

    try:
        wait_for("gunicorn to answer /healthz", healthy)
        yield url
    finally:
        kill_group(process)


def score_link(mail: EmailMessage, score: int) -> str:
    body = mail.get_body(preferencelist=("html",))
    assert body is not None
    hrefs = [
        html.unescape(h) for h in re.findall(r'href="([^"]+)"', body.get_content())
    ]
    [link] = [href for href in hrefs if href.endswith(f"?score={score}")]
    return link


def answer(page: Page, link: str, comment: str) -> None:
    """Open the mailed link in a browser (the page records the score), then
    add the comment with the page's own form."""
    page.goto(link)
    expect(page.locator("#status")).to_contain_text("your answer is saved")
    page.locator("#id_comment").fill(comment)
    page.locator("#answer-form button[type=submit]").click()
    expect(page.locator("#thanks")).to_be_visible()


def test_a_detractor_is_followed_up_until_the_customer_recovers(
    web: str, smtp_server: SmtpServer, celery_processes: CeleryProcesses, page: Page
):
    owner = UserFactory.create(
        username="oona", email="oona@example.com", groups=["Support"]
    )
    customer = CustomerFactory.create(
        name="Ada Lovelace", email="ada@example.com", owner=owner
    )
    invitation = InvitationFactory.create(
        survey=SurveyFactory.create(kind="nps"),
        customer=customer,
        interaction__customer=customer,
        status=Invitation.Status.SCHEDULED,
        scheduled_for=timezone.now() - timedelta(minutes=1),
        sent_at=None,
    )
    celery_processes.worker()
    celery_processes.beat()

    [survey_mail] = wait_for(
        "the survey mail", lambda: smtp_server.messages_to("ada@example.com")
    )
    answer(page, score_link(survey_mail, 2), "Nobody called me back")

    case = wait_for(
        "the case", lambda: Case.objects.filter(response__invitation=invitation).first()
    )
    assert (case.owner, case.reason, case.status) == (owner, "detractor", "open")
    assert case.due_at == case.created_at + timedelta(hours=4)  # 2: urgent
    [alert] = wait_for(
        "the owner's alert", lambda: smtp_server.messages_to("oona@example.com")
    )
    assert alert["Subject"] == f"New case #{case.pk} for you: Ada Lovelace"
    text = alert.get_body(("plain",))
    assert text is not None
    assert "Nobody called me back" in text.get_content()

    cases.record_contact(case, by=owner, channel="phone", note="Apologised")
    cases.close_case(
        case,
        by=owner,
        root_cause=RootCause.objects.get(name="Slow response"),
        resolution="Called back and fixed the invoice",
        recovery_days=0,
    )
    mails = wait_for(
        "the recovery survey",
        lambda: (lambda m: m if len(m) == 2 else None)(
            smtp_server.messages_to("ada@example.com")
        ),
    )
    answer(page, score_link(mails[1], 9), "Thank you for calling")

    def recovered() -> Case | None:
        return Case.objects.filter(id=case.pk, outcome="recovered").first()

    case = wait_for("the recovered case", recovered)
    assert case.status == "closed"
    assert case.recovery_invitation is not None
    assert case.recovery_invitation.response.score == 9
    assert Case.objects.count() == 1
    assert smtp_server.handler.by_recipient == {
        "ada@example.com": 2,
        "oona@example.com": 1,
    }
