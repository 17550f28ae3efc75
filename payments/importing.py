"""Importing statements: store the bytes as received, parse, find our accounts,
insert each transaction once by its natural key."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from accounts.services import write_audit
from billing_portal.errors import StatementRejected
from billing_portal.money import quantize
from invoices.models import BankAccount

from .account_key import account_key, domestic_account
from .importers.base import ParsedFile, ParsedStatement, ParsedTransaction
from .models import BankTransaction, StatementImport, TransactionStatus

logger = logging.getLogger(__name__)

MAX_AMOUNT = Decimal("1000000000000")  # what the amount columns hold (12 + 2 digits)


def parse(content: bytes, *, format: str, csv_mapping: dict | None) -> ParsedFile:
    from .importers.detect import parse_statement

    return parse_statement(content, format=format, csv_mapping=csv_mapping)


def natural_key(tx: ParsedTransaction, occurrence: int) -> str:
    """The bank's own reference when it has one; else a checksum of the fields plus
    the occurrence among identical movements of the statement, so an overlapping
    file adds nothing while two genuine identical payments both stay."""
    if tx.bank_reference:
        return f"ref:{tx.bank_reference}"[:200]
    return f"sum:{_movement_digest(tx)}:{occurrence}"


def _movement_digest(tx: ParsedTransaction) -> str:
    fields = (
        tx.booking_date.isoformat(), tx.direction, str(quantize(tx.amount)), tx.currency,
        tx.variable_symbol, tx.specific_symbol, tx.constant_symbol, tx.end_to_end_id,
        tx.counterparty_account, tx.counterparty_name, tx.message,
    )  # fmt: skip
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()[:40]


def find_account(statement: ParsedStatement) -> BankAccount | None:
    """Our account the statement is for: by its IBAN, else by the domestic number
    (account_key), which GPC writes without our bank code: then each open Czech or
    Slovak account of ours is tried with its own bank code."""
    account = statement.account.replace(" ", "")
    try:
        iban = IBAN(account).compact
    except SchwiftyException:
        iban = None
    if iban:
        return BankAccount.objects.filter(iban=iban).first()
    for candidate in BankAccount.objects.exclude(status=BankAccount.Status.CLOSED):
        ours = domestic_account(candidate.iban)
        if ours is not None and account_key(account, ours.bank) == str(ours):
            return candidate
    return None


def _register(statement: ParsedStatement) -> BankAccount:
    try:
        iban = IBAN(statement.account.replace(" ", ""))
    except SchwiftyException as exc:
        raise StatementRejected(
            _("Account %(account)s cannot be registered: it is not an IBAN.")
            % {"account": statement.account},
            reason="cannot_register_account",
        ) from exc
    account, _created = BankAccount.objects.get_or_create(
        iban=iban.compact,
        defaults={"name": iban.formatted, "currency": statement.currency},
    )
    return account


@dataclass
class ImportResult:
    statement_import: StatementImport

    @property
    def ok(self) -> bool:
        return self.statement_import.status == StatementImport.Status.ACCEPTED

    def as_dict(self) -> dict[str, Any]:
        imp = self.statement_import
        if not self.ok:
            return {
                "import_id": imp.pk,
                "error": {"code": imp.error_code, "message": imp.error_message},
            }
        return {
            "import_id": imp.pk,
            "format": imp.format,
            "accounts": imp.accounts,
            "statements": imp.statements,
            "transactions": imp.transactions,
            "new": imp.new,
            "duplicates": imp.duplicates,
            "totals": imp.totals,
        }


def import_statement(
    *,
    content: bytes,
    source: str,
    filename: str = "",
    format: str = "auto",
    register_account: bool = False,
    csv_mapping: dict | None = None,
    actor: Any = None,
) -> ImportResult:
    """Store the file as received and import it whole, or reject it whole with the
    reason stored on the import (nothing of a rejected file is kept but the file)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    record = StatementImport(
        created_by=user,
        source=source,
        filename=filename[:255],
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
    )
    try:
        parsed = parse(content, format=format, csv_mapping=csv_mapping)
        record.format = parsed.format
        with transaction.atomic():
            _store(record, parsed, register_account=register_account)
    except StatementRejected as exc:
        _reject(record, str(exc.details.get("reason", exc.code)), str(exc.message))
    # a file a parser or a row did not foresee: still stored, with a reason
    except (ArithmeticError, ValueError, DatabaseError) as exc:
        logger.exception("statement import %s failed", filename)
        _reject(record, "unreadable", _("The file could not be read (%(error)s).")
                % {"error": type(exc).__name__})  # fmt: skip
    write_audit(
        event=f"statement_import.{record.status}",
        subject=record,
        actor=actor,
        after={"format": record.format, "new": record.new, "error": record.error_code},
    )
    return ImportResult(record)


