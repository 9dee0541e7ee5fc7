"""`manage.py create_api_token USERNAME`: the user's API key, alone on stdout.

The key is created on first use and the same key is printed after that, so a
script can run `KEY=$(manage.py create_api_token sync-bot)` every time.
"""

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Print USERNAME's API key (for `Authorization: Bearer <key>`), creating it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f'There is no user named "{username}".') from None
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
