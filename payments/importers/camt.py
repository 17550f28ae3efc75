"""ISO 20022 camt.053 (statement) and camt.054 (debit/credit notification) parser.

`parse_camt(content)` turns the bytes of one file into a `ParsedFile`, or raises
`StatementRejected` with a stable `reason` in its details; it never returns half a
file. `is_camt(content)` is a cheap sniff of the root namespace for format detection.

Versions .001.02 to .001.08 of both messages are read with one code path: every
lookup uses the namespace of the document's root, and the elements that moved between
versions (party name under `Pty` from v8, `BICFI` instead of `BIC` from v3) are tried
in both places.

Reasons (details["reason"]):
    too_large          the file exceeds MAX_BYTES
    xml_forbidden      a DOCTYPE, an entity declaration or an external reference
    xml_malformed      not well-formed XML (also: empty or non-XML bytes)
    not_camt           well-formed XML whose root is not a camt.053/camt.054 document
    unsupported_version  camt.053/054 namespace with a version outside 02..08
    not_a_statement    camt namespace, but no Stmt / Ntfctn inside
    bad_amount         an amount that is missing, empty, signed, non-numeric, non-finite
                       or zero (balances may be zero)
    missing_currency   an amount without Ccy and no account currency to fall back on
    bad_direction      CdtDbtInd missing or not CRDT/DBIT
    bad_date           a date present but not an ISO date / date-time
    missing_date       an entry without booking date and without value date (camt.054:
                       and without a creation date of the notification either)
    batch_mismatch     the TxDtls of a same-currency batch entry do not add up to the
                       entry, or one of them has no amount

Czech/Slovak symbols (ČBA profile of camt.053): VS in Refs/EndToEndId ("VS1234",
"VS:1234", "VS 1234", also "/VS/1234/SS/…/KS/…"), KS in Refs/InstrId ("KS0308"), SS in
Refs/PmtInfId ("SS777"). A VS is also read from a prefixed form in
Strd/CdtrRefInf/Ref and in the free text (Ustrd); raw["vs_source"] tells where it was
found ("end_to_end_id", "creditor_ref", "remittance"), so that a matcher can rank an
exact symbol above one written in the note. A bare number is never taken as a symbol.

Dates: the booking date is BookgDt, else ValDt. A camt.054 entry with neither (as in
the genkgo samples) is dated by the notification's creation date, Ntfctn/CreDtTm, else
GrpHdr/CreDtTm, as a Prague date, with raw["date_source"] = "creation"; a camt.053
entry without dates is rejected.

Batches: a Ntry with several TxDtls that carry their own amounts is split into one
transaction per TxDtls when those amounts are in the entry's currency and add up to it
exactly. When any of them is in another currency (e.g. a SEK entry whose TxDtls give
CHF amounts), nothing can be checked: the entry is booked as one transaction with its
own amount and currency, the TxDtls texts joined, raw["batch_unsplit"] = "currency".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation, localcontext
from functools import lru_cache
from typing import Any
from xml.etree.ElementTree import Element, ParseError
from zoneinfo import ZoneInfo

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as DefusedET
from django.utils.translation import gettext_lazy as _

from billing_portal.errors import StatementRejected
from payments.importers.base import (
    Direction,
    ParsedFile,
    ParsedStatement,
    ParsedTransaction,
    digits,
)

PRAGUE = ZoneInfo("Europe/Prague")
MAX_BYTES = 50 * 1024 * 1024
SUPPORTED_VERSIONS = frozenset(range(2, 9))  # .001.02 … .001.08
MAX_AMOUNT_CHARS = 40  # ISO allows 18 digits; anything this long is not an amount

_NAMESPACE_RE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.(053|054)\.001\.(\d{2})$")
_SNIFF_RE = re.compile(
    rb"urn:iso:std:iso:20022:tech:xsd:camt\.(053|054)\.001\.\d{2}(?![0-9A-Za-z.])"
)
_ROOT_TAG_RE = re.compile(rb"<(?![?!])([A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)([^>]*)>", re.S)
_FORMATS = {"053": "camt053", "054": "camt054"}
# (message container, statement element) per message
_CONTAINERS = {"053": ("BkToCstmrStmt", "Stmt"), "054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn")}

_AMOUNT_RE = re.compile(r"^\+?(?:\d+(?:\.\d*)?|\.\d+)$")
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:Z|[+-]\d{2}:\d{2})?$")
_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)


def _symbol_re(code: str) -> re.Pattern[str]:
    # "VS123", "VS:123", "VS 123", "VS: 123", "/VS/123" — not inside a word, 1-10 digits.
    return re.compile(
        rf"(?<![A-Za-z0-9]){code}(?:\s*:\s*|\s*/\s*|\s+)?(\d{{1,10}})(?!\d)", re.IGNORECASE
    )


_VS_RE = _symbol_re("VS")
_KS_RE = _symbol_re("KS")
_SS_RE = _symbol_re("SS")


# --- public API -----------------------------------------------------------------------


def is_camt(content: bytes) -> str | None:
    """ "camt053" / "camt054" when the root element's namespace is a camt.053 / camt.054
    one (any version: an unsupported version is then rejected by `parse_camt` with a
    clear reason), None otherwise. Looks at the head of the file only."""
    if not isinstance(content, bytes | bytearray):
        return None
    head = bytes(content[:16384])
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            head = head.decode("utf-16", errors="ignore").encode("utf-8")
        except (UnicodeError, LookupError):  # pragma: no cover - defensive
            return None
    head = head.removeprefix(b"\xef\xbb\xbf")
    # skip the prolog: XML declaration, comments, processing instructions
    head = re.sub(rb"<!--.*?-->|<\?.*?\?>", b"", head, flags=re.S)
    root = _ROOT_TAG_RE.search(head)
    if root is None:
        return None
    name, attributes = root.group(1), root.group(2)
    prefix = name.split(b":", 1)[0] if b":" in name else b""
    attr = b"xmlns:" + prefix if prefix else b"xmlns"
    declared = re.search(rb"(?<![\w:])" + re.escape(attr) + rb"\s*=\s*([\"'])(.*?)\1", attributes)
    if declared is None:
        return None
    match = _SNIFF_RE.fullmatch(declared.group(2).strip())
    return _FORMATS[match.group(1).decode()] if match else None


def parse_camt(content: bytes) -> ParsedFile:
    """Parse a camt.053 / camt.054 file; raise StatementRejected on anything doubtful."""
    if not isinstance(content, bytes | bytearray):
        raise TypeError("parse_camt expects bytes")
    if len(content) > MAX_BYTES:
        raise StatementRejected(
            _("The statement file is too large."), reason="too_large", size=len(content)
        )
    root = _parse_xml(bytes(content))
    namespace, local = _split_tag(root.tag)
    match = _NAMESPACE_RE.match(namespace)
    if match is None:
        raise StatementRejected(
            _("The file is not an ISO 20022 camt.053 or camt.054 document."),
            reason="not_camt",
            namespace=namespace[:200],
        )
    message, version = match.group(1), int(match.group(2))
    if version not in SUPPORTED_VERSIONS:
        raise StatementRejected(
            _("This version of the camt format is not supported."),
            reason="unsupported_version",
            namespace=namespace,
        )
    ctx = _Ctx(namespace)
    container_name, statement_name = _CONTAINERS[message]
    container = ctx.find(root, container_name) if local == "Document" else None
    statements = ctx.findall(container, statement_name) if container is not None else []
    if not statements:
        raise StatementRejected(
            _("The camt file contains no statement."),
            reason="not_a_statement",
            namespace=namespace,
        )
    # camt.054 only: the creation date that dates an entry without BookgDt/ValDt
    group_created = ctx.text(container, "GrpHdr/CreDtTm") if message == "054" else None
    return ParsedFile(
        format=_FORMATS[message],
        statements=tuple(
            _parse_statement(ctx, element, n, group_created) for n, element in enumerate(statements)
        ),
    )


# --- XML plumbing ---------------------------------------------------------------------


def _parse_xml(content: bytes) -> Element:
    try:
        return DefusedET.fromstring(
            content, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise StatementRejected(
            _("The statement file contains a DTD, an entity or an external reference."),
            reason="xml_forbidden",
            error=type(exc).__name__,
        ) from exc
    except (ParseError, ValueError, UnicodeError) as exc:
        raise StatementRejected(
            _("The statement file is not well-formed XML."),
            reason="xml_malformed",
            error=str(exc)[:200],
        ) from exc


def _split_tag(tag: Any) -> tuple[str, str]:
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        namespace, _sep, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


@dataclass(frozen=True)
class _Ctx:
    """Namespace-aware lookups with paths written as plain "A/B/C"."""

    ns: str

    def find(self, element: Element | None, path: str) -> Element | None:
        if element is None:
            return None
        return element.find(_qualify(self.ns, path))

    def findall(self, element: Element | None, path: str) -> list[Element]:
        if element is None:
            return []
        return element.findall(_qualify(self.ns, path))

    def text(self, element: Element | None, path: str) -> str:
        found = self.find(element, path)
        if found is None or found.text is None:
            return ""
        return found.text.strip()

    def first_text(self, element: Element | None, *paths: str) -> str:
        for path in paths:
            value = self.text(element, path)
            if value:
                return value
        return ""


@lru_cache(maxsize=512)
def _qualify(ns: str, path: str) -> str:
    return "/".join(f"{{{ns}}}{step}" if ns else step for step in path.split("/"))


def _reject(message: Any, reason: str, **details: Any) -> StatementRejected:
    return StatementRejected(message, reason=reason, **details)


# --- values ---------------------------------------------------------------------------


def _amount(element: Element | None, where: str, *, positive: bool) -> Decimal:
    """A decimal amount from the element's text; never float, never a silent zero."""
    raw = (element.text or "").strip() if element is not None else ""
    if len(raw) > MAX_AMOUNT_CHARS or not _AMOUNT_RE.match(raw):
        raise _reject(
            _("An amount in the statement is missing or not a valid number."),
            "bad_amount",
            where=where,
            value=raw[:50],
        )
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards
        raise _reject(
            _("An amount in the statement is missing or not a valid number."),
            "bad_amount",
            where=where,
            value=raw[:50],
        ) from exc
    if not value.is_finite() or (positive and value <= 0):
        raise _reject(
            _("An amount in the statement is missing or not a valid number."),
            "bad_amount",
            where=where,
            value=raw[:50],
        )
    return value


