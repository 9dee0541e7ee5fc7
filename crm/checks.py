"""System checks of the deployment (`manage.py check --deploy`)."""

from typing import Any

from django.conf import settings
from django.core import checks

from lib import hooks

# A handler of settings.HOOKS that does not import stops every process at
# start, not the first answer that announces its event.
checks.register(hooks.check_handlers)


@checks.register(checks.Tags.security, deploy=True)
def mail_leaves_the_machine(**kwargs: Any) -> list[checks.CheckMessage]:
    """Without SMTP_URL, every survey and alert is written to a file under
    var/mail/ (the embedded default): in production, nobody would get one."""
    if settings.DEBUG or settings.SMTP_URL:
        return []
    return [
        checks.Warning(
            "SMTP_URL is not set: mail is written to files under var/mail/ "
            "and never sent.",
            hint="Set SMTP_URL (smtp://user:pass@host:port or smtps://…).",
            id="touchloop.W001",
        )
    ]
