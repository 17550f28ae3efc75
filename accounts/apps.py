from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Customers and contracts")

    def ready(self) -> None:
        from billing_portal import fulfilment

        from . import services

        for kind in services.SUBSCRIPTION_PRODUCT_KINDS:
            fulfilment.register(kind, services.extend_subscription_for_line, owner=self.name)
