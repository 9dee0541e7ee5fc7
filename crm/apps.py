from django.apps import AppConfig


class CrmConfig(AppConfig):
    """The project wiring; an app only so that it can hold management commands."""

    name = "crm"
    verbose_name = "Touchloop"
