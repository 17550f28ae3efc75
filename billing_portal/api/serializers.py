"""The shapes of the partner API: answers, requests and errors (for the schema)."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from accounts.models import ContractBlock
from credits.models import LedgerEntry

MAX_TOP_UP = Decimal("1000000")


class ApiErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine code.")
    message = serializers.CharField(help_text="Translated message for people.")
    details = serializers.DictField(help_text="Machine-readable details of the error.")


# --- contracts ---------------------------------------------------------------------------


class ContractEligibilitySerializer(serializers.Serializer):
    contract = serializers.CharField(help_text="The contract number.")
    blocked = serializers.BooleanField(help_text="Always false here: a block is a 403.")
    can_issue_certificates = serializers.BooleanField()


class ContractBlockedDetailsSerializer(serializers.Serializer):
    reasons = serializers.ListField(child=serializers.ChoiceField(ContractBlock.Reason.choices))
    since = serializers.DateField(help_text="The day the contract was first blocked.")
    expected_unblock_on = serializers.DateField(
        allow_null=True,
        help_text="When the contract will be unblocked; null while nothing is scheduled "
        "(an overdue document is still unpaid, or a manual or legal block).",
    )


class ContractBlockedErrorSerializer(ApiErrorSerializer):
    details = ContractBlockedDetailsSerializer()


# --- credit --------------------------------------------------------------------------------


class LedgerEntrySerializer(serializers.ModelSerializer):
    document = serializers.CharField(source="document.number", default=None)

    class Meta:
        model = LedgerEntry
        fields = ("id", "created_at", "kind", "amount", "balance_after", "document")


class WalletSerializer(serializers.Serializer):
    contract = serializers.CharField()
    currency = serializers.CharField()
    balance = serializers.DecimalField(max_digits=14, decimal_places=2)
    active = serializers.BooleanField()
    auto_pay_by_credit = serializers.BooleanField()
    low_balance_threshold = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True
    )
    entries = LedgerEntrySerializer(many=True, help_text="The latest entries, newest first.")


class TopUpSerializer(serializers.Serializer):
    net_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("1.00"),
        max_value=MAX_TOP_UP,
        help_text="Credit to add, without VAT, in the wallet's currency.",
    )


class TopUpRequestSerializer(serializers.Serializer):
    number = serializers.CharField()
    variable_symbol = serializers.CharField()
    currency = serializers.CharField()
    total_net = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_gross = serializers.DecimalField(max_digits=14, decimal_places=2)
    due_date = serializers.DateField()
    iban = serializers.CharField(source="bank_account.iban", default=None)
