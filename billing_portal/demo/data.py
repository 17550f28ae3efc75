"""The demo's data: our bank accounts, the catalogue (products and prices) and the
customers with their contracts and authorized persons.

Brand-neutral: every company, person, address and e-mail below is invented (e-mail
domains end in `.example`, which never resolves). The passwords are fixed and
printed on purpose: this is development data only, and `seed_demo` refuses to run
with DEBUG off unless forced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accounts.models import Customer
from billing_portal.kinds import ProductKind
from invoices.models import BankAccount, Product

DEMO_MARKER_CONTRACT = "F2503000101"
ADMIN_USERNAME = "admin"
ADMIN_EMAIL = "admin@demo.example"
ADMIN_PASSWORD = "demo-Admin-2026"  # noqa: S105 -- documented demo password, DEBUG only
PORTAL_PASSWORD = "demo-Portal-2026"  # noqa: S105 -- documented demo password, DEBUG only
AUDIT_LABEL = "seed_demo"


# --- the catalogue -------------------------------------------------------------------

# (name, IBAN, currency, status). The IBANs are valid (checked by schwifty on save).
BANK_ACCOUNTS = (
    ("Operating account CZK", "CZ6003000000002400123455", "CZK", BankAccount.Status.ACTIVE),
    ("Former account CZK", "CZ2708000000002900456782", "CZK", BankAccount.Status.RETIRED),
    ("Operating account EUR", "SK6811000000002600778800", "EUR", BankAccount.Status.ACTIVE),
    ("Operating account GBP", "GB63NWBK60161348210567", "GBP", BankAccount.Status.ACTIVE),
)


@dataclass(frozen=True)
class _ProductSpec:
    code: str
    kind: str
    months: int
    names: dict[str, str]  # cs, sk, fi, en
    prices: tuple[str, str, str]  # CZK, EUR, GBP (net)
    overpayment: str = Product.OverpaymentPolicy.CREDIT


def _names(cs: str, sk: str, fi: str, en: str) -> dict[str, str]:
    return {"cs": cs, "sk": sk, "fi": fi, "en": en}


PRODUCTS = (
    _ProductSpec(
        "domain-cz-1y", ProductKind.DOMAIN, 12,
        _names("Doména .cz (1 rok)", "Doména .cz (1 rok)", "Verkkotunnus .cz (1 vuosi)",
               "Domain .cz (1 year)"),
        ("249.00", "9.90", "8.50"),
    ),
    _ProductSpec(
        "domain-sk-1y", ProductKind.DOMAIN, 12,
        _names("Doména .sk (1 rok)", "Doména .sk (1 rok)", "Verkkotunnus .sk (1 vuosi)",
               "Domain .sk (1 year)"),
        ("399.00", "15.90", "13.90"),
    ),
    _ProductSpec(
        "domain-fi-1y", ProductKind.DOMAIN, 12,
        _names("Doména .fi (1 rok)", "Doména .fi (1 rok)", "Verkkotunnus .fi (1 vuosi)",
               "Domain .fi (1 year)"),
        ("449.00", "17.90", "15.50"),
    ),
    _ProductSpec(
        "hosting-monthly", ProductKind.HOSTING, 1,
        _names("Webhosting (měsíčně)", "Webhosting (mesačne)", "Webhotelli (kuukausi)",
               "Web hosting (monthly)"),
        ("99.00", "3.90", "3.40"),
        Product.OverpaymentPolicy.PRORATA,
    ),
    _ProductSpec(
        "hosting-yearly", ProductKind.HOSTING, 12,
        _names("Webhosting (ročně)", "Webhosting (ročne)", "Webhotelli (vuosi)",
               "Web hosting (yearly)"),
        ("990.00", "39.00", "34.00"),
        Product.OverpaymentPolicy.PRORATA,
    ),
    _ProductSpec(
        "email-mailbox-1y", ProductKind.EMAIL, 12,
        _names("E-mailová schránka (1 rok)", "E-mailová schránka (1 rok)",
               "Sähköpostilaatikko (1 vuosi)", "E-mail mailbox (1 year)"),
        ("360.00", "14.40", "12.60"),
    ),
    _ProductSpec(
        "ssl-dv-1y", ProductKind.SSL_CERTIFICATE, 12,
        _names("SSL certifikát DV (1 rok)", "SSL certifikát DV (1 rok)",
               "SSL-varmenne DV (1 vuosi)", "SSL certificate DV (1 year)"),
        ("690.00", "27.60", "24.00"),
    ),
    _ProductSpec(
        "qualified-certificate-1y", ProductKind.QUALIFIED_CERTIFICATE, 12,
        _names("Kvalifikovaný certifikát (1 rok)", "Kvalifikovaný certifikát (1 rok)",
               "Hyväksytty varmenne (1 vuosi)", "Qualified certificate (1 year)"),
        ("450.00", "18.00", "15.60"),
    ),
    _ProductSpec(
        "timestamps-200", ProductKind.TIMESTAMP_PACKAGE, 0,
        _names("Balíček kvalifikovaných časových razítek (200 ks)",
               "Balík kvalifikovaných časových pečiatok (200 ks)",
               "Hyväksytyt aikaleimat, 200 kpl paketti",
               "Qualified timestamps, package of 200"),
        ("290.00", "11.60", "10.10"),
    ),
    _ProductSpec(
        "voucher-qualified-certificate-1y", ProductKind.VOUCHER, 0,
        _names("Slevová poukázka na kvalifikovaný certifikát (1 rok)",
               "Zľavový poukaz na kvalifikovaný certifikát (1 rok)",
               "Kuponki hyväksyttyyn varmenteeseen (1 vuosi)",
               "Voucher for a qualified certificate (1 year)"),
        ("450.00", "18.00", "15.60"),
    ),
    _ProductSpec(
        "dedicated-server-monthly", ProductKind.DEDICATED_SERVER, 1,
        _names("Dedikovaný server (měsíčně)", "Dedikovaný server (mesačne)",
               "Dedikoitu palvelin (kuukausi)", "Dedicated server (monthly)"),
        ("2990.00", "119.00", "104.00"),
    ),
    # Priced per unit of the currency: the quantity is the net amount to top up.
    _ProductSpec(
        "credit-topup", ProductKind.CREDIT_TOPUP, 0,
        _names("Nabití kreditu", "Nabitie kreditu", "Krediitin lataus", "Credit top-up"),
        ("1.00", "1.00", "1.00"),
    ),
)  # fmt: skip


# --- the customers -------------------------------------------------------------------


@dataclass(frozen=True)
class _CustomerSpec:
    key: str
    contract_number: str
    signed_days_ago: int
    fields: dict[str, Any]
    # (name, e-mail, active); the first person gets a portal login
    persons: tuple[tuple[str, str, bool], ...]


def _customer(
    key: str,
    contract_number: str,
    signed_days_ago: int,
    persons: tuple[tuple[str, str, bool], ...],
    **fields: Any,
) -> _CustomerSpec:
    return _CustomerSpec(key, contract_number, signed_days_ago, fields, persons)


CUSTOMERS = (
    # Czech company, VAT payer, e-mail delivery.
    _customer(
        "modra_lipa", DEMO_MARKER_CONTRACT, 420,
        (("Jana Horáková", "jana.horakova@modra-lipa.example", True),
         ("Petr Svoboda", "petr.svoboda@modra-lipa.example", True),
         ("Karel Dvořák", "karel.dvorak@modra-lipa.example", False)),  # left the company
        kind="company", name="Modrá Lípa s.r.o.", ico="27450007", dic="CZ27450007",
        vat_payer=True, country="CZ", language="cs", currency="CZK",
        street="Lipová 12", city="Praha 2", postal_code="120 00",
        email="fakturace@modra-lipa.example",
    ),
    # Czech housing cooperative, VAT payer, invoices by post.
    _customer(
        "horni_mlyn", "F2503000102", 900,
        (("Miroslav Kučera", "predseda@horni-mlyn.example", True),
         ("Alena Kučerová", "ucetni@horni-mlyn.example", True)),
        kind="company", name="Stavební bytové družstvo Horní Mlýn", ico="27450015",
        dic="CZ27450015", vat_payer=True, country="CZ", language="cs", currency="CZK",
        street="Mlýnská 4", city="Hradec Králové", postal_code="500 02",
        email="druzstvo@horni-mlyn.example", invoice_delivery=Customer.Delivery.POST,
    ),
    # Czech person paying in cash: buys vouchers for certificates.
    _customer(
        "vesely", "F2503000103", 200,
        (("Tomáš Veselý", "tomas.vesely@mail.example", True),),
        kind="person", name="Tomáš Veselý", country="CZ", language="cs", currency="CZK",
        street="Zahradní 17", city="Brno", postal_code="602 00",
        email="tomas.vesely@mail.example", payment_method=Customer.PaymentMethod.CASH,
    ),
    # Czech sole trader with an IČO, not a VAT payer.
    _customer(
        "dvorakova", "F2503000104", 300,
        (("Petra Dvořáková", "petra@dvorakova-design.example", True),
         ("Lucie Marková", "lucie.markova@ucetnictvi-markova.example", True)),
        kind="person", name="Ing. Petra Dvořáková", ico="27450023", country="CZ",
        language="cs", currency="CZK", street="Palackého 8", city="Olomouc",
        postal_code="779 00", email="petra@dvorakova-design.example",
    ),
    # Slovak company, VAT payer (reverse charge), EUR.
    _customer(
        "tatranska", "F2503000105", 500,
        (("Ján Horváth", "jan.horvath@tatranska-dielna.example", True),
         ("Zuzana Balážová", "zuzana.balazova@tatranska-dielna.example", True)),
        kind="company", name="Tatranská dielňa s.r.o.", ico="46731008", dic="SK2024310013",
        vat_payer=True, country="SK", language="sk", currency="EUR",
        street="Hlavná 21", city="Bratislava", postal_code="811 01",
        email="faktury@tatranska-dielna.example",
    ),
    # Slovak person, not a VAT payer (Slovak VAT through OSS).
    _customer(
        "kovacova", "F2503000106", 700,
        (("Martina Kováčová", "martina.kovacova@mail.example", True),),
        kind="person", name="Martina Kováčová", country="SK", language="sk", currency="EUR",
        street="Mlynská 3", city="Košice", postal_code="040 01",
        email="martina.kovacova@mail.example",
    ),
    # Finnish company, VAT payer (reverse charge), e-invoice (OVT + operator ID).
    _customer(
        "revontuli", "F2503000107", 600,
        (("Mikko Korhonen", "mikko.korhonen@revontuli.example", True),
         ("Laura Nieminen", "laura.nieminen@revontuli.example", True),
         ("Antti Mäkinen", "antti.makinen@revontuli.example", True)),
        kind="company", name="Revontuli Oy", ico="3124560-9", dic="FI31245609",
        vat_payer=True, country="FI", language="fi", currency="EUR",
        street="Pohjoisranta 9", city="Helsinki", postal_code="00170",
        email="laskutus@revontuli.example", invoice_delivery=Customer.Delivery.EINVOICE,
        einvoice_address="003731245609", einvoice_operator="NDEAFIHH",
    ),
    # Finnish registered association: a company with a Y-tunnus, not a VAT payer.
    _customer(
        "kalliolan_kuoro", "F2503000108", 100,
        (("Sanna Laine", "rahastonhoitaja@kalliolan-kuoro.example", True),),
        kind="company", name="Kalliolan Kuoro ry", ico="3124561-7", country="FI",
        language="fi", currency="EUR", street="Kalliolanrinne 3", city="Helsinki",
        postal_code="00510", email="rahastonhoitaja@kalliolan-kuoro.example",
    ),
    # Finnish person, not a VAT payer (Finnish VAT through OSS).
    _customer(
        "virtanen", "F2503000109", 60,
        (("Aino Virtanen", "aino.virtanen@mail.example", True),),
        kind="person", name="Aino Virtanen", country="FI", language="fi", currency="EUR",
        street="Hämeenkatu 5", city="Tampere", postal_code="33100",
        email="aino.virtanen@mail.example",
    ),
)  # fmt: skip

DEMO_CONTRACTS = tuple(spec.contract_number for spec in CUSTOMERS)
