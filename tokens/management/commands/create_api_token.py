"""`manage.py create_api_token USERNAME`: a new API token, its key alone on stdout.

Only the key's hash is kept, so the key cannot be printed again: each run
creates a new named token (`KEY=$(manage.py create_api_token sync-bot)`), and
one no longer needed is revoked in the admin or the API.
"""

from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tokens import services
from tokens.models import NAME_MAX_LENGTH, ApiToken


def positive(value: str) -> int:
    days = int(value)
    if days < 1:
        raise ValueError(value)
    return days


class Command(BaseCommand):
    help = (
        "Create an API token for USERNAME and print its key (for "
        "`Authorization: Bearer <key>`). The key is shown this once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--name",
            default="manage.py create_api_token",
            help="What the token is for, as listed in the admin.",
        )
        parser.add_argument(
            "--scope",
            choices=ApiToken.Scope.values,
            default=ApiToken.Scope.WRITE,
            help="read: GET, HEAD and OPTIONS only; write (the default): "
            "whatever the user's groups allow.",
        )
        parser.add_argument(
            "--requests-per-minute",
            type=positive,
            metavar="N",
            help="This token's rate limit (default: API_TOKEN_RATE).",
        )
        parser.add_argument(
            "--expires-in-days",
            type=positive,
            metavar="DAYS",
            help="Expire after this many days (default: never).",
        )

    def handle(
        self,
        *args: Any,
        username: str,
        name: str,
        scope: str,
        expires_in_days: int | None,
        requests_per_minute: int | None,
        **options: Any,
    ) -> None:
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f'There is no user named "{username}".') from None
        if not user.is_active:
            raise CommandError(f'The user "{username}" is inactive.')
        name = name.strip()
        if not 1 <= len(name) <= NAME_MAX_LENGTH:
            raise CommandError(f"The name must have 1 to {NAME_MAX_LENGTH} characters.")
        expires_at = (
            timezone.now() + timedelta(days=expires_in_days)
            if expires_in_days
            else None
        )
        try:
            _, key = services.create_token(
                user,
                name=name,
                scope=scope,
                expires_at=expires_at,
                requests_per_minute=requests_per_minute,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(key)
