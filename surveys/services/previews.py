"""The invitation mail as a customer would get it, for a manager to look at
(admin preview) or to receive (a test mail). Nothing is stored."""

from django.core.mail import EmailMultiAlternatives
from django.utils.crypto import get_random_string

from customers.models import Customer
from surveys import tokens
from surveys.models import Invitation, Survey
from surveys.services import sending


def sample_invitation(
    survey: Survey, *, language: str, name: str, email: str
) -> Invitation:
    """An unsaved invitation to an unsaved customer: its links lead to the
    "survey not found" page, since no such invitation exists."""
    nonce = tokens.new_nonce()
    customer = Customer(name=name, email=email, language=language)
    return Invitation(
        survey=survey,
        customer=customer,
        nonce=nonce,
        token_hash=tokens.hash_token(tokens.token_for(nonce)),
    )


def sample_mail(
    survey: Survey, *, language: str, name: str, email: str
) -> EmailMultiAlternatives:
    invitation = sample_invitation(survey, language=language, name=name, email=email)
    message = sending.render_invitation(invitation)
    message.subject = f"[Test] {message.subject}"
    # Each test mail is a new message, not a resend of one invitation's mail.
    domain = message.extra_headers["Message-ID"].rpartition("@")[2]
    message.extra_headers["Message-ID"] = f"<test-{get_random_string(16)}@{domain}"
    return message


def html_part(message: EmailMultiAlternatives) -> str:
    for content, mimetype in message.alternatives:
        if mimetype == "text/html":
            return str(content)
    return ""
