"""Statement imports as received, bank transactions, allocations and returns.

Money is never stored by read-modify-write: a document's paid amount and a
transaction's allocated amount are the sums of append-only `Allocation` rows; the
cached `allocated_amount` is updated with F() under the transaction's row lock and a
CHECK keeps it within the transaction's amount. An overpaid part credited to the
customer's wallet is `credited_amount` (its ledger entry is keyed by the transaction).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing_portal.append_only import AppendOnlyModel
from billing_portal.money import ZERO, Currency

from .account_key import account_key


class StatementImport(models.Model):
    """One file or API response exactly as received, and what became of it."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Admin upload")
        COMMAND = "command", _("Command line")
        FIO_API = "fio_api", _("Fio API")

    created_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveIntegerField(_("size (bytes)"))
    format = models.CharField(_("format"), max_length=10, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    error_code = models.CharField(_("error code"), max_length=50, blank=True)
    error_message = models.TextField(_("error"), blank=True)
    accounts = models.JSONField(_("accounts"), default=list, blank=True)
    statements = models.PositiveIntegerField(_("statements"), default=0)
    transactions = models.PositiveIntegerField(_("transactions"), default=0)
    new = models.PositiveIntegerField(_("new transactions"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    totals = models.JSONField(_("totals"), default=dict, blank=True)

    class Meta:
        verbose_name = _("statement import")
        verbose_name_plural = _("statement imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.filename or self.source} {self.created_at:%Y-%m-%d %H:%M}"


class AccountFeed(models.Model):
    """How statements of one of our bank accounts arrive: Fio API token, CSV mapping."""

    bank_account = models.OneToOneField(
        "invoices.BankAccount", on_delete=models.CASCADE, related_name="feed"
    )
    fio_token = models.CharField(_("Fio API token"), max_length=100, blank=True)
    fio_fetched_until = models.DateField(_("Fio fetched until"), null=True, blank=True)
    csv_mapping = models.JSONField(_("CSV column mapping"), null=True, blank=True)

    class Meta:
        verbose_name = _("account feed")
        verbose_name_plural = _("account feeds")

    def __str__(self) -> str:
        return str(self.bank_account)


class TransactionStatus(models.TextChoices):
    UNPROCESSED = "unprocessed", _("Waiting for pairing")
    PAIRED = "paired", _("Paired")
    REVIEW = "review", _("Needs review")
    RETURN_PROPOSED = "return_proposed", _("To be returned")
    RETURN_EXPORTED = "return_exported", _("Return exported")
    RETURNED = "returned", _("Returned")
    DISCARDED = "discarded", _("Discarded")
    NOT_APPLICABLE = "not_applicable", _("Not a payment to pair")


class BankTransaction(models.Model):
    """A booked movement on one of our accounts; unique per account by natural key."""

    class Direction(models.TextChoices):
        CREDIT = "credit", _("Credit")
        DEBIT = "debit", _("Debit")

    bank_account = models.ForeignKey(
        "invoices.BankAccount", on_delete=models.PROTECT, related_name="transactions"
    )
    statement_import = models.ForeignKey(
        StatementImport, on_delete=models.PROTECT, related_name="bank_transactions"
    )
    natural_key = models.CharField(_("natural key"), max_length=200)
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    end_to_end_id = models.CharField(_("end-to-end ID"), max_length=100, blank=True)
    booking_date = models.DateField(_("booking date"))
    value_date = models.DateField(_("value date"), null=True, blank=True)
    direction = models.CharField(_("direction"), max_length=6, choices=Direction.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    variable_symbol = models.CharField(_("variable symbol"), max_length=10, blank=True)
    specific_symbol = models.CharField(_("specific symbol"), max_length=10, blank=True)
    constant_symbol = models.CharField(_("constant symbol"), max_length=10, blank=True)
    message = models.TextField(_("message"), blank=True)
    counterparty_name = models.CharField(_("counterparty"), max_length=200, blank=True)
    counterparty_account = models.CharField(_("counterparty account"), max_length=50, blank=True)
    counterparty_bank = models.CharField(_("counterparty bank"), max_length=20, blank=True)
    # The account as compared (payments/account_key.py): an IBAN and the domestic
    # "prefix-number/bank" of one account are one key. Set from the two fields above
    # on every save and by the import (bulk_create); never edited by hand.
    counterparty_key = models.CharField(
        _("counterparty account key"), max_length=50, blank=True, editable=False
    )
    is_reversal = models.BooleanField(_("reversal"), default=False)
    raw = models.JSONField(_("as received"), default=dict, blank=True)
    created_at = models.DateTimeField(_("imported"), default=timezone.now)
    # --- pairing state ---
    status = models.CharField(
        _("status"), max_length=16, choices=TransactionStatus.choices, db_index=True
    )
    allocated_amount = models.DecimalField(
        _("allocated"), max_digits=14, decimal_places=2, default=ZERO
    )
    credited_amount = models.DecimalField(
        _("credited to the wallet"),
        max_digits=14,
        decimal_places=2,
        default=ZERO,
        help_text=_("The overpaid part that went to the customer's credit wallet."),
    )
    review_reason = models.CharField(_("review reason"), max_length=200, blank=True)
    candidates = models.JSONField(_("candidate documents"), default=list, blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    note = models.TextField(_("staff note"), blank=True)

    class Meta:
        verbose_name = _("bank transaction")
        verbose_name_plural = _("bank transactions")
        ordering = ["-booking_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["bank_account", "natural_key"], name="bank_transaction_natural_key"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="bank_tx_amount_pos"),
            models.CheckConstraint(
                condition=models.Q(allocated_amount__gte=0)
                & models.Q(allocated_amount__lte=models.F("amount")),
                name="bank_tx_allocated_within_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(credited_amount__gte=0)
                & models.Q(credited_amount__lte=models.F("amount") - models.F("allocated_amount")),
                name="bank_tx_credited_within_rest",
            ),
        ]
        indexes = [
            models.Index(fields=["variable_symbol"]),
            models.Index(fields=["counterparty_key"], name="bank_tx_counterparty_key"),
        ]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.amount} {self.currency} VS {self.variable_symbol}"

    def save(self, *args, **kwargs) -> None:
        self.counterparty_key = account_key(self.counterparty_account, self.counterparty_bank)
        fields = kwargs.get("update_fields")
        if fields is not None and {"counterparty_account", "counterparty_bank"} & set(fields):
            kwargs["update_fields"] = {*fields, "counterparty_key"}
        super().save(*args, **kwargs)

    @property
    def unallocated(self) -> Decimal:
        """What is neither on a document nor credited to a wallet (may be returned)."""
        return self.amount - self.allocated_amount - self.credited_amount


class Allocation(AppendOnlyModel):
    """Append-only: this much of a payment went to this document, by this rule.

    A re-booking (přeúčtování) adds a negative row on the old document and a positive
    one on the new; nothing is ever updated or deleted.
    """

    class Rule(models.TextChoices):
        EXACT_VS = "exact_vs", _("Exact variable symbol")
        VS_IN_MESSAGE = "vs_in_message", _("Variable symbol in the message")
        SPECIFIC_SYMBOL = "specific_symbol", _("Specific symbol")
        SENDER_HISTORY = "sender_history", _("Sender's account history and amount")
        MANUAL = "manual", _("Assigned by staff")
        REBOOK = "rebook", _("Re-booked by staff")

    transaction = models.ForeignKey(
        BankTransaction, on_delete=models.PROTECT, related_name="allocations"
    )
    document = models.ForeignKey(
        "invoices.Document", on_delete=models.PROTECT, related_name="allocations"
    )
    # the row this allocation wrote on the document (invoices' one record of that money)
    document_payment = models.OneToOneField(
        "invoices.DocumentPayment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocation",
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    rule = models.CharField(_("rule"), max_length=20, choices=Rule.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(_("actor"), max_length=100, default="pairing")
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="allocation_not_zero")
        ]

    def __str__(self) -> str:
        return f"{self.amount} -> {self.document_id} ({self.rule})"


class PaymentReturn(models.Model):
    """Money going back to the payer: proposed, exported in a payment order file,
    then matched when the debit appears on our statement."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        EXPORTED = "exported", _("Exported")
        MATCHED = "matched", _("Matched on the statement")
        CANCELLED = "cancelled", _("Cancelled")

    transaction = models.OneToOneField(
        BankTransaction, on_delete=models.PROTECT, related_name="payment_return"
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    reason = models.TextField(_("reason"), blank=True)
    end_to_end_id = models.CharField(_("end-to-end ID"), max_length=35, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    exported_at = models.DateTimeField(_("exported"), null=True, blank=True)
    export_file = models.BinaryField(_("payment order file"), null=True, blank=True)
    matched_transaction = models.OneToOneField(
        BankTransaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="matched_return",
    )

    class Meta:
        verbose_name = _("payment return")
        verbose_name_plural = _("payment returns")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} -> {self.transaction.counterparty_account}"
