from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo company and the benchmark data; an app so that it holds their
    management commands, and the record of the logins the demo created."""

    name = "demo"
    # Not translated: the app's one model is on no page.
    verbose_name = "Demo data"
