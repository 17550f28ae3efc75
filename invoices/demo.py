"""Demo data for a developer's database: `manage.py seed_demo` (run by `make run`).

Brand-neutral: every company, person, address and e-mail below is invented (e-mail
domains end in `.example`, which never resolves). The data is built once: the
contract `DEMO_MARKER_CONTRACT` marks a database that has it, and a second run
creates nothing and only reports the logins.

Everything goes through the services (customers, documents, portal logins) inside
one transaction; the documents are issued in date order, so every number series
runs in step with the issue dates. Catalogue rows (our bank accounts, products and
prices), contracts, authorized persons and subscriptions have no service yet and
are created here, validated with `full_clean()` and written to the audit log.

The passwords are fixed and printed on purpose: this is development data only, and
the command refuses to run with DEBUG off unless forced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, transaction
from django.utils import translation
from django.utils.translation import gettext_lazy

from accounts.models import AuthorizedPerson, Contract, Customer, Subscription
from accounts.portal import create_portal_login
from accounts.services import create_customer, snapshot, write_audit
from billing_portal.kinds import ProductKind
from billing_portal.money import ZERO, quantize

from . import services as invoice_services
from .models import (
    BankAccount,
    Document,
    DocumentKind,
    DocumentStatus,
    Product,
    ProductPrice,
)
from .services import LineSpec, business_today

DEMO_MARKER_CONTRACT = "F2503000101"
ADMIN_USERNAME = "admin"
ADMIN_EMAIL = "admin@demo.example"
ADMIN_PASSWORD = "demo-Admin-2026"  # noqa: S105 -- documented demo password, DEBUG only
PORTAL_PASSWORD = "demo-Portal-2026"  # noqa: S105 -- documented demo password, DEBUG only
AUDIT_LABEL = "seed_demo"


@dataclass(frozen=True)
class PortalLogin:
    contract_number: str
    email: str
    customer_name: str


@dataclass(frozen=True)
class DemoLogins:
    """What `seed_demo` prints: the admin login and the portal logins."""

    created: bool
    admin_username: str
    #: None when the `admin` user does not (or no longer does) have the demo password.
    admin_password: str | None
    portal_password: str
    portal: tuple[PortalLogin, ...] = field(default_factory=tuple)


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


# --- payments (stand-in) ----------------------------------------------------------------


def _record_demo_payment(document: Document, amount: Decimal, paid_on: date) -> Document:
    """DEMO STAND-IN for a received payment, until the payments app records
    allocations: do not use outside the demo data.

    Sets only the state fields (`amount_paid`, `status`, `paid_on`) the way a paired
    payment will; when the document is then paid in full, issues the tax invoice of a
    payment request (dated by the payment) and runs the fulfilment. No allocation,
    bank transaction or credit-wallet surplus is recorded: an overpayment is refused.
    """
    amount = quantize(amount)
    with transaction.atomic():
        current = Document.objects.select_for_update(no_key=True).get(pk=document.pk)
        if current.kind == DocumentKind.CREDIT_NOTE or current.status not in (
            DocumentStatus.OPEN,
            DocumentStatus.PARTLY_PAID,
        ):
            raise ValueError(f"{current.number} does not take payments")
        if amount <= ZERO or amount > current.amount_due:
            raise ValueError(f"{amount} does not fit the {current.amount_due} due")
        amount_paid = current.amount_paid + amount
        fully_paid = amount_paid >= current.total_gross
        Document.objects.filter(pk=current.pk).update(
            amount_paid=amount_paid,
            status=DocumentStatus.PAID if fully_paid else DocumentStatus.PARTLY_PAID,
            paid_on=paid_on if fully_paid else None,
        )
        current.refresh_from_db()
        if fully_paid:
            if current.kind == DocumentKind.PAYMENT_REQUEST:
                invoice_services.issue_tax_invoice_for_paid_request(
                    payment_request=current, paid_on=paid_on
                )
            invoice_services.fulfil_document(document=current, paid_on=paid_on)
            current.refresh_from_db()
    return current


# --- building --------------------------------------------------------------------------


def build_demo_data() -> DemoLogins:
    """Create the demo data unless it exists; return the logins to print either way."""
    if not Contract.objects.filter(number=DEMO_MARKER_CONTRACT).exists():
        try:
            with transaction.atomic():
                _Builder(today=business_today()).build()
        except IntegrityError:
            # Another run created the data at the same time: report its logins.
            if not Contract.objects.filter(number=DEMO_MARKER_CONTRACT).exists():
                raise
        else:
            return demo_logins(created=True)
    return demo_logins(created=False)


def demo_logins(*, created: bool) -> DemoLogins:
    admin = get_user_model().objects.filter(username=ADMIN_USERNAME).first()
    has_demo_password = admin is not None and admin.check_password(ADMIN_PASSWORD)
    persons = (
        AuthorizedPerson.objects.filter(
            contract__number__in=DEMO_CONTRACTS, active=True, user__isnull=False
        )
        .select_related("contract__customer")
        .order_by("contract__number", "pk")
    )
    return DemoLogins(
        created=created,
        admin_username=ADMIN_USERNAME,
        admin_password=ADMIN_PASSWORD if has_demo_password else None,
        portal_password=PORTAL_PASSWORD,
        portal=tuple(
            PortalLogin(
                contract_number=person.contract.number,
                email=person.email,
                customer_name=person.contract.customer.name,
            )
            for person in persons
        ),
    )


def _audit_created(instance: models.Model) -> None:
    event = f"{instance._meta.model_name}.created"
    write_audit(event=event, subject=instance, actor_label=AUDIT_LABEL, after=snapshot(instance))


def _created(model: type[models.Model], **fields: Any) -> Any:
    instance = model(**fields)
    instance.full_clean()
    instance.save()
    _audit_created(instance)
    return instance


@dataclass(frozen=True)
class _Line:
    """A line of a demo document: a catalogue product, for the customer's currency."""

    product: str
    subscription: str | None = None
    # First day of the billing period, relative to today; None for a renewal: the day
    # after the subscription's valid_until when the document is issued.
    start: int | None = None
    quantity: str = "1"
    label: str = ""
    applicant_email: str = ""
    unit: str = ""


