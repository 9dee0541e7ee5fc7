from django.apps import AppConfig


class CrmConfig(AppConfig):
    """The project wiring; an app so that it holds management commands and the
    deployment's system checks."""

    name = "crm"
    verbose_name = "Touchloop"

    def ready(self) -> None:
        from crm import checks  # noqa: F401 (registers them)
