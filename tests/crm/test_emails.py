from pathlib import Path

import pytest
from django.utils.safestring import SafeData

from lib import emails

TEST_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@pytest.fixture(autouse=True)
def test_templates(settings):
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "DIRS": [TEST_TEMPLATES, *settings.TEMPLATES[0]["DIRS"]],
        }
    ]


def test_send_renders_subject_text_and_html(mailoutbox, settings):
    emails.send(
        "hello",
        to="ann@example.com",
        context={"name": "Ann <3"},
        language="en",
        headers={"List-Unsubscribe": "<https://x.example/u>"},
    )

    (message,) = mailoutbox
    assert message.subject == "Yes: Ann <3"
    assert message.body == "Hello Ann <3\n"
    assert message.alternatives[0] == ("<p>Hello <b>Ann &lt;3</b></p>\n", "text/html")
    assert message.to == ["ann@example.com"]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    assert message.extra_headers == {"List-Unsubscribe": "<https://x.example/u>"}


def test_render_uses_the_recipients_language():
    message = emails.render(
        "hello", to="li@example.cn", context={"name": "李"}, language="zh-hans"
    )

    assert message.subject == "是: 李"


def test_rendered_parts_are_text_not_markup_marked_safe():
    """A page that shows a mail escapes it like any data (the survey's mail
    preview puts the HTML part in an iframe's srcdoc="…")."""
    message = emails.render(
        "hello", to="ann@example.com", context={"name": "Ann"}, language="en"
    )

    [(html, _mimetype)] = message.alternatives
    assert not isinstance(html, SafeData)
    assert not isinstance(message.body, SafeData)
    assert not isinstance(message.subject, SafeData)
