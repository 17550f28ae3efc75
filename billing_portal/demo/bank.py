"""How the demo's customers pay: by bank transfer, through the real services.

A payment is a bank statement of the document's bank account with one incoming
payment (the document's variable symbol, the amount, the booking date), written as
the bank's CSV export and imported with its column mapping
(`payments.importing.import_statement`: stored as received, each movement once),
then paired by the periodic job (`payments.pairing.pair_transactions`: the exact
variable symbol), which records the payment on the document.

A document paid in full is settled at once (`invoices.services.settle_paid_document`:
the tax invoice dated by the payment, then the fulfilment) instead of only after
commit, so its tax invoice is numbered in date order with the rest of the story.
The settlement is idempotent: the one queued after commit changes nothing.

Nothing here writes a document's money itself.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from billing_portal.money import ZERO, quantize
from invoices.models import Document, DocumentKind, DocumentStatus
from invoices.services import settle_paid_document
from payments.importers.csv import CsvMapping
from payments.importing import import_statement
from payments.models import BankTransaction, StatementImport, TransactionStatus
from payments.pairing import pair_transactions

#: Our field -> the column of the demo bank's CSV export.
CSV_COLUMNS = {
    "booking_date": "Date",
    "amount": "Amount",
    "variable_symbol": "VS",
    "message": "Message",
    "counterparty_name": "Payer",
    "bank_reference": "Reference",
}


def _mapping(document: Document) -> CsvMapping:
    account = document.bank_account
    return CsvMapping(
        columns=CSV_COLUMNS,
        account=account.iban,
        currency=account.currency,
        delimiter=";",
        encoding="utf-8",
        date_format="%Y-%m-%d",
        decimal_comma=False,
    )


def statement_csv(*, document: Document, amount: Decimal, paid_on: date, reference: str) -> bytes:
    """The bank's CSV export with the one incoming payment of `document`."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(CSV_COLUMNS.values())
    writer.writerow(
        (
            paid_on.isoformat(),
            str(quantize(amount)),
            document.variable_symbol,
            document.number,
            document.customer.name,
            reference,
        )
    )
    return out.getvalue().encode("utf-8")


def pay_by_bank_transfer(document: Document, amount: Decimal, paid_on: date) -> Document:
    """The customer pays `amount` of `document` to its bank account, booked on
    `paid_on`; returns the document as it is then.

    Raises ValueError, before anything is written, for a document that takes no
    payment or an amount that is not positive or more than is due (the demo never
    overpays); RuntimeError when the statement is rejected or the payment does not
    pair (the demo data would be wrong).
    """
    amount = quantize(amount)
    document.refresh_from_db()
    if document.kind == DocumentKind.CREDIT_NOTE or document.status not in (
        DocumentStatus.OPEN,
        DocumentStatus.PARTLY_PAID,
    ):
        raise ValueError(f"{document.number} does not take payments")
    if amount <= ZERO or amount > document.amount_due:
        raise ValueError(f"{amount} does not fit the {document.amount_due} due")
    if document.bank_account is None:
        raise ValueError(f"{document.number} has no bank account to pay to")
    sequence = BankTransaction.objects.filter(bank_account=document.bank_account).count() + 1
    reference = f"DEMO{paid_on:%Y%m%d}{sequence:06d}"
    result = import_statement(
        content=statement_csv(document=document, amount=amount, paid_on=paid_on,
                              reference=reference),
        source=StatementImport.Source.COMMAND,
        filename=f"demo-{paid_on.isoformat()}-{reference}.csv",
        format="csv",
        csv_mapping=_mapping(document).to_dict(),
    )  # fmt: skip
    if not result.ok:
        raise RuntimeError(f"The demo statement was rejected: {result.as_dict()['error']}")
    payment = BankTransaction.objects.get(statement_import=result.statement_import)
    pair_transactions()
    payment.refresh_from_db()
    if payment.status != TransactionStatus.PAIRED:
        raise RuntimeError(
            f"The demo payment of {document.number} was not paired: {payment.review_reason}"
        )
    document.refresh_from_db()
    if document.status == DocumentStatus.PAID:
        settle_paid_document(document_id=document.pk)
        document.refresh_from_db()
    return document
