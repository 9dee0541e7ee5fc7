"""Survey link tokens.

A token is an HMAC of a per-invitation nonce under SECRET_KEY (salted for this
one purpose); the database keeps the nonce and the token's SHA-256 only. A
dump of the database therefore yields no working link, while the same link
can be rebuilt for every reminder.
"""

import hashlib
import secrets

from django.utils.crypto import salted_hmac

SALT = "touchloop.surveys.invitation-token"


def new_nonce() -> str:
    return secrets.token_hex(16)


def token_for(nonce: str, *, secret: str | None = None) -> str:
    """The link token; `secret` lets a lookup try SECRET_KEY_FALLBACKS after a
    key rotation."""
    return salted_hmac(SALT, nonce, secret=secret, algorithm="sha256").hexdigest()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
