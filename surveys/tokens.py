"""Survey link tokens.

A token is an HMAC of a per-invitation nonce under SECRET_KEY; the database
keeps the nonce and the token's SHA-256 only. A dump of the database therefore
yields no working link, while the same link can be rebuilt for every reminder.
"""

import hashlib
import hmac
import secrets

from django.conf import settings


def new_nonce() -> str:
    return secrets.token_hex(16)


def token_for(nonce: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), nonce.encode(), hashlib.sha256)
    return digest.hexdigest()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
