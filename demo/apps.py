from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo company and the benchmark data; an app so that it holds their
    management commands. It has no models."""

    name = "demo"
    # Not translated: an app without models appears on no page.
    verbose_name = "Demo data"
