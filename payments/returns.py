"""Returning payments to the payer: the payment order file, and the debit that proves
the money left.

`export_returns` takes every proposed return of one currency, writes ONE payment order
file and marks the returns exported, all in one transaction:

- EUR: an ISO 20022 SEPA credit transfer, pain.001.001.03 (UTF-8). One PmtInf per
  account of ours the payments came in on (our IBAN/BIC as the debtor), requested
  for the next business day; one CdtTrfTxInf per return, its EndToEndId being the
  return's `end_to_end_id`, so the debit on our statement can be matched to it.
  Free texts are reduced to the SEPA basic Latin character set.
- CZK: the Czech ABO/KPC domestic payment order ("formát ABO", accepted for batch
  orders by ČSOB, KB and most Czech banks), windows-1250, CRLF line ends::

      UHL1DDMMYYNAME................CLIENTNO..001NNN000000000000   file header
      1 1501 FFF000 BBBB              accounting file: payment orders, our bank BBBB
      2 TOTAL DDMMYY                  group: sum in hellers, due date
      OURACCT COUNTERACCT HELLERS VS BBBBKKKK SS AV:message      one item per return
      3 +                             end of group
      5 +                             end of accounting file

  Accounts are written "prefix-number" without leading zeros; the payer's bank code
  goes in front of the 4-digit constant symbol ("BBBBKKKK"), as the format wants.
  Our account is named in each item (the variant of the group header without an
  account), one accounting file per bank of our accounts, one group per account.

A proposed return that cannot be written (its payment was handled since, or the
payer's account does not fit the format) is left proposed and reported by
`return_problems`; the others are exported. When none can be, nothing is written.

`match_returned_debits` links the debit that appears on our statement afterwards:
by the end-to-end id, or, when the bank drops it, by our account, amount and the
payer's account (its `counterparty_key`, so an IBAN and the domestic number of one
account match) within `MATCH_WINDOW_DAYS` of the export.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
import xml.etree.ElementTree as ET  # building only; parse with defusedxml
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import groupby
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from accounts.services import snapshot, write_audit
from billing_portal.errors import ValidationFailed
from billing_portal.money import ZERO, quantize
from invoices.models import BankAccount

from .account_key import DomesticAccount
from .account_key import domestic_account as czech_or_slovak_account
from .locks import lock_returns, lock_transaction, lock_transactions
from .models import BankTransaction, PaymentReturn, TransactionStatus

PAIN_NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
MATCH_WINDOW_DAYS = 10
FILE_SUFFIX = {"EUR": "xml", "CZK": "kpc"}
CONTENT_TYPE = {"EUR": "application/xml", "CZK": "text/plain; charset=windows-1250"}

_SEPA_DISALLOWED = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
_BIC = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")
_NO_E2E = {"", "NOTPROVIDED", "NONREF"}


# --- small helpers ---------------------------------------------------------------------


def next_business_day(day: date) -> date:
    """The next day that is not a Saturday or a Sunday."""
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def export_filename(currency: str, when: datetime) -> str:
    """e.g. "returns-EUR-20250106-103000.xml" (local time of the export)."""
    local = timezone.localtime(when)
    return f"returns-{currency}-{local:%Y%m%d-%H%M%S}.{FILE_SUFFIX.get(currency, 'txt')}"


def _sepa_text(value: str, limit: int) -> str:
    """The SEPA basic Latin character set: accents dropped, anything else a space."""
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = " ".join(_SEPA_DISALLOWED.sub(" ", text).split())
    return text[:limit].strip()


def _hellers(amount: Decimal) -> int:
    return int(quantize(amount) * 100)


def _digits(value: str, limit: int) -> str:
    """A symbol for the ABO file: digits without leading zeros, "0" when absent."""
    value = (value or "").strip()
    if not (value.isdigit() and len(value) <= limit):
        return "0"
    return value.lstrip("0") or "0"


def _reference(tx: BankTransaction) -> str:
    return tx.bank_reference or tx.variable_symbol


def _seller_name() -> str:
    return str(settings.BILLING.get("SELLER", {}).get("name", ""))


def domestic_account(account: str, bank: str = "") -> DomesticAccount | None:
    """An account a Czech domestic (ABO) order can pay to: from a CZ IBAN or from
    "prefix-number/bank" (the bank code may come separately); None when the value is
    neither (a Slovak IBAN included: ABO is Czech clearing)."""
    found = czech_or_slovak_account(account, bank)
    return None if found is None or found.country == "SK" else found


# --- what can be exported --------------------------------------------------------------


def _creditor_iban(tx: BankTransaction) -> IBAN:
    try:
        return IBAN(tx.counterparty_account.replace(" ", ""))
    except SchwiftyException as exc:
        raise ValidationFailed(
            _("The payer's account %(account)s is not an IBAN: return it by hand.")
            % {"account": tx.counterparty_account or "—"}
        ) from exc


def _our_domestic(account: BankAccount) -> DomesticAccount:
    domestic = domestic_account(account.iban)
    if domestic is None:
        raise ValidationFailed(
            _("Our account %(account)s is not a Czech account: a domestic order cannot use it.")
            % {"account": account.iban_display}
        )
    return domestic


def _payer_domestic(tx: BankTransaction) -> DomesticAccount:
    domestic = domestic_account(tx.counterparty_account, tx.counterparty_bank)
    if domestic is None:
        raise ValidationFailed(
            _(
                "The payer's account %(account)s is not a Czech account: a domestic "
                "order cannot return it."
            )
            % {"account": tx.counterparty_account or "—"}
        )
    return domestic


def problem_of(payment_return: PaymentReturn) -> str:
    """Why this proposed return cannot go into a payment order file ("" when it can)."""
    tx = payment_return.transaction
    if tx.status != TransactionStatus.RETURN_PROPOSED:
        return str(
            _("The payment is no longer waiting for the return (now: %(status)s).")
            % {"status": tx.get_status_display()}
        )
    if tx.unallocated < payment_return.amount:
        return str(
            _("Only %(amount)s %(currency)s of the payment is unallocated now.")
            % {"amount": tx.unallocated, "currency": tx.currency}
        )
    try:
        if payment_return.currency == "EUR":
            _creditor_iban(tx)
        elif payment_return.currency == "CZK":
            _our_domestic(tx.bank_account)
            _payer_domestic(tx)
    except ValidationFailed as error:
        return str(error.message)
    return ""


def return_problems(*, currency: str) -> list[tuple[PaymentReturn, str]]:
    """Proposed returns of this currency that an export would leave behind, and why."""
    returns = (
        PaymentReturn.objects.filter(status=PaymentReturn.Status.PROPOSED, currency=currency)
        .select_related("transaction__bank_account")
        .order_by("pk")
    )
    return [(r, problem) for r in returns if (problem := problem_of(r))]


# --- the export ------------------------------------------------------------------------


def export_returns(*, currency: str, actor: Any) -> bytes:
    """Write every exportable proposed return of `currency` into one payment order
    file, mark them exported (the file stored on each) and return the file."""
    currency = (currency or "").upper()
    builder = _BUILDERS.get(currency)
    if builder is None:
        raise ValidationFailed(
            _("Returns in %(currency)s cannot be exported: only CZK and EUR can.")
            % {"currency": currency or "—"},
            currency=currency,
        )
    now = timezone.now()
    proposed = PaymentReturn.objects.filter(status=PaymentReturn.Status.PROPOSED, currency=currency)
    with transaction.atomic():
        # The payments first, then their returns (billing_portal.lock_order); a return
        # proposed after the payments were locked waits for the next export.
        payments = lock_transactions(proposed.values_list("transaction_id", flat=True))
        returns = lock_returns(proposed.filter(transaction_id__in=list(payments)))
        if not returns:
            raise ValidationFailed(
                _("There are no proposed %(currency)s returns to export.") % {"currency": currency},
                currency=currency,
            )
        locked = lock_transactions(
            [r.transaction_id for r in returns], related=("bank_account",)
        )  # held already: read again with their accounts
        for payment_return in returns:
            payment_return.transaction = locked[payment_return.transaction_id]
        exportable = [r for r in returns if not problem_of(r)]
        if not exportable:
            raise ValidationFailed(
                _("None of the proposed %(currency)s returns can be exported: %(problems)s")
                % {
                    "currency": currency,
                    "problems": "; ".join(f"{r.end_to_end_id}: {problem_of(r)}" for r in returns),
                },
                currency=currency,
            )
        content, file_id = builder(exportable, now)
        for payment_return in exportable:
            tx = payment_return.transaction
            payment_return.status = PaymentReturn.Status.EXPORTED
            payment_return.exported_at = now
            payment_return.export_file = content
            payment_return.save(update_fields=["status", "exported_at", "export_file"])
            before = snapshot(tx)
            tx.status = TransactionStatus.RETURN_EXPORTED
            tx.save(update_fields=["status"])
            write_audit(
                event="payment.return_exported",
                subject=tx,
                actor=actor,
                before=before,
                after=snapshot(tx),
                note=f"{payment_return.end_to_end_id} in {file_id}",
            )
    return content


def _by_our_account(returns: list[PaymentReturn]) -> list[tuple[BankAccount, list[PaymentReturn]]]:
    ordered = sorted(returns, key=lambda r: (r.transaction.bank_account_id, r.pk))
    return [
        (items[0].transaction.bank_account, items)
        for _key, group in groupby(ordered, key=lambda r: r.transaction.bank_account_id)
        for items in [list(group)]
    ]


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def _amount(value: Decimal) -> str:
    return f"{quantize(value):.2f}"


def build_pain001(returns: list[PaymentReturn], now: datetime) -> tuple[bytes, str]:
    """ISO 20022 pain.001.001.03 SEPA credit transfer initiation; (bytes, MsgId)."""
    local = timezone.localtime(now)
    msg_id = f"RET{local:%Y%m%d%H%M%S}{uuid.uuid4().hex[:8].upper()}"
    seller = _sepa_text(_seller_name(), 70) or "Payee"
    execution = next_business_day(local.date())
    total = sum((r.amount for r in returns), ZERO)

    root = ET.Element("Document", {"xmlns": PAIN_NS})
    initiation = _sub(root, "CstmrCdtTrfInitn")
    header = _sub(initiation, "GrpHdr")
    _sub(header, "MsgId", msg_id)
    _sub(header, "CreDtTm", local.replace(microsecond=0, tzinfo=None).isoformat())
    _sub(header, "NbOfTxs", str(len(returns)))
    _sub(header, "CtrlSum", _amount(total))
    _sub(_sub(header, "InitgPty"), "Nm", seller)

    for number, (account, items) in enumerate(_by_our_account(returns), start=1):
        info = _sub(initiation, "PmtInf")
        _sub(info, "PmtInfId", f"{msg_id}-{number}")
        _sub(info, "PmtMtd", "TRF")
        _sub(info, "NbOfTxs", str(len(items)))
        _sub(info, "CtrlSum", _amount(sum((r.amount for r in items), ZERO)))
        _sub(_sub(_sub(info, "PmtTpInf"), "SvcLvl"), "Cd", "SEPA")
        _sub(info, "ReqdExctnDt", execution.isoformat())
        _sub(_sub(info, "Dbtr"), "Nm", seller)
        debtor_account = _sub(info, "DbtrAcct")
        _sub(_sub(debtor_account, "Id"), "IBAN", account.iban)
        _sub(debtor_account, "Ccy", "EUR")
        institution = _sub(_sub(info, "DbtrAgt"), "FinInstnId")
        if account.bic:
            _sub(institution, "BIC", account.bic)
        else:
            _sub(_sub(institution, "Othr"), "Id", "NOTPROVIDED")
        _sub(info, "ChrgBr", "SLEV")
        for payment_return in items:
            tx = payment_return.transaction
            item = _sub(info, "CdtTrfTxInf")
            _sub(_sub(item, "PmtId"), "EndToEndId", payment_return.end_to_end_id)
            _sub(_sub(item, "Amt"), "InstdAmt", _amount(payment_return.amount), Ccy="EUR")
            bic = (tx.counterparty_bank or "").replace(" ", "").upper()
            if _BIC.match(bic):
                _sub(_sub(_sub(item, "CdtrAgt"), "FinInstnId"), "BIC", bic)
            _sub(_sub(item, "Cdtr"), "Nm", _sepa_text(tx.counterparty_name, 70) or "Payer")
            _sub(_sub(_sub(item, "CdtrAcct"), "Id"), "IBAN", _creditor_iban(tx).compact)
            message = f"Return of payment {tx.booking_date.isoformat()} {_reference(tx)}"
            _sub(_sub(item, "RmtInf"), "Ustrd", _sepa_text(message, 140))
    ET.indent(root)
    xml = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + xml + "\n").encode("utf-8"), msg_id


def build_abo(returns: list[PaymentReturn], now: datetime) -> tuple[bytes, str]:
    """Czech ABO/KPC domestic payment orders, windows-1250 with CRLF; (bytes, file id)."""
    local = timezone.localtime(now)
    due = next_business_day(local.date())
    client_number = re.sub(r"\D", "", str(settings.BILLING.get("ABO_CLIENT_NUMBER", "")))[-10:]
    groups = [
        (account, _our_domestic(account), items) for account, items in _by_our_account(returns)
    ]
    banks = sorted({domestic.bank for _a, domestic, _i in groups})
    lines = [
        "UHL1"
        + f"{local:%d%m%y}"
        + _seller_name()[:20].ljust(20)
        + client_number.rjust(10, "0")
        + "001"
        + f"{len(banks):03d}"
        + "000000"
        + "000000"
    ]
    for file_number, bank in enumerate(banks, start=1):
        lines.append(f"1 1501 {file_number:03d}000 {bank}")
        for _account, ours, items in groups:
            if ours.bank != bank:
                continue
            total = sum(_hellers(r.amount) for r in items)
            lines.append(f"2 {total} {due:%d%m%y}")
            for payment_return in items:
                tx = payment_return.transaction
                payer = _payer_domestic(tx)
                message = f"Return {tx.booking_date:%d.%m.%Y} {_reference(tx)}".strip()[:35]
                lines.append(
                    f"{ours.abo} {payer.abo} {_hellers(payment_return.amount)} "
                    f"{_digits(tx.variable_symbol, 10)} {payer.bank}0000 "
                    f"{_digits(tx.specific_symbol, 10)} AV:{message}"
                )
            lines.append("3 +")
        lines.append("5 +")
    text = "".join(f"{line}\r\n" for line in lines)
    return text.encode("cp1250", errors="replace"), f"ABO {local:%Y-%m-%d %H:%M:%S}"


_BUILDERS: dict[str, Callable[[list[PaymentReturn], datetime], tuple[bytes, str]]] = {
    "EUR": build_pain001,
    "CZK": build_abo,
}


# --- the debit on our statement --------------------------------------------------------


def match_returned_debits(*, transactions: Iterable[BankTransaction]) -> int:
    """Link imported debits to the exported returns they carry out; the original
    payment becomes RETURNED. Idempotent: a matched debit or return is not matched
    again. Returns how many returns were matched now."""
    ids = sorted({tx.pk for tx in transactions if tx.direction == BankTransaction.Direction.DEBIT})
    if not ids:
        return 0
    matched = 0
    exported = PaymentReturn.objects.filter(
        status=PaymentReturn.Status.EXPORTED, matched_transaction__isnull=True
    )
    with transaction.atomic():
        # The payments first, then their returns (billing_portal.lock_order): the
        # debits and the payments of the exported returns in one pk order (a return
        # exported meanwhile has no debit yet: it is matched by a later import).
        originals = set(exported.values_list("transaction_id", flat=True))
        if not originals:
            return 0
        lock_transactions({*ids, *originals})
        returns = lock_returns(
            exported.filter(transaction_id__in=originals).select_related("transaction")
        )
        if not returns:
            return 0
        taken = PaymentReturn.objects.filter(matched_transaction__isnull=False).values(
            "matched_transaction"
        )
        debits = list(
            BankTransaction.objects.filter(pk__in=ids, direction=BankTransaction.Direction.DEBIT)
            .exclude(pk__in=taken)
            .order_by("pk")
        )  # locked above
        by_e2e = {r.end_to_end_id: r for r in returns}
        open_returns = {r.pk: r for r in returns}
        for debit in debits:
            payment_return = _match(debit, by_e2e, open_returns)
            if payment_return is None:
                continue
            del open_returns[payment_return.pk]
            original = lock_transaction(payment_return.transaction_id)  # held: read afresh
            payment_return.matched_transaction = debit
            payment_return.status = PaymentReturn.Status.MATCHED
            payment_return.save(update_fields=["matched_transaction", "status"])
            before = snapshot(original)
            original.status = TransactionStatus.RETURNED
            original.save(update_fields=["status"])
            write_audit(
                event="payment.returned",
                subject=original,
                actor_label="payments",
                before=before,
                after=snapshot(original),
                note=f"{payment_return.end_to_end_id}: debit {debit.pk} of {debit.booking_date}",
            )
            matched += 1
    return matched


def _match(
    debit: BankTransaction,
    by_e2e: dict[str, PaymentReturn],
    open_returns: dict[int, PaymentReturn],
) -> PaymentReturn | None:
    e2e = (debit.end_to_end_id or "").strip()
    if e2e.upper() not in _NO_E2E:
        found = by_e2e.get(e2e)
        return found if found is not None and found.pk in open_returns else None
    payer = debit.counterparty_key
    if not payer:
        return None
    for payment_return in open_returns.values():
        original = payment_return.transaction
        exported_on = timezone.localdate(payment_return.exported_at)
        if (
            original.bank_account_id == debit.bank_account_id
            and payment_return.currency == debit.currency
            and payment_return.amount == debit.amount
            and original.counterparty_key == payer
            and exported_on <= debit.booking_date <= exported_on + timedelta(days=MATCH_WINDOW_DAYS)
        ):
            return payment_return
    return None
