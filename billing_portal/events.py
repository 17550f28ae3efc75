"""The vocabulary of the transactional outbox: what the outside world may hear about.

A change of one of these kinds writes a `accounts.DomainEvent` row in the same
transaction as the change (`accounts.outbox.record_event`); partner webhooks and
e-mails are delivered from those rows after commit. The names are part of the
partner API's contract: never rename one, add a new one instead.
"""

from enum import StrEnum


class EventType(StrEnum):
    DOCUMENT_ISSUED = "document.issued"
    DOCUMENT_PAID = "document.paid"
    PAYMENT_UNMATCHED = "payment.unmatched"
    CONTRACT_BLOCKED = "contract.blocked"
    CONTRACT_UNBLOCKED = "contract.unblocked"
    CREDIT_LOW = "credit.low"
    CREDIT_CHARGED = "credit.charged"