def _ccy_attr(element: Element | None) -> str:
    return (element.get("Ccy") or "").strip().upper() if element is not None else ""


def _currency(element: Element | None, fallback: str, where: str) -> str:
    ccy = _ccy_attr(element) or fallback
    if not ccy:
        raise _reject(
            _("An amount in the statement has no currency."), "missing_currency", where=where
        )
    return ccy


def _direction(value: str, where: str) -> str:
    indicator = value.strip().upper()
    if indicator == "CRDT":
        return Direction.CREDIT
    if indicator == "DBIT":
        return Direction.DEBIT
    raise _reject(
        _("A statement entry has no valid credit/debit indicator."),
        "bad_direction",
        where=where,
        value=value[:20],
    )


def _to_date(value: str, where: str) -> date:
    """An ISO date, or a date-time converted to its Prague calendar day.

    A date with an offset ("2017-04-01+02:00") keeps its calendar day; a date-time with
    "Z" or an offset is converted to Europe/Prague; a naive date-time is Prague time.
    Fractions of any length (nanoseconds) are accepted.
    """
    text = value.strip()
    try:
        m = _DATE_RE.match(text)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = _DATETIME_RE.match(text)
        if m:
            year, month, day, hour, minute = (int(m.group(i)) for i in range(1, 6))
            second = int(m.group(6) or 0)
            micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
            offset = m.group(8)
            tzinfo = _tz(offset) if offset else None
            moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=tzinfo)
            if tzinfo is None:
                return moment.date()  # naive: already Prague time
            return moment.astimezone(PRAGUE).date()
    except ValueError:
        pass
    raise _reject(
        _("A date in the statement is not a valid ISO date."),
        "bad_date",
        where=where,
        value=text[:50],
    )


