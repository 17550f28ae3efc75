"""Prepaid credit: one wallet per customer in the customer's currency, and the
append-only ledger. The wallet's cached balance moves only with F() under the wallet's
row lock, in the same transaction as the ledger row; a CHECK keeps it >= 0 and tests
check it against the sum of the entries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing_portal.append_only import AppendOnlyModel
from billing_portal.money import ZERO, Currency


class Wallet(models.Model):
    customer = models.OneToOneField(
        "accounts.Customer", on_delete=models.PROTECT, related_name="wallet"
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    balance = models.DecimalField(_("balance"), max_digits=14, decimal_places=2, default=ZERO)
    active = models.BooleanField(_("active"), default=True)
    low_balance_threshold = models.DecimalField(
        _("low-balance alert below"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    low_balance_alerted = models.BooleanField(_("low-balance alert sent"), default=False)
    monthly_statement = models.BooleanField(_("monthly statement by e-mail"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("credit wallet")
        verbose_name_plural = _("credit wallets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance__gte=0), name="wallet_balance_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer} ({self.balance} {self.currency})"


class LedgerEntry(AppendOnlyModel):
    """Append-only. `source_key` makes every entry idempotent on its source (one
    top-up per paid document, one charge per payment request, one reversal per entry)."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("Top-up")
        CHARGE = "charge", _("Charge")
        REVERSAL = "reversal", _("Reversal")
        REFUND = "refund", _("Refund")
        ADJUSTMENT = "adjustment", _("Adjustment by staff")
        SURPLUS = "surplus", _("Overpayment surplus")
        PAYMENT = "payment", _("Payment credited by staff")

    # the (wallet, created_at) index serves the wallet's lookups; no LIKE twin of the
    # source key and no index of the mostly empty actor (written 50,000 times a run)
    wallet = models.ForeignKey(
        Wallet, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    balance_after = models.DecimalField(_("balance after"), max_digits=14, decimal_places=2)
    source_key = models.CharField(_("source"), max_length=100)
    document = models.ForeignKey(
        "invoices.Document",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_entries",
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    # a charge: the row it wrote on the document (invoices' one record of that money),
    # by its source key — known before the row exists, so the set-based auto-charge
    # writes the ledger and the document payments in either order (checked at commit).
    # No index and no database constraint: written 50,000 times a run, where a check
    # per row at commit costs more than the ledger row itself; the source keys make it
    # one-to-one, both rows are append-only, and tests/test_money_invariant.py checks
    # that every charge's payment row exists on the charged document.
    document_payment = models.ForeignKey(
        "invoices.DocumentPayment",
        to_field="source_key",
        db_column="document_payment_key",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="ledger_entries",
        db_index=False,
        db_constraint=False,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    actor_label = models.CharField(_("actor"), max_length=100, default="system")
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["source_key"], name="ledger_source_key_unique"),
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_amount_not_zero"),
            models.CheckConstraint(
                condition=models.Q(balance_after__gte=0), name="ledger_balance_after_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["wallet", "created_at"]),
            models.Index(
                fields=["actor"], condition=models.Q(actor__isnull=False), name="ledger_actor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class MonthlyStatement(models.Model):
    """The claim of one wallet's statement for one month: the row is claimed before
    the e-mail (unique per wallet and month), so a run repeated or overlapping sends
    each statement once; `sent_at` tells the e-mail went out."""

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="statements")
    period_start = models.DateField(_("month"))
    claimed_at = models.DateTimeField(_("claimed"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    recipient = models.EmailField(_("recipient"), blank=True)

    class Meta:
        verbose_name = _("monthly statement")
        verbose_name_plural = _("monthly statements")
        ordering = ["-period_start", "wallet_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["wallet", "period_start"], name="one_statement_per_wallet_and_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.wallet_id} {self.period_start:%Y-%m}"
