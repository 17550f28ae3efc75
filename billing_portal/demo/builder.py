"""Builds the demo data for a developer's database: `manage.py seed_demo` (run by
`make run`).

The data is built once: the contract `DEMO_MARKER_CONTRACT` marks a database that
has it, and a second run creates nothing and only reports the logins.

Everything goes through the services (customers, documents, portal logins, payments,
credit) inside one transaction; the documents are issued and paid in date order, so
every number series runs in step with the issue dates. Payments arrive as bank
statements that are imported and paired like real ones (`bank.py`). Catalogue rows
(our bank accounts, products and prices), contracts, authorized persons and
subscriptions have no service yet and are created here, validated with
`full_clean()` and written to the audit log.
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
from accounts.portal_login import create_portal_login
from accounts.services import create_customer, snapshot, write_audit
from billing_portal.workdays import business_today
from credits import services as credit_services
from invoices import services as invoice_services
from invoices.models import BankAccount, Document, DocumentKind, Product, ProductPrice
from invoices.services import LineSpec

from .bank import pay_by_bank_transfer
from .data import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    AUDIT_LABEL,
    BANK_ACCOUNTS,
    CUSTOMERS,
    DEMO_CONTRACTS,
    DEMO_MARKER_CONTRACT,
    PORTAL_PASSWORD,
    PRODUCTS,
)


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
        """The customer pays `amount` by bank transfer, by default the whole amount due."""

        def event() -> None:
            document = self.documents[key]
            document.refresh_from_db()
            paid = Decimal(amount) if amount is not None else document.amount_due
            with translation.override(document.language):
                self.documents[key] = pay_by_bank_transfer(document, paid, self.day(day))

        self._at(day, event)

    def credit_wallet(self, customer: str, *, day: int, amount: str, reason: Any) -> None:
        """Credit given by staff (an adjustment with a reason), and auto-pay switched on."""

        def event() -> None:
            row = self.customers[customer]
            wallet = credit_services.wallet_for(row)
            credit_services.adjust(
                wallet=wallet, amount=Decimal(amount), actor=None, reason=str(reason)
            )
            row.refresh_from_db()
            credit_services.update_credit_settings(
                customer=row,
                actor=None,
                auto_pay_by_credit=True,
                payment_request_emails=row.payment_request_emails,
                monthly_statement=wallet.monthly_statement,
                low_balance_threshold=wallet.low_balance_threshold,
            )

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

        # Tomáš Veselý pays in cash (at the bank's counter, with the variable symbol):
        # he buys vouchers for his qualified certificate.
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