def _tz(offset: str) -> timezone:
    if offset == "Z":
        return UTC
    sign = -1 if offset[0] == "-" else 1
    hours, minutes = int(offset[1:3]), int(offset[-2:])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _date_of(ctx: _Ctx, element: Element | None, where: str) -> date | None:
    """A date from a DateAndDateTimeChoice (<Dt> or <DtTm>)."""
    value = ctx.first_text(element, "Dt", "DtTm")
    return _to_date(value, where) if value else None


def _symbol(pattern: re.Pattern[str], *texts: str) -> str:
    for text in texts:
        if not text:
            continue
        for match in pattern.finditer(text):
            value = digits(match.group(1))
            if value:
                return value
    return ""


def _clean(text: str) -> str:
    return " ".join(text.split())


def _join(parts: Iterable[str]) -> str:
    seen: list[str] = []
    for part in parts:
        part = _clean(part)
        if part and part not in seen:
            seen.append(part)
    return " ".join(seen)


# --- statements -----------------------------------------------------------------------


def _parse_statement(
    ctx: _Ctx, stmt: Element, index: int, group_created: str | None = None
) -> ParsedStatement:
    """`group_created` is GrpHdr/CreDtTm for a camt.054 notification ("" when absent)
    and None for a camt.053 statement, whose entries never fall back to it."""
    where = f"statement {index}"
    created, created_where = "", ""
    if group_created is not None:
        created, created_where = ctx.text(stmt, "CreDtTm"), f"{where}, CreDtTm"
        if not created:
            created, created_where = group_created, "GrpHdr/CreDtTm"
    account = ctx.first_text(stmt, "Acct/Id/IBAN", "Acct/Id/Othr/Id")
    account_ccy = ctx.text(stmt, "Acct/Ccy").upper()
    entries = ctx.findall(stmt, "Ntry")
    currency = account_ccy
    if not currency:  # the entries' currency, else the balances'
        for holder in (*entries, *ctx.findall(stmt, "Bal")):
            currency = _ccy_attr(ctx.find(holder, "Amt"))
            if currency:
                break

    opening = closing = None
    for n, balance in enumerate(ctx.findall(stmt, "Bal")):
        code = ctx.first_text(balance, "Tp/CdOrPrtry/Cd").upper()
        if code not in ("OPBD", "CLBD"):
            continue
        if (code == "OPBD" and opening is not None) or (code == "CLBD" and closing is not None):
            continue
        bal_where = f"{where}, balance {n}"
        amount = _amount(ctx.find(balance, "Amt"), bal_where, positive=False)
        if _direction(ctx.text(balance, "CdtDbtInd"), bal_where) == Direction.DEBIT:
            amount = -amount
        if code == "OPBD":
            opening = amount
        else:
            closing = amount

    date_from = date_to = None
    from_value = ctx.first_text(stmt, "FrToDt/FrDtTm")
    to_value = ctx.first_text(stmt, "FrToDt/ToDtTm")
    if from_value:
        date_from = _to_date(from_value, f"{where}, FrDtTm")
    if to_value:
        date_to = _to_date(to_value, f"{where}, ToDtTm")

    transactions: list[ParsedTransaction] = []
    for n, entry in enumerate(entries):
        transactions.extend(
            _parse_entry(
                ctx,
                entry,
                account_ccy or currency,
                f"{where}, entry {n}",
                len(transactions),
                created=created,
                created_where=created_where,
            )
        )
    return ParsedStatement(
        account=account,
        currency=currency,
        transactions=tuple(transactions),
        statement_id=ctx.text(stmt, "Id"),
        opening_balance=opening,
        closing_balance=closing,
        date_from=date_from,
        date_to=date_to,
    )