class _Builder:
    """Creates the demo rows; documents are collected as dated events first and then
    issued in date order (so the number series follow the dates)."""

    def __init__(self, *, today: date) -> None:
        self.today = today
        self.products: dict[str, Product] = {}
        self.customers: dict[str, Customer] = {}
        self.contracts: dict[str, Contract] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.documents: dict[str, Document] = {}
        self._events: list[tuple[date, int, Any]] = []

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    # --- rows without documents ---

    def build(self) -> None:
        self.admin()
        self.bank_accounts()
        self.catalogue()
        self.people()
        self.services_and_documents()
        for _when, _seq, event in sorted(self._events, key=lambda item: item[:2]):
            event()

    def admin(self) -> None:
        user_model = get_user_model()
        if not user_model.objects.filter(username=ADMIN_USERNAME).exists():
            user_model.objects.create_superuser(ADMIN_USERNAME, ADMIN_EMAIL, ADMIN_PASSWORD)

    def bank_accounts(self) -> None:
        for name, iban, currency, status in BANK_ACCOUNTS:
            if not BankAccount.objects.filter(iban=iban).exists():
                _created(BankAccount, name=name, iban=iban, currency=currency, status=status)

    def catalogue(self) -> None:
        for spec in PRODUCTS:
            product = Product.objects.filter(code=spec.code).first()
            if product is None:
                product = _created(
                    Product,
                    code=spec.code,
                    kind=spec.kind,
                    name=spec.names["en"],
                    names=spec.names,
                    billing_period_months=spec.months,
                    overpayment_policy=spec.overpayment,
                )
            for currency, amount in zip(("CZK", "EUR", "GBP"), spec.prices, strict=True):
                if not product.prices.filter(currency=currency).exists():
                    _created(
                        ProductPrice,
                        product=product,
                        currency=currency,
                        net_amount=Decimal(amount),
                    )
            self.products[spec.code] = product

    def people(self) -> None:
        for spec in CUSTOMERS:
            customer = create_customer(**spec.fields)
            contract = _created(
                Contract,
                number=spec.contract_number,
                customer=customer,
                signed_on=self.day(-spec.signed_days_ago),
            )
            for position, (name, email, active) in enumerate(spec.persons):
                person = _created(
                    AuthorizedPerson, contract=contract, name=name, email=email, active=active
                )
                if position == 0:
                    create_portal_login(person=person, password=PORTAL_PASSWORD, actor=None)
            self.customers[spec.key] = customer
            self.contracts[spec.key] = contract

    def subscription(
        self,
        key: str,
        customer: str,
        product: str,
        label: str,
        status: str = Subscription.Status.PENDING,
        *,
        valid_until: int | None = None,
    ) -> None:
        product_row = self.products[product]
        self.subscriptions[key] = _created(
            Subscription,
            contract=self.contracts[customer],
            product=product_row,
            label=label,
            status=status,
            valid_until=self.day(valid_until) if valid_until is not None else None,
            billing_period_months=product_row.billing_period_months,
        )

    # --- document events ---

    def _at(self, offset: int, event: Any) -> None:
        self._events.append((self.day(offset), len(self._events), event))

    def _line_spec(self, customer: Customer, line: _Line) -> LineSpec:
        """A catalogue line; with a subscription, for one billing period from `start`."""
        extra: dict[str, Any] = {"applicant_email": line.applicant_email}
        if line.unit:
            extra["unit"] = line.unit
        label = line.label
        if line.subscription is not None:
            sub = self.subscriptions[line.subscription]
            sub.refresh_from_db()
            if line.start is not None:
                start = self.day(line.start)
            elif sub.valid_until is not None:
                start = sub.valid_until + timedelta(days=1)
            else:
                raise ValueError(f"{sub} has no valid_until to renew from")
            end = start + relativedelta(months=sub.billing_period_months) - timedelta(days=1)
            label = f"{sub.label} ({start:%d.%m.%Y}\u2013{end:%d.%m.%Y})"
            extra.update(subscription=sub, period_from=start, period_to=end)
        return LineSpec.for_product(
            self.products[line.product],
            currency=customer.currency,
            language=customer.language,
            quantity=Decimal(line.quantity),
            label=label,
            **extra,
        )

    def issue(
        self,
        key: str,
        customer: str,
        *lines: _Line,
        day: int,
        due: int | None = None,
        kind: str = DocumentKind.PAYMENT_REQUEST,
        renews: str | None = None,
    ) -> None:
        """Issue a payment request (or a tax invoice) on `day`, due on `due` (default:
        the usual due days).

        `renews`: the subscription this request renews; it is marked as requested for
        its valid_until at that time, as the daily renewal job does.
        """

        def event() -> None:
            row = self.customers[customer]
            row.refresh_from_db(fields=["auto_pay_by_credit"])
            extra: dict[str, Any] = {}
            if kind == DocumentKind.TAX_INVOICE:
                issue = invoice_services.issue_tax_invoice
            else:
                issue = invoice_services.issue_payment_request
                # as the renewal job does: "automatically by credit" while auto-pay is on
                extra["charge_by_credit"] = renews is not None and row.auto_pay_by_credit
            with translation.override(row.language):
                self.documents[key] = issue(
                    customer=row,
                    contract=self.contracts[customer],
                    lines=[self._line_spec(row, line) for line in lines],
                    issue_date=self.day(day),
                    due_date=self.day(due) if due is not None else None,
                    **extra,
                )
            if renews is not None:
                sub = self.subscriptions[renews]
                sub.refresh_from_db()
                Subscription.objects.filter(pk=sub.pk).update(renewal_requested_for=sub.valid_until)

        self._at(day, event)

    def pay(self, key: str, *, day: int, amount: str | None = None) -> None:
        """Record a (demo) payment of `amount`, by default the whole amount due."""

        def event() -> None:
            document = self.documents[key]
            document.refresh_from_db()
            paid = Decimal(amount) if amount is not None else document.amount_due
            with translation.override(document.language):
                self.documents[key] = _record_demo_payment(document, paid, self.day(day))

        self._at(day, event)

    def credit_wallet(self, customer: str, *, day: int, amount: str, reason: Any) -> None:
        """Credit given by staff (an adjustment with a reason), and auto-pay switched on."""

        def event() -> None:
            from credits.services import adjust, wallet_for

            row = self.customers[customer]
            adjust(wallet=wallet_for(row), amount=Decimal(amount), actor=None, reason=str(reason))
            Customer.objects.filter(pk=row.pk).update(auto_pay_by_credit=True)

        self._at(day, event)

    def cancel(self, key: str, *, day: int, reason: Any) -> None:
        def event() -> None:
            document = self.documents[key]
            with translation.override(document.language):
                self.documents[key] = invoice_services.cancel_payment_request(
                    document=document, reason=str(reason)
                )

        self._at(day, event)

    def credit(self, key: str, *, request: str, day: int, reason: Any) -> None:
        """A credit note for the whole tax invoice of the (paid) payment request."""

        def event() -> None:
            invoice = Document.objects.get(
                related_document=self.documents[request], kind=DocumentKind.TAX_INVOICE
            )
            with translation.override(invoice.language):
                self.documents[key] = invoice_services.issue_credit_note(
                    invoice=invoice, reason=str(reason), issue_date=self.day(day)
                )

        self._at(day, event)

    # --- the story -----------------------------------------------------------------------

    def services_and_documents(self) -> None:
        """Subscriptions with valid_until spread around today, and documents in every
        state: open, partly paid, paid (with a tax invoice), overdue (one more than
        30 days), a cancelled payment request and a credit note. Days are relative to
        today."""
        sub, issue, pay, L = self.subscription, self.issue, self.pay, _Line
        active, expired = Subscription.Status.ACTIVE, Subscription.Status.EXPIRED
        # fmt: off

        # Modrá Lípa: hosting + domain paid in spring, a qualified certificate with
        # timestamps paid, the SSL renewal open and not yet due.
        sub("ml_hosting", "modra_lipa", "hosting-yearly", "modra-lipa.cz")
        sub("ml_domain", "modra_lipa", "domain-cz-1y", "modra-lipa.cz")
        sub("ml_ssl", "modra_lipa", "ssl-dv-1y", "www.modra-lipa.cz", active, valid_until=9)
        sub("ml_qcert", "modra_lipa", "qualified-certificate-1y", "Jana Horáková")
        issue("ml_1", "modra_lipa",
              L("hosting-yearly", subscription="ml_hosting", start=-150),
              L("domain-cz-1y", subscription="ml_domain", start=-150), day=-150)
        pay("ml_1", day=-146)
        issue("ml_2", "modra_lipa",
              L("qualified-certificate-1y", subscription="ml_qcert", start=-57,
                applicant_email="jana.horakova@modra-lipa.example"),
              L("timestamps-200"), day=-60)
        pay("ml_2", day=-57)
        issue("ml_3", "modra_lipa", L("ssl-dv-1y", subscription="ml_ssl"),
              day=-5, due=9, renews="ml_ssl")

        # Horní Mlýn (by post): a domain renewal unpaid for more than 30 days (the
        # domain expired), and mailboxes invoiced directly, a few days overdue.
        sub("hm_domain", "horni_mlyn", "domain-cz-1y", "horni-mlyn.cz", expired, valid_until=-36)
        sub("hm_email", "horni_mlyn", "email-mailbox-1y", "horni-mlyn.cz", active, valid_until=344)
        issue("hm_1", "horni_mlyn", L("domain-cz-1y", subscription="hm_domain"),
              day=-50, due=-36, renews="hm_domain")
        issue("hm_2", "horni_mlyn",
              L("email-mailbox-1y", subscription="hm_email", start=-20, quantity="5"),
              day=-20, kind=DocumentKind.TAX_INVOICE)

        # Tomáš Veselý pays in cash: he buys vouchers for his qualified certificate.
        sub("tv_qcert", "vesely", "qualified-certificate-1y", "Tomáš Veselý", active,
            valid_until=40)
        issue("tv_1", "vesely", L("voucher-qualified-certificate-1y"), day=-30)
        pay("tv_1", day=-28)
        issue("tv_2", "vesely", L("voucher-qualified-certificate-1y"), day=-2)

        # Petra Dvořáková: monthly hosting (last month paid, this month overdue by a
        # day) and a domain order cancelled at her request.
        sub("pd_hosting", "dvorakova", "hosting-monthly", "dvorakova-design.cz", active,
            valid_until=-31)
        issue("pd_1", "dvorakova", L("hosting-monthly", subscription="pd_hosting"),
              day=-35, due=-31, renews="pd_hosting")
        pay("pd_1", day=-33)
        issue("pd_x", "dvorakova", L("domain-cz-1y", label="dvorakova-design.com"), day=-20)
        self.cancel("pd_x", day=-18, reason=gettext_lazy(
            "Ordered by mistake; cancelled at the customer's request."))
        issue("pd_2", "dvorakova", L("hosting-monthly", subscription="pd_hosting"),
              day=-15, due=-1, renews="pd_hosting")

        # Tatranská dielňa: yearly hosting paid; a new certificate and domain partly paid.
        sub("td_hosting", "tatranska", "hosting-yearly", "tatranska-dielna.sk")
        sub("td_ssl", "tatranska", "ssl-dv-1y", "www.tatranska-dielna.sk")
        sub("td_domain", "tatranska", "domain-sk-1y", "tatranska-dielna.sk")
        issue("td_1", "tatranska", L("hosting-yearly", subscription="td_hosting", start=-100),
              day=-100)
        pay("td_1", day=-98)
        issue("td_2", "tatranska",
              L("ssl-dv-1y", subscription="td_ssl", start=-8),
              L("domain-sk-1y", subscription="td_domain", start=-8), day=-8)
        pay("td_2", day=-3, amount="20.00")

        # Martina Kováčová: prepaid credit with auto-pay on; her .sk domain renewal, open,
        # is charged from the credit on day 10 after its issue unless she opts out.
        sub("mk_domain", "kovacova", "domain-sk-1y", "kovacova.sk", active, valid_until=11)
        self.credit_wallet("kovacova", day=-40, amount="50.00", reason=gettext_lazy(
            "Prepaid credit (demo data)."))
        issue("mk_1", "kovacova", L("domain-sk-1y", subscription="mk_domain"),
              day=-3, due=11, renews="mk_domain")

        # Revontuli (e-invoice): a timestamp package ordered and paid twice (the
        # duplicate credited), a dedicated server paid last month and open this month.
        sub("rv_server", "revontuli", "dedicated-server-monthly", "db01.revontuli.fi", active,
            valid_until=-31)
        sub("rv_domain", "revontuli", "domain-fi-1y", "revontuli.fi", active, valid_until=150)
        issue("rv_ts_1", "revontuli", L("timestamps-200"), day=-90)
        issue("rv_ts_2", "revontuli", L("timestamps-200"), day=-90)
        pay("rv_ts_1", day=-88)
        pay("rv_ts_2", day=-88)
        self.credit("rv_credit", request="rv_ts_2", day=-80, reason=gettext_lazy(
            "Duplicate order of the same package; the amount is refunded."))
        issue("rv_1", "revontuli",
              L("dedicated-server-monthly", subscription="rv_server"),
              day=-35, due=-31, renews="rv_server")
        pay("rv_1", day=-33)
        issue("rv_2", "revontuli",
              L("dedicated-server-monthly", subscription="rv_server"),
              day=-5, due=9, renews="rv_server")

        # Kalliolan Kuoro: a new domain with two mailboxes, unpaid for almost a month.
        sub("kk_domain", "kalliolan_kuoro", "domain-fi-1y", "kalliolan-kuoro.fi")
        sub("kk_email", "kalliolan_kuoro", "email-mailbox-1y", "kalliolan-kuoro.fi")
        issue("kk_1", "kalliolan_kuoro",
              L("domain-fi-1y", subscription="kk_domain", start=-40),
              L("email-mailbox-1y", subscription="kk_email", start=-40, quantity="2"), day=-40)

        # Aino Virtanen: monthly hosting paid; a credit top-up waiting for payment.
        sub("av_hosting", "virtanen", "hosting-monthly", "ainovirtanen.fi")
        issue("av_1", "virtanen", L("hosting-monthly", subscription="av_hosting", start=-20),
              day=-20)
        pay("av_1", day=-19)
        issue("av_2", "virtanen", L("credit-topup", quantity="50", unit="EUR"), day=-1)
        # fmt: on
