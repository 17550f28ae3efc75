"""The PDF of a document: HTML from `templates/pdf/document.html`, rendered by WeasyPrint.

The template gets everything already formatted by `document_context` (amounts,
quantities, rates, the IBAN in groups of four), so it stays free of logic and the
printed numbers are the same wherever they appear. The text is in the document's
language; numbers use a space between thousands and a decimal comma (a decimal
point for English), never the server's locale.

Rendering speed matters (every issued document is rendered once for its e-mail),
see `bench/bench_pdf.py`: the template uses two small Latin subsets of DejaVu Sans
bundled in `templates/pdf/fonts/` (the full system font costs ~300 ms of font
subsetting per face and render; characters outside the subsets fall back to it),
fixed-layout tables, no images except the inline SVG of the QR code, and nothing
is fetched from the network or from disk except those fonts (`LocalOnlyFetcher`).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML, URLFetcher

from accounts.models import Country, Customer
from billing_portal.money import ZERO, quantize

from .models import Document, DocumentKind, VatRegime
from .qr import payment_qr_payload, qr_svg_data_uri

logger = logging.getLogger(__name__)

TEMPLATE = "pdf/document.html"
FONT_DIR = Path(settings.BASE_DIR) / "templates" / "pdf" / "fonts"
FONTS = {
    "regular": (FONT_DIR / "DejaVuSans-Latin.ttf").as_uri(),
    "bold": (FONT_DIR / "DejaVuSans-Bold-Latin.ttf").as_uri(),
}

# The caption printed under the QR code, by the scheme `payment_qr_payload` chose.
QR_CAPTIONS = {"spayd": "QR Platba", "paybysquare": "PAY by square", "epc": "EPC QR"}


def pdf_filename(document: Document) -> str:
    """`FV2026000123.pdf`: the number is [A-Z0-9] only, safe in any file system."""
    return f"{document.number}.pdf"


class LocalOnlyFetcher(URLFetcher):
    """Resources a document may load: `data:` URIs (the QR code) and our fonts.

    Nothing from the network or from elsewhere on disk, whatever ends up in the
    HTML; WeasyPrint logs a refused resource and renders without it.
    """

    def fetch(self, url, headers=None):
        if url.startswith("data:") or url in FONTS.values():
            return super().fetch(url, headers)
        raise ValueError(f"resource not allowed in a document PDF: {url[:100]}")


def render_document_pdf(document: Document) -> bytes:
    html = document_html(document)
    return HTML(
        string=html, base_url=str(settings.BASE_DIR), url_fetcher=LocalOnlyFetcher()
    ).write_pdf()


def document_html(document: Document) -> str:
    with translation.override(document.language):
        return render_to_string(TEMPLATE, document_context(document))


# --- formatting -------------------------------------------------------------------


def _decimal_separator(language: str) -> str:
    return "." if language == "en" else ","


def format_amount(amount: Decimal, language: str) -> str:
    """`1 234 567,89` (`1 234 567.89` in English); always two decimals."""
    value = quantize(amount)
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", " ")
    return f"{sign}{grouped}{_decimal_separator(language)}{cents}"


def format_number(value: Decimal, language: str) -> str:
    """A quantity or a VAT rate without trailing zeros: `1`, `2,5`, `25,5`."""
    text = format(Decimal(value).normalize(), "f")
    if text in ("-0", "0"):
        text = "0"
    return text.replace(".", _decimal_separator(language))


def format_iban(iban: str) -> str:
    compact = "".join(iban.split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def country_name(code: str) -> str:
    try:
        return str(Country(code).label)
    except ValueError:
        return code


# --- context ----------------------------------------------------------------------


def qr_code(document: Document) -> dict[str, str] | None:
    """The payment QR code of a document that still asks for money, else None."""
    bank = document.seller.get("bank_account") or {}
    amount_due = document.amount_due
    if not (document.is_payable and amount_due > ZERO and bank.get("iban")):
        return None
    try:
        scheme, payload = payment_qr_payload(
            customer_country=document.buyer["country"],
            currency=document.currency,
            iban=bank["iban"],
            amount=amount_due,
            vs=document.variable_symbol,
            beneficiary_name=document.seller["name"],
            message=document.number,
            due_date=document.due_date,
            bic=bank.get("bic", ""),
        )
        src = qr_svg_data_uri(payload) if payload else ""
    except ValueError:
        # e.g. an amount above the scheme's maximum: the payment details are printed
        # anyway, and the document must still be deliverable
        logger.warning("no QR code for document %s", document.number, exc_info=True)
        return None
    if not src:
        return None
    return {"scheme": scheme, "caption": QR_CAPTIONS.get(scheme, scheme), "src": src}


def _payment_method(document: Document) -> str:
    code = document.buyer.get("payment_method") or document.customer.payment_method
    try:
        return str(Customer.PaymentMethod(code).label)
    except ValueError:
        return code


def _party(snapshot: dict[str, Any]) -> dict[str, Any]:
    party = dict(snapshot)
    party["country_name"] = country_name(snapshot.get("country", ""))
    return party


def document_context(document: Document) -> dict[str, Any]:
    """Everything `pdf/document.html` prints, with amounts already formatted."""
    language = document.language

    def money(amount: Decimal) -> str:
        return format_amount(amount, language)

    seller = _party(document.seller)
    buyer = _party(document.buyer)
    bank = dict(document.seller.get("bank_account") or {})
    if bank.get("iban"):
        bank["iban_display"] = format_iban(bank["iban"])
    lines = [
        {
            "position": line.position,
            "description": line.description,
            "period_from": line.period_from,
            "period_to": line.period_to,
            "quantity": format_number(line.quantity, language),
            "unit": line.unit,
            "unit_price": money(line.unit_price),
            "vat_rate": format_number(line.vat_rate, language),
            "net_amount": money(line.net_amount),
        }
        for line in document.lines.all()
    ]
    vat_lines = [
        {
            "rate": format_number(vat_line.rate, language),
            "base": money(vat_line.base),
            "vat": money(vat_line.vat),
            "gross": money(vat_line.base + vat_line.vat),
        }
        for vat_line in document.vat_lines.all()
    ]
    related = document.related_document
    return {
        "fonts": FONTS,
        "document": document,
        "kind": document.kind,
        "is_payment_request": document.kind == DocumentKind.PAYMENT_REQUEST,
        "is_tax_invoice": document.kind == DocumentKind.TAX_INVOICE,
        "is_credit_note": document.kind == DocumentKind.CREDIT_NOTE,
        "related_number": related.number if related else "",
        "related_kind": related.kind if related else "",
        "seller": seller,
        "buyer": buyer,
        "bank": bank,
        "payment_method": _payment_method(document),
        "lines": lines,
        "vat_lines": vat_lines,
        "totals": {
            "net": money(document.total_net),
            "vat": money(document.total_vat),
            "gross": money(document.total_gross),
            "paid": money(document.amount_paid),
            "due": money(document.amount_due),
        },
        "currency": document.currency,
        "is_reverse_charge": document.vat_regime == VatRegime.REVERSE_CHARGE,
        "is_outside_eu": document.vat_regime == VatRegime.OUTSIDE_EU,
        "is_oss": document.vat_regime == VatRegime.OSS,
        "qr": qr_code(document),
        "paid_in_full": (
            document.kind != DocumentKind.CREDIT_NOTE
            and document.amount_paid > ZERO
            and document.amount_due == ZERO
        ),
    }
