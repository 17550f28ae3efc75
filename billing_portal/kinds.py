"""Product kinds: shared vocabulary of the catalogue (invoices) and of the apps that
fulfil them (accounts, credits, certificates, timestamps)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProductKind(models.TextChoices):
    DOMAIN = "domain", _("Domain")
    HOSTING = "hosting", _("Hosting")
    EMAIL = "email", _("E-mail")
    SSL_CERTIFICATE = "ssl_certificate", _("SSL certificate")
    QUALIFIED_CERTIFICATE = "qualified_certificate", _("Qualified certificate")
    TIMESTAMP_PACKAGE = "timestamp_package", _("Timestamp package")
    VOUCHER = "voucher", _("Voucher")
    DEDICATED_SERVER = "dedicated_server", _("Dedicated server")
    CREDIT_TOPUP = "credit_topup", _("Credit top-up")


# Services that live as a Subscription with an expiry date (accounts extends them).
SUBSCRIPTION_KINDS = (
    ProductKind.DOMAIN,
    ProductKind.HOSTING,
    ProductKind.EMAIL,
    ProductKind.SSL_CERTIFICATE,
    ProductKind.QUALIFIED_CERTIFICATE,
    ProductKind.DEDICATED_SERVER,
)

# Never paid from the credit wallet (domain.md, "Credit wallet").
NOT_PAYABLE_BY_CREDIT = (ProductKind.DEDICATED_SERVER, ProductKind.CREDIT_TOPUP)
