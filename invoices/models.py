"""Products and prices, orders, our bank accounts, number series and documents.

Documents (payment requests, tax invoices, credit notes) share one table so that
variable symbols, payments and the audit trail see one kind of thing; the proxy
models give each kind its own admin and manager. An issued document is immutable:
only the fields in `Document.STATE_FIELDS` (payment state, delivery state) change.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from billing_portal.append_only import AppendOnlyModel
from billing_portal.errors import ImmutableDocument
from billing_portal.kinds import NOT_PAYABLE_BY_CREDIT, ProductKind
from billing_portal.money import ZERO, Currency


def validate_iban(value: str) -> None:
    try:
        IBAN(value)
    except SchwiftyException as exc:
        raise ValidationError(_("Not a valid IBAN: %(error)s"), params={"error": exc}) from exc


class VatCategory(models.TextChoices):
    STANDARD = "standard", _("Standard rate")
    REDUCED = "reduced", _("First reduced rate")
    SECOND_REDUCED = "second_reduced", _("Second reduced rate")


class Product(models.Model):
    class OverpaymentPolicy(models.TextChoices):
        CREDIT = "credit", _("Surplus to the credit wallet")
        PRORATA = "prorata", _("Extend the service pro rata")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=ProductKind.choices)
    name = models.CharField(_("name"), max_length=200)
    names = models.JSONField(
        _("translated names"), default=dict, blank=True, help_text=_('{"cs": "...", "fi": "..."}')
    )
    billing_period_months = models.PositiveSmallIntegerField(
        _("billing period (months)"), default=0, help_text=_("0 for a one-off product")
    )
    vat_category = models.CharField(
        _("VAT category"), max_length=20, choices=VatCategory.choices, default=VatCategory.STANDARD
    )
    overpayment_policy = models.CharField(
        _("overpayment"),
        max_length=10,
        choices=OverpaymentPolicy.choices,
        default=OverpaymentPolicy.CREDIT,
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.name

    @property
    def payable_by_credit(self) -> bool:
        return self.kind not in NOT_PAYABLE_BY_CREDIT


class ProductPrice(models.Model):
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="prices", verbose_name=_("product")
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    net_amount = models.DecimalField(_("net price"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        constraints = [
            models.UniqueConstraint(fields=["product", "currency"], name="one_price_per_currency"),
            models.CheckConstraint(
                condition=models.Q(net_amount__gte=0), name="price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.net_amount} {self.currency}"


class BankAccount(models.Model):
    """One of our own accounts. A retired account still receives and pairs payments
    but is no longer printed on new documents; a closed one is gone."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=100)
    iban = models.CharField(_("IBAN"), max_length=34, unique=True, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        ordering = ["currency", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.iban_display})"

    def save(self, *args, **kwargs) -> None:
        self.iban = IBAN(self.iban).compact
        if not self.bic:
            bic = IBAN(self.iban).bic
            self.bic = str(bic) if bic else ""
        super().save(*args, **kwargs)

    @property
    def iban_display(self) -> str:
        return IBAN(self.iban).formatted

    @property
    def domestic_number(self) -> str:
        """Czech/Slovak domestic form (prefix-number/bank) printed beside the IBAN."""
        iban = IBAN(self.iban)
        if iban.country_code not in ("CZ", "SK"):
            return ""
        # CZkk BBBB PPPPPP AAAAAAAAAA: schwifty calls the 6-digit prefix the branch code
        prefix, number = iban.branch_code.lstrip("0"), iban.account_code.lstrip("0")
        return f"{prefix + '-' if prefix else ''}{number}/{iban.bank_code}"


class Order(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        INVOICED = "invoiced", _("Invoiced")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("order number"), max_length=20, unique=True)
    customer = models.ForeignKey(
        "accounts.Customer", on_delete=models.PROTECT, related_name="orders"
    )
    contract = models.ForeignKey(
        "accounts.Contract", on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="new")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    label = models.CharField(_("label"), max_length=200, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=3, default=1)
    unit_price = models.DecimalField(_("unit price (net)"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.product} x {self.quantity}"


class NumberSeries(models.Model):
    """Counter row of one document series and year, taken under select_for_update."""

    kind = models.CharField(_("document kind"), max_length=20)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="one_series_per_kind_and_year")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last_number}"