# --- entries and transaction details --------------------------------------------------


def _party_name(ctx: _Ctx, tx: Element, role: str) -> str:
    return ctx.first_text(
        tx,
        f"RltdPties/{role}/Nm",
        f"RltdPties/{role}/Pty/Nm",  # v8
        f"RltdPties/{role}/Agt/FinInstnId/Nm",  # v8, a financial institution as party
        f"RltdPties/Ultmt{role}/Nm",
        f"RltdPties/Ultmt{role}/Pty/Nm",
    )


def _details(ctx: _Ctx, tx: Element, direction: str) -> dict[str, str]:
    """What one TxDtls says about the movement (no amount), as strings."""
    end_to_end = ctx.text(tx, "Refs/EndToEndId")
    if end_to_end.upper() == "NOTPROVIDED":
        end_to_end = ""
    instr_id = ctx.text(tx, "Refs/InstrId")
    pmt_inf_id = ctx.text(tx, "Refs/PmtInfId")
    ustrd = [el.text or "" for el in ctx.findall(tx, "RmtInf/Ustrd")]
    creditor_refs = [el.text or "" for el in ctx.findall(tx, "RmtInf/Strd/CdtrRefInf/Ref")]

    vs, vs_source = "", ""
    for source, texts in (
        ("end_to_end_id", [end_to_end]),
        ("creditor_ref", creditor_refs),
        ("remittance", [" ".join(ustrd)]),
    ):
        vs = _symbol(_VS_RE, *texts)
        if vs:
            vs_source = source
            break

    role = "Dbtr" if direction == Direction.CREDIT else "Cdtr"
    return {
        "end_to_end_id": end_to_end,
        "variable_symbol": vs,
        "vs_source": vs_source,
        "constant_symbol": _symbol(_KS_RE, instr_id, end_to_end),
        "specific_symbol": _symbol(_SS_RE, pmt_inf_id, end_to_end),
        "ustrd": _join(ustrd),
        "addtl_tx_inf": _join(el.text or "" for el in ctx.findall(tx, "AddtlTxInf")),
        "counterparty_name": _clean(_party_name(ctx, tx, role)),
        "counterparty_account": ctx.first_text(
            tx, f"RltdPties/{role}Acct/Id/IBAN", f"RltdPties/{role}Acct/Id/Othr/Id"
        ),
        "counterparty_bank": ctx.first_text(
            tx,
            f"RltdAgts/{role}Agt/FinInstnId/BIC",
            f"RltdAgts/{role}Agt/FinInstnId/BICFI",
            f"RltdAgts/{role}Agt/FinInstnId/ClrSysMmbId/MmbId",
        ),
        "acct_svcr_ref": ctx.text(tx, "Refs/AcctSvcrRef"),
        "uetr": ctx.text(tx, "Refs/UETR"),
    }


