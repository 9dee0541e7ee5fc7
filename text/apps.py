from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TextConfig(AppConfig):
    name = "text"
    verbose_name = _("What customers say")