def _reject(record: StatementImport, code: str, message: str) -> None:
    """Keep the file and the reason; nothing else of it."""
    record.pk = None
    record._state.adding = True
    record.status = StatementImport.Status.REJECTED
    record.error_code, record.error_message = code, message
    record.statements = record.transactions = record.new = record.duplicates = 0
    record.accounts, record.totals = [], {}
    record.save()


def _store(record: StatementImport, parsed: ParsedFile, *, register_account: bool) -> None:
    accounts: list[tuple[ParsedStatement, BankAccount]] = []
    for statement in parsed.statements:
        account = find_account(statement)
        if account is None:
            if not register_account:
                raise StatementRejected(
                    _("Account %(account)s is not one of our bank accounts.")
                    % {"account": statement.account},
                    reason="unknown_account",
                )
            account = _register(statement)
        if account.status == BankAccount.Status.CLOSED:
            raise StatementRejected(
                _("Account %(account)s is closed.") % {"account": account.iban},
                reason="closed_account",
            )
        accounts.append((statement, account))
    record.status = StatementImport.Status.ACCEPTED
    record.statements = len(parsed.statements)
    record.accounts = sorted({account.iban for _s, account in accounts})
    totals: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: {"credit": Decimal("0.00"), "debit": Decimal("0.00")}
    )
    rows: list[BankTransaction] = []
    for statement, account in accounts:
        seen: Counter[str] = Counter()
        for tx in statement.transactions:
            if tx.amount == 0:  # some banks list zero movements (fees waived): no money moved
                continue
            if tx.currency != account.currency:
                raise StatementRejected(
                    _("A %(currency)s movement on the %(account_currency)s account %(account)s.")
                    % {"currency": tx.currency, "account_currency": account.currency,
                       "account": account.iban},
                    reason="currency_mismatch",
                )  # fmt: skip
            if not Decimal("0") < tx.amount < MAX_AMOUNT or quantize(tx.amount) != tx.amount:
                raise StatementRejected(
                    _("The amount %(amount)s is not a whole number of cents.")
                    % {"amount": tx.amount},
                    reason="bad_amount",
                )
            occurrence = seen[_movement_digest(tx)]
            seen[_movement_digest(tx)] += 1
            totals[tx.currency][tx.direction] += quantize(tx.amount)
            rows.append(_row(record, account, tx, natural_key(tx, occurrence)))
    record.transactions = len(rows)
    record.totals = {
        currency: {kind: str(amount) for kind, amount in sums.items()}
        for currency, sums in sorted(totals.items())
    }
    record.save()
    for row in rows:
        row.statement_import = record
    BankTransaction.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    record.new = BankTransaction.objects.filter(statement_import=record).count()
    record.duplicates = record.transactions - record.new
    record.save(update_fields=["new", "duplicates"])
    from .returns import match_returned_debits

    match_returned_debits(
        transactions=BankTransaction.objects.filter(
            statement_import=record, direction=BankTransaction.Direction.DEBIT
        )
    )


def _row(
    record: StatementImport, account: BankAccount, tx: ParsedTransaction, key: str
) -> BankTransaction:
    if tx.direction == BankTransaction.Direction.DEBIT:
        status, reason = TransactionStatus.NOT_APPLICABLE, ""
    elif tx.is_reversal:
        status, reason = TransactionStatus.REVIEW, gettext_noop("A reversal: check it by hand.")
    else:
        status, reason = TransactionStatus.UNPROCESSED, ""
    row = BankTransaction(
        bank_account=account,
        statement_import=record,
        natural_key=key,
        bank_reference=tx.bank_reference[:100],
        end_to_end_id=tx.end_to_end_id[:100],
        booking_date=tx.booking_date,
        value_date=tx.value_date,
        direction=tx.direction,
        amount=quantize(tx.amount),
        currency=tx.currency,
        variable_symbol=tx.variable_symbol[:10],
        specific_symbol=tx.specific_symbol[:10],
        constant_symbol=tx.constant_symbol[:10],
        message=tx.message,
        counterparty_name=tx.counterparty_name[:200],
        counterparty_account=tx.counterparty_account[:50],
        counterparty_bank=tx.counterparty_bank[:20],
        is_reversal=tx.is_reversal,
        raw=tx.raw,
        status=status,
        review_reason=reason,
    )
    # bulk_create skips save(): the comparison key is set here, from the stored values
    row.counterparty_key = account_key(row.counterparty_account, row.counterparty_bank)
    return row
