from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TokensConfig(AppConfig):
    name = "tokens"
    verbose_name = _("API tokens")

    def ready(self) -> None:
        # drf-spectacular finds an authentication extension only once its
        # module is imported.
        from tokens import schema  # noqa: F401
