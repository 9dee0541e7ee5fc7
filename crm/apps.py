from django.apps import AppConfig


class CrmConfig(AppConfig):
    """The project wiring; an app so that it holds management commands and the
    deployment's system checks."""

    name = "crm"
    verbose_name = "Touchloop"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from crm import checks  # noqa: F401 (registers them)
        from lib import logins

        user_locked_out.connect(logins.hold_the_lockout)
