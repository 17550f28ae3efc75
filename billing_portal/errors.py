"""One hierarchy of domain errors, each with a stable machine code.

The API renders them as {"code", "message", "details"}; the portal and admin show
the translated message. Codes never change once published: partners match on them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class BillingError(Exception):
    code = "billing_error"
    default_message = _("The operation could not be completed.")
    http_status = 400

    def __init__(self, message: Any = None, **details: Any) -> None:
        self.message = message if message is not None else self.default_message
        self.details = details
        super().__init__(str(self.message))

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "details": self.details}


class ValidationFailed(BillingError):
    code = "validation_failed"
    default_message = _("The input is not valid.")


class ImmutableDocument(BillingError):
    code = "document_immutable"
    default_message = _("An issued document cannot be changed or deleted; issue a credit note.")
    http_status = 409


class InvalidDocumentState(BillingError):
    code = "document_invalid_state"
    default_message = _("The document is not in a state that allows this operation.")
    http_status = 409


class NoVatRate(BillingError):
    code = "vat_rate_unknown"
    default_message = _("No VAT rate is known for this country, category and date.")


class NoPriceForCurrency(BillingError):
    code = "price_missing"
    default_message = _("The product has no price in the customer's currency.")


class NoBankAccount(BillingError):
    code = "bank_account_missing"
    default_message = _("No active bank account of ours exists in this currency.")


class SeriesExhausted(BillingError):
    code = "number_series_exhausted"
    default_message = _("The document number series for this year is exhausted.")
    http_status = 409


class CurrencyLocked(BillingError):
    code = "currency_locked"
    default_message = _("A customer's currency is fixed when the account is created.")
    http_status = 409


class ContractBlocked(BillingError):
    code = "contract_blocked"
    default_message = _("The contract is blocked for non-payment.")
    http_status = 403


class InsufficientCredit(BillingError):
    code = "insufficient_credit"
    default_message = _("The credit balance is not sufficient.")
    http_status = 409


class StatementRejected(BillingError):
    code = "statement_rejected"
    default_message = _("The bank statement was rejected.")


class IdempotencyKeyReused(BillingError):
    code = "idempotency_key_reused"
    default_message = _(
        "This Idempotency-Key was already used for a different request; use a new key."
    )
    http_status = 422
