"""The one way Touchloop renders and sends mail.

Every mail is three templates, `emails/<name>_subject.txt`, `_body.txt` and
`_body.html`, rendered in the recipient's language. Callers send outside any
database transaction: SMTP is slow and a rollback cannot unsend a message.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template import Context
from django.template.loader import get_template
from django.utils import translation


def message_id(local_part: str) -> str:
    """A Message-ID of our own in the sender's domain: the same for every
    retry of one mail, so that a duplicate is recognisable."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(">") or "touchloop"
    return f"<{local_part}@{domain}>"


def render_template(path: str, context: Mapping[str, Any]) -> str:
    """Render a mail part; the plain-text parts without HTML escaping.

    A plain str, not the SafeString that Template.render() returns: a mail
    part is data, and a page that shows one (the survey's mail preview puts
    the HTML part in an iframe's srcdoc="…") must escape it like any data.
    str() would keep the mark (SafeString.__str__ returns itself)."""
    template = get_template(path).template  # type: ignore[attr-defined]
    autoescape = path.endswith(".html")
    return str.__str__(template.render(Context(dict(context), autoescape=autoescape)))


def render(
    name: str,
    *,
    to: str,
    context: Mapping[str, Any],
    language: str,
    headers: Mapping[str, str] | None = None,
    from_email: str | None = None,
    reply_to: str | None = None,
) -> EmailMultiAlternatives:
    with translation.override(language):
        subject = render_template(f"emails/{name}_subject.txt", context)
        text = render_template(f"emails/{name}_body.txt", context)
        html = render_template(f"emails/{name}_body.html", context)
    message = EmailMultiAlternatives(
        # A subject is one line, however the template wraps it.
        subject=" ".join(subject.split()),
        body=text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[reply_to] if reply_to else None,
        headers=dict(headers or {}),
    )
    message.attach_alternative(html, "text/html")
    return message


def send(
    name: str,
    *,
    to: str,
    context: Mapping[str, Any],
    language: str,
    headers: Mapping[str, str] | None = None,
    connection: BaseEmailBackend | None = None,
) -> None:
    """Render and send one mail; pass `connection` to reuse one SMTP session."""
    message = render(name, to=to, context=context, language=language, headers=headers)
    message.connection = connection
    message.send()
