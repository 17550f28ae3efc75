from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicesConfig(AppConfig):
    name = "invoices"
    verbose_name = _("Invoicing")

    def ready(self) -> None:
        from billing_portal import hooks

        from . import lifecycle

        hooks.request_cancellation.register(lifecycle.request_cancellation, owner=self.name)
