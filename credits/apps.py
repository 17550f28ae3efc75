from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditsConfig(AppConfig):
    name = "credits"
    verbose_name = _("Credit wallets")

    def ready(self) -> None:
        from billing_portal import fulfilment, hooks
        from billing_portal.kinds import ProductKind

        from . import services

        fulfilment.register(ProductKind.CREDIT_TOPUP, services.fulfil_top_up_line, owner=self.name)
        hooks.credit_payment_surplus.register(services.credit_payment_surplus, owner=self.name)