def _merge(details: list[dict[str, str]]) -> dict[str, str]:
    """Details of several TxDtls reported as one movement: keep what they agree on."""
    if not details:
        return {}
    if len(details) == 1:
        return details[0]
    merged: dict[str, str] = {}
    for key in details[0]:
        values = {d[key] for d in details}
        merged[key] = values.pop() if len(values) == 1 else ""
    merged["ustrd"] = _join(d["ustrd"] for d in details)
    merged["addtl_tx_inf"] = _join(d["addtl_tx_inf"] for d in details)
    if not merged["variable_symbol"]:
        merged["vs_source"] = ""
    return merged


def _tx_amount(ctx: _Ctx, tx: Element, entry_ccy: str) -> Element | None:
    """The TxDtls's own amount: Amt (v3+) or AmtDtls/TxAmt/Amt, preferring the one in
    the entry's currency."""
    candidates = [
        el for el in (ctx.find(tx, "Amt"), ctx.find(tx, "AmtDtls/TxAmt/Amt")) if el is not None
    ]
    for element in candidates:
        if _ccy_attr(element) == entry_ccy:
            return element
    return candidates[0] if candidates else None


def _parse_entry(
    ctx: _Ctx,
    entry: Element,
    account_ccy: str,
    where: str,
    position: int,
    *,
    created: str = "",
    created_where: str = "",
) -> list[ParsedTransaction]:
    """`created` is the notification's creation date-time (camt.054 only, "" otherwise):
    the booking date of last resort, read only when the entry has no date of its own."""
    amount_el = ctx.find(entry, "Amt")
    amount = _amount(amount_el, where, positive=True)
    currency = _currency(amount_el, account_ccy, where)
    direction = _direction(ctx.text(entry, "CdtDbtInd"), where)
    is_reversal = ctx.text(entry, "RvslInd").lower() in ("true", "1")

    value_date = _date_of(ctx, ctx.find(entry, "ValDt"), f"{where}, ValDt")
    booking_date = _date_of(ctx, ctx.find(entry, "BookgDt"), f"{where}, BookgDt") or value_date
    date_source = ""
    if booking_date is None and created:
        booking_date = _to_date(created, created_where)
        date_source = "creation"
    if booking_date is None:
        raise _reject(
            _("A statement entry has neither a booking date nor a value date."),
            "missing_date",
            where=where,
        )

    entry_ref = ctx.text(entry, "AcctSvcrRef")
    entry_info = _join(el.text or "" for el in ctx.findall(entry, "AddtlNtryInf"))
    status = ctx.first_text(entry, "Sts/Cd", "Sts")
    bank_tx_code = "/".join(
        part
        for part in (
            ctx.text(entry, "BkTxCd/Domn/Cd"),
            ctx.text(entry, "BkTxCd/Domn/Fmly/Cd"),
            ctx.text(entry, "BkTxCd/Domn/Fmly/SubFmlyCd"),
        )
        if part
    ) or ctx.text(entry, "BkTxCd/Prtry/Cd")
    tx_elements = ctx.findall(entry, "NtryDtls/TxDtls")

    base_raw = {
        "ntry_ref": ctx.text(entry, "NtryRef"),
        "acct_svcr_ref": entry_ref,
        "status": status,
        "bank_tx_code": bank_tx_code,
        "tx_count": str(len(tx_elements)),
        "date_source": date_source,
    }

    def build(
        info: dict[str, str],
        *,
        tx_amount: Decimal,
        tx_direction: str,
        tx_ccy: str,
        bank_reference: str,
        tx_index: int,
        pos: int,
    ) -> ParsedTransaction:
        message = info.get("ustrd") or entry_info or info.get("addtl_tx_inf", "")
        raw = {key: value for key, value in base_raw.items() if value}
        raw["tx_index"] = str(tx_index)
        for key in ("vs_source", "uetr"):
            if info.get(key):
                raw[key] = info[key]
        return ParsedTransaction(
            amount=tx_amount,
            direction=tx_direction,
            currency=tx_ccy,
            booking_date=booking_date,
            position=pos,
            value_date=value_date,
            bank_reference=bank_reference,
            end_to_end_id=info.get("end_to_end_id", ""),
            variable_symbol=info.get("variable_symbol", ""),
            specific_symbol=info.get("specific_symbol", ""),
            constant_symbol=info.get("constant_symbol", ""),
            message=message,
            counterparty_name=info.get("counterparty_name", ""),
            counterparty_account=info.get("counterparty_account", ""),
            counterparty_bank=info.get("counterparty_bank", ""),
            is_reversal=is_reversal,
            raw=raw,
        )

    own_amounts = [_tx_amount(ctx, tx, currency) for tx in tx_elements]
    is_batch = len(tx_elements) > 1 and any(el is not None for el in own_amounts)
    # TxDtls amounts in another currency cannot be checked against the entry (no rate
    # is given for each): the entry's own amount is what the account moved by.
    foreign = is_batch and any(
        el is not None and _ccy_attr(el) not in ("", currency) for el in own_amounts
    )
    if foreign:
        base_raw["batch_unsplit"] = "currency"

    if not is_batch or foreign:
        # One movement: no TxDtls, one TxDtls (whose own amount, possibly in another
        # currency, is informative only), several TxDtls without amounts, or a batch
        # whose TxDtls amounts are in another currency than the entry.
        info = _merge([_details(ctx, tx, direction) for tx in tx_elements])
        return [
            build(
                info,
                tx_amount=amount,
                tx_direction=direction,
                tx_ccy=currency,
                bank_reference=entry_ref or info.get("acct_svcr_ref", ""),
                tx_index=0,
                pos=position,
            )
        ]

    # A batch: one transaction per TxDtls, each with its own amount, adding up exactly.
    if any(el is None for el in own_amounts):
        raise _reject(
            _("A batch entry lists transactions without their amounts."),
            "batch_mismatch",
            where=where,
        )
    parts: list[tuple[Element, Decimal, str, str]] = []
    total = Decimal(0)
    for n, (tx, amount_element) in enumerate(zip(tx_elements, own_amounts, strict=True)):
        tx_where = f"{where}, TxDtls {n}"
        tx_amount = _amount(amount_element, tx_where, positive=True)
        tx_ccy = _currency(amount_element, currency, tx_where)
        indicator = ctx.text(tx, "CdtDbtInd")
        tx_direction = _direction(indicator, tx_where) if indicator else direction
        with localcontext(prec=MAX_AMOUNT_CHARS * 4):  # the sum never rounds
            total += tx_amount if tx_direction == direction else -tx_amount
        parts.append((tx, tx_amount, tx_direction, tx_ccy))
    if total != amount:
        raise _reject(
            _("The transactions of a batch entry do not add up to the entry amount."),
            "batch_mismatch",
            where=where,
            entry_amount=str(amount),
            details_total=str(total),
        )

    refs = [ctx.text(tx, "Refs/AcctSvcrRef") for tx, *_rest in parts]
    transactions = []
    for n, (tx, tx_amount, tx_direction, tx_ccy) in enumerate(parts):
        own_ref = refs[n]
        if own_ref and refs.count(own_ref) == 1 and own_ref != entry_ref:
            reference = own_ref
        else:
            reference = f"{entry_ref}/{n}" if entry_ref else ""
        transactions.append(
            build(
                _details(ctx, tx, tx_direction),
                tx_amount=tx_amount,
                tx_direction=tx_direction,
                tx_ccy=tx_ccy,
                bank_reference=reference,
                tx_index=n,
                pos=position + n,
            )
        )
    return transactions