class DocumentKind(models.TextChoices):
    PAYMENT_REQUEST = "payment_request", _("Payment request")
    TAX_INVOICE = "tax_invoice", _("Tax invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class DocumentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PARTLY_PAID = "partly_paid", _("Partly paid")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (DocumentStatus.OPEN, DocumentStatus.PARTLY_PAID)


class VatRegime(models.TextChoices):
    DOMESTIC = "domestic", _("Domestic VAT")
    OSS = "oss", _("VAT of the customer's EU country (OSS)")
    REVERSE_CHARGE = "reverse_charge", _("Reverse charge")
    OUTSIDE_EU = "outside_eu", _("Outside the scope of EU VAT")


def overdue_q(today) -> models.Q:
    """Receivables still open after their due date (a credit note is never overdue)."""
    return models.Q(status__in=OPEN_STATUSES, due_date__lt=today) & ~models.Q(
        kind=DocumentKind.CREDIT_NOTE
    )


class DocumentQuerySet(models.QuerySet):
    def update(self, **kwargs):
        changed = set(kwargs) - set(Document.STATE_FIELDS)
        if changed:
            raise ImmutableDocument(fields=sorted(changed))
        return super().update(**kwargs)

    def delete(self):
        raise ImmutableDocument()

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def receivable(self):
        """Open documents the customer owes (an open credit note is a refund we owe)."""
        return self.open().exclude(kind=DocumentKind.CREDIT_NOTE)

    def overdue(self, today):
        return self.filter(overdue_q(today))


class DocumentManager(models.Manager.from_queryset(DocumentQuerySet)):
    kind: str | None = None

    def get_queryset(self):
        qs = super().get_queryset()
        return qs.filter(kind=self.kind) if self.kind else qs


def _manager_of(kind: str) -> type[DocumentManager]:
    return type(f"{kind.title()}Manager", (DocumentManager,), {"kind": kind})


class Document(models.Model):
    """A payment request, tax invoice or credit note. Amounts are stored already
    computed (by `invoices.services`) and never recomputed after issue."""

    STATE_FIELDS = (
        "status",
        "credit_opt_out",
        "paid_by_credit",
        "amount_paid",
        "paid_on",
        "fulfilled_at",
        "sent_at",
        "to_print",
        "printed_at",
        "cancelled_at",
    )

    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    # Indexes are chosen for write cost too: a document is updated when it is paid,
    # sent, printed, and the auto-charge pays tens of thousands in one run; every index
    # an update touches costs on every one of them (no LIKE twins of the unique number
    # and the variable symbol, partial indexes for the rarely set foreign keys).
    number = models.CharField(_("number"), max_length=20)
    year = models.PositiveSmallIntegerField(_("series year"))
    sequence = models.PositiveIntegerField(_("sequence"))
    variable_symbol = models.CharField(_("variable symbol"), max_length=10)
    customer = models.ForeignKey(
        "accounts.Customer",
        on_delete=models.PROTECT,
        related_name="documents",
        verbose_name=_("customer"),
    )
    contract = models.ForeignKey(
        "accounts.Contract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("contract"),
    )
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        db_index=False,
    )
    related_document = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="derived_documents",
        verbose_name=_("related document"),
        help_text=_(
            "The payment request a tax invoice settles, or the invoice a credit note corrects."
        ),
    )
    bank_account = models.ForeignKey(
        BankAccount,
        on_delete=models.PROTECT,
        related_name="documents",
        null=True,
        blank=True,
        db_index=False,
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    language = models.CharField(_("language"), max_length=2)
    issue_date = models.DateField(_("issue date"))
    taxable_supply_date = models.DateField(_("date of taxable supply"), null=True, blank=True)
    due_date = models.DateField(_("due date"))
    vat_regime = models.CharField(_("VAT regime"), max_length=20, choices=VatRegime.choices)
    total_net = models.DecimalField(_("total without VAT"), max_digits=14, decimal_places=2)
    total_vat = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2)
    total_gross = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    seller = models.JSONField(_("seller snapshot"))
    buyer = models.JSONField(_("buyer snapshot"))
    note = models.TextField(_("note"), blank=True)
    charge_by_credit = models.BooleanField(
        _("automatically by credit"),
        default=False,
        help_text=_("Issued while the customer's auto-pay was on: charged from the wallet on "
                    "day 10 unless the customer opts out."),
    )  # fmt: skip
    issued_at = models.DateTimeField(_("issued"), default=timezone.now, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # --- state: the only fields that change after issue ---
    status = models.CharField(
        _("status"), max_length=12, choices=DocumentStatus.choices, default=DocumentStatus.OPEN
    )
    amount_paid = models.DecimalField(
        _("amount paid"), max_digits=14, decimal_places=2, default=ZERO
    )
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled"), null=True, blank=True)
    sent_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    to_print = models.BooleanField(_("to print"), default=False)
    printed_at = models.DateTimeField(_("printed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    credit_opt_out = models.BooleanField(_("do not charge automatically"), default=False)
    paid_by_credit = models.BooleanField(_("paid by credit"), default=False)

    objects = DocumentManager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-issue_date", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="document_number_unique"),
            models.UniqueConstraint(
                fields=["kind", "year", "sequence"], name="document_unique_sequence"
            ),
            models.UniqueConstraint(
                fields=["variable_symbol"],
                condition=models.Q(status__in=["open", "partly_paid"]),
                name="document_vs_unique_among_open",
            ),
            models.CheckConstraint(
                condition=models.Q(variable_symbol__regex=r"^[0-9]{1,10}$"),
                name="document_vs_numeric_max_10",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    total_gross=Round(models.F("total_net") + models.F("total_vat"), 2)
                ),
                name="document_gross_is_net_plus_vat",
            ),
        ]
        indexes = [
            # open documents only: paying a document then adds no entry to either
            # (dunning reads open documents by due date, the auto-charge by issue date)
            models.Index(
                fields=["due_date"],
                condition=models.Q(status__in=["open", "partly_paid"]),
                name="document_open_due",
            ),
            models.Index(
                fields=["kind", "issue_date"],
                condition=models.Q(status__in=["open", "partly_paid"]),
                name="document_open_kind_issued",
            ),
            models.Index(fields=["variable_symbol"], name="document_vs"),
            models.Index(
                fields=["to_print"], condition=models.Q(to_print=True), name="document_to_print"
            ),
            models.Index(
                fields=["related_document"],
                condition=models.Q(related_document__isnull=False),
                name="document_related",
            ),
            models.Index(
                fields=["order"], condition=models.Q(order__isnull=False), name="document_order"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            update_fields = kwargs.get("update_fields")
            if update_fields is None or set(update_fields) - set(self.STATE_FIELDS):
                raise ImmutableDocument(document=self.number)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableDocument(document=self.number)

    @property
    def amount_due(self) -> Decimal:
        return max(self.total_gross - self.amount_paid, ZERO)

    def is_overdue(self, today) -> bool:
        return self.is_payable and self.due_date < today

    @property
    def is_payable(self) -> bool:
        return self.kind != DocumentKind.CREDIT_NOTE and self.status in OPEN_STATUSES


class PaymentRequest(Document):
    """Výzva k platbě (proforma): asks for money, is not a tax document."""

    objects = _manager_of(DocumentKind.PAYMENT_REQUEST)()

    class Meta:
        proxy = True
        verbose_name = _("payment request")
        verbose_name_plural = _("payment requests")


class TaxInvoice(Document):
    """Daňový doklad."""

    objects = _manager_of(DocumentKind.TAX_INVOICE)()

    class Meta:
        proxy = True
        verbose_name = _("tax invoice")
        verbose_name_plural = _("tax invoices")


class CreditNote(Document):
    """Dobropis: the only way to correct an issued tax invoice."""

    objects = _manager_of(DocumentKind.CREDIT_NOTE)()

    class Meta:
        proxy = True
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")


class DocumentLineQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableDocument()

    def delete(self):
        raise ImmutableDocument()


class DocumentLine(models.Model):
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"))
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    product_kind = models.CharField(_("product kind"), max_length=30, blank=True)
    subscription = models.ForeignKey(
        "accounts.Subscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="document_lines",
    )
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=10, default="ks")
    unit_price = models.DecimalField(_("unit price (net)"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    net_amount = models.DecimalField(_("net amount"), max_digits=14, decimal_places=2)
    period_from = models.DateField(_("period from"), null=True, blank=True)
    period_to = models.DateField(_("period to"), null=True, blank=True)
    applicant_email = models.EmailField(_("certificate applicant"), blank=True)

    objects = DocumentLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("document line")
        verbose_name_plural = _("document lines")
        ordering = ["document", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "position"], name="document_line_unique_position"
            )
        ]

    def __str__(self) -> str:
        return self.description

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise ImmutableDocument()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableDocument()


class DocumentVatLine(models.Model):
    """The VAT recapitulation of a document: one row per rate (base, VAT)."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="vat_lines")
    rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    base = models.DecimalField(_("base"), max_digits=14, decimal_places=2)
    vat = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2)

    objects = DocumentLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("VAT recapitulation line")
        verbose_name_plural = _("VAT recapitulation")
        ordering = ["document", "-rate"]
        constraints = [
            models.UniqueConstraint(fields=["document", "rate"], name="one_vat_line_per_rate")
        ]

    def __str__(self) -> str:
        return f"{self.rate} %: {self.base} + {self.vat}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise ImmutableDocument()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableDocument()


class DunningNotice(models.Model):
    """One notice of one document at one dunning level, claimed (inserted) before it
    is sent, so two runs or a retry never send it twice."""

    # indexed by the unique constraint below, which starts with the document
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="notices", db_index=False
    )
    level = models.CharField(_("level"), max_length=30)
    claimed_at = models.DateTimeField(_("claimed"), default=timezone.now)
    claim = models.UUIDField(_("claim"), db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)

    class Meta:
        verbose_name = _("dunning notice")
        verbose_name_plural = _("dunning notices")
        ordering = ["-claimed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["document", "level"], name="one_notice_per_level")
        ]

    def __str__(self) -> str:
        return f"{self.document} {self.level}"


class DocumentPayment(AppendOnlyModel):
    """Append-only: an amount that reached a document (negative: left it again, e.g.
    re-booked elsewhere), and where it came from. A document's `amount_paid` is a
    cache of the sum of its rows; `invoices.settlement` is the only writer of both.

    The source says what paid: a bank payment's allocation (`payments.Allocation`
    points here), a credit charge (`credits.LedgerEntry` points here), a credit note
    settling an invoice, the payment request whose payments a tax invoice documents,
    or a staff entry. `source_key` is unique, so a source pays once."""

    class Source(models.TextChoices):
        BANK = "bank", _("Bank payment")
        CREDIT = "credit", _("Prepaid credit")
        CREDIT_NOTE = "credit_note", _("Credit note")
        REQUEST = "request", _("Paid payment request")
        STAFF = "staff", _("Staff entry")

    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, related_name="payments", verbose_name=_("document")
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    source_key = models.CharField(_("source key"), max_length=100)
    paid_on = models.DateField(_("paid on"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    actor_label = models.CharField(_("actor"), max_length=100, default="system")
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("document payment")
        verbose_name_plural = _("document payments")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source_key"], name="document_payment_source_unique"),
            models.CheckConstraint(condition=~models.Q(amount=0), name="document_payment_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} -> {self.document_id} ({self.source})"
