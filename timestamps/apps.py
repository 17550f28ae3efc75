from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimestampsConfig(AppConfig):
    name = "timestamps"
    verbose_name = _("Timestamp packages")
