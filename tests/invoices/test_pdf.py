"""The PDF of a document: printed facts, titles, QR code, languages, pagination.

Labels are asserted only for English documents (or through gettext in the
document's language), so these tests keep passing when the cs/sk/fi translations
arrive. Amounts are printed as "1 234,50" (a decimal point in English).
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from invoices.models import DocumentKind
from invoices.pdf import (
    FONTS,
    LocalOnlyFetcher,
    document_html,
    format_amount,
    format_iban,
    format_number,
    pdf_filename,
    render_document_pdf,
)
from invoices.services import (
    LineSpec,
    issue_credit_note,
    issue_document,
    issue_payment_request,
    issue_tax_invoice,
)
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    FinnishCustomerFactory,
    SlovakCustomerFactory,
)
from tests.invoices.helpers import pay

ISSUED = date(2026, 3, 2)
CZK_IBAN = "CZ65 0800 0000 1920 0014 5399"
EUR_IBAN = "SK31 1200 0000 1987 4263 7541"
GBP_IBAN = "GB33 BUKB 2020 1555 5555 55"


def pdf_pages(document) -> list[str]:
    """Text of each page of the document's PDF, whitespace collapsed."""
    reader = PdfReader(io.BytesIO(render_document_pdf(document)))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def one_line(price: str = "1000.00", quantity: str = "1") -> list[LineSpec]:
    return [
        LineSpec(
            description="Webhosting Standard: příliš-žluťoučký-kůň.cz",
            unit_price=Decimal(price),
            quantity=Decimal(quantity),
        )
    ]


def british_customer(**kwargs):
    return CustomerFactory(
        country="GB", language="en", currency="GBP", ico="", dic="", city="London", **kwargs
    )


def test_number_formats():
    assert format_amount(Decimal("1234567.891"), "cs") == "1 234 567,89"
    assert format_amount(Decimal("-1210"), "sk") == "-1 210,00"
    assert format_amount(Decimal("0"), "fi") == "0,00"
    assert format_amount(Decimal("1234.5"), "en") == "1 234.50"
    assert format_number(Decimal("1.000"), "cs") == "1"
    assert format_number(Decimal("2.500"), "cs") == "2,5"
    assert format_number(Decimal("10.00"), "fi") == "10"
    assert format_number(Decimal("25.50"), "en") == "25.5"
    assert format_iban("CZ6508000000192000145399") == CZK_IBAN
    assert format_iban("GB33 bukb 2020 1555 5555 55") == GBP_IBAN


@pytest.mark.django_db
def test_czech_tax_invoice_prints_the_legal_facts(
    bank_accounts, django_capture_on_commit_callbacks
):
    customer = CustomerFactory()
    contract = ContractFactory(customer=customer)
    with django_capture_on_commit_callbacks(execute=False):
        invoice = issue_tax_invoice(
            customer=customer, contract=contract, lines=one_line("1234.50"), issue_date=ISSUED
        )

    assert pdf_filename(invoice) == f"{invoice.number}.pdf"
    assert re.fullmatch(r"FV2026\d{6}\.pdf", pdf_filename(invoice))
    (text,) = pdf_pages(invoice)
    # 1 234,50 net + 21 % VAT 259,25 (259.245 rounded half-up) = 1 493,75 CZK
    assert invoice.total_gross == Decimal("1493.75")
    assert invoice.number in text
    assert invoice.variable_symbol in text
    assert "1 493,75 CZK" in text
    assert "1 234,50" in text
    assert "259,25" in text
    assert "21 %" in text
    assert CZK_IBAN in text
    assert "GIBACZPX" in text
    assert "19-2000145399/0800" in text  # the domestic account number (prefix-number/bank)
    assert "02.03.2026" in text  # issue date = date of taxable supply
    assert "16.03.2026" in text  # due date, 14 days later
    assert "Example Hosting s.r.o." in text and "Na Příkopě 1" in text
    assert "CZ25596641" in text
    assert "C 12345 vedená u Městského soudu v Praze" in text  # register entry
    assert customer.name in text and "Václavské náměstí 1" in text
    assert contract.number in text
    assert "příliš-žluťoučký-kůň.cz" in text  # Czech diacritics survive the fonts
    assert "CZK" in text
    assert "1/1" in text


@pytest.mark.django_db
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make_customer", "language", "iban", "total"),
    [
        (CustomerFactory, "cs", CZK_IBAN, "1 493,75 CZK"),
        (SlovakCustomerFactory, "sk", EUR_IBAN, "40,00 EUR"),
        (FinnishCustomerFactory, "fi", EUR_IBAN, "40,00 EUR"),
        (british_customer, "en", GBP_IBAN, "40.00 GBP"),
    ],
)
def test_renders_in_each_language(bank_accounts, make_customer, language, iban, total):
    customer = make_customer()
    price = "1234.50" if customer.currency == "CZK" else "40.00"
    request = issue_payment_request(customer=customer, lines=one_line(price), issue_date=ISSUED)
    assert request.language == language

    active = translation.get_language()
    html = document_html(request)
    assert f'<html lang="{language}">' in html
    assert translation.get_language() == active  # rendering does not leak its language
    (text,) = pdf_pages(request)
    assert request.number in text
    assert request.variable_symbol in text
    assert total in text
    assert iban in text
    assert "příliš-žluťoučký-kůň.cz" in text
    # labels follow the document's language (English until translations exist)
    with translation.override(language):
        labels = [gettext("Variable symbol"), gettext("Due date"), gettext("Amount due")]
    for label in labels:
        assert label in text


@pytest.mark.django_db
def test_vat_regime_notes(bank_accounts):
    slovak_company = issue_payment_request(
        customer=SlovakCustomerFactory(language="en"), lines=one_line("40.00"), issue_date=ISSUED
    )
    british = issue_payment_request(
        customer=british_customer(), lines=one_line("40.00"), issue_date=ISSUED
    )
    czech = issue_payment_request(
        customer=CustomerFactory(language="en"), lines=one_line(), issue_date=ISSUED
    )

    (reverse_charge_text,) = pdf_pages(slovak_company)
    assert (
        "Reverse charge \N{EN DASH} the VAT is to be accounted for by the customer "
        "(Art. 196 of Directive 2006/112/EC)"
    ) in reverse_charge_text
    assert "0 %" in reverse_charge_text
    (outside_eu_text,) = pdf_pages(british)
    assert "Not subject to VAT in the EU" in outside_eu_text
    (domestic_text,) = pdf_pages(czech)
    assert "2006/112/EC" not in domestic_text
    assert "Not subject to VAT" not in domestic_text


@pytest.mark.django_db
def test_payment_request_and_tax_invoice_have_different_titles(bank_accounts):
    customer = CustomerFactory(language="en")
    request = issue_payment_request(customer=customer, lines=one_line(), issue_date=ISSUED)
    invoice = issue_tax_invoice(customer=customer, lines=one_line(), issue_date=ISSUED)

    (request_text,) = pdf_pages(request)
    (invoice_text,) = pdf_pages(invoice)
    assert request_text.startswith("Payment request — this is not a tax document")
    assert "Tax invoice" not in request_text
    assert "Date of taxable supply" not in request_text
    assert invoice_text.startswith("Tax invoice")
    assert "this is not a tax document" not in invoice_text
    assert "Date of taxable supply 02.03.2026" in invoice_text


@pytest.mark.django_db
def test_credit_note_references_the_corrected_invoice(bank_accounts):
    invoice = issue_tax_invoice(
        customer=CustomerFactory(language="en"), lines=one_line("1234.50"), issue_date=ISSUED
    )
    credit_note = issue_credit_note(invoice=invoice, reason="Duplicate order", issue_date=ISSUED)
    assert credit_note.kind == DocumentKind.CREDIT_NOTE

    (text,) = pdf_pages(credit_note)
    assert text.startswith("Credit note")
    assert f"Corrective tax document to tax invoice {invoice.number}" in text
    assert credit_note.number in text
    assert "-1 493.75 CZK" in text
    assert "Amount due" not in text  # nothing is asked for
    assert "data:image/svg+xml" not in document_html(credit_note)


@pytest.mark.django_db
def test_qr_code_only_while_something_is_due(bank_accounts):
    customer = CustomerFactory(language="en")
    open_request = issue_payment_request(customer=customer, lines=one_line(), issue_date=ISSUED)
    paid_invoice = issue_document(
        kind=DocumentKind.TAX_INVOICE,
        customer=customer,
        lines=one_line(),
        issue_date=ISSUED,
    )
    paid_invoice = pay(paid_invoice, Decimal("1210.00"), on=ISSUED)
    assert open_request.amount_due == Decimal("1210.00")
    assert paid_invoice.amount_due == Decimal("0.00")

    open_html = document_html(open_request)
    assert re.search(r'<img src="data:image/svg\+xml[^"]+"', open_html)
    assert "QR Platba" in open_html

    paid_html = document_html(paid_invoice)
    assert "<img" not in paid_html
    assert "data:image/svg+xml" not in paid_html
    (paid_text,) = pdf_pages(paid_invoice)
    assert "Amount paid 1 210.00 CZK" in paid_text
    assert "Amount due 0.00 CZK" in paid_text
    assert "Paid in full" in paid_text


@pytest.mark.django_db
def test_qr_caption_follows_the_scheme(bank_accounts):
    def request_for(customer):
        return issue_payment_request(customer=customer, lines=one_line("40.00"), issue_date=ISSUED)

    assert "PAY by square" in document_html(request_for(SlovakCustomerFactory()))
    assert "EPC QR" in document_html(request_for(FinnishCustomerFactory()))
    assert "<img" not in document_html(request_for(british_customer()))  # no scheme for GBP


@pytest.mark.django_db
def test_long_document_paginates_with_page_counter(bank_accounts):
    lines = [
        LineSpec(description=f"Doména číslo {n}.cz, prodloužení", unit_price=Decimal("250.00"))
        for n in range(1, 121)
    ]
    invoice = issue_tax_invoice(
        customer=CustomerFactory(language="en"), lines=lines, issue_date=ISSUED
    )

    pages = pdf_pages(invoice)
    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        assert text.endswith(f"{invoice.number} {number}/{len(pages)}")  # the footer
    with_lines = [text for text in pages if "Doména číslo" in text]
    assert len(with_lines) > 1
    assert all("Description" in text and "Unit price" in text for text in with_lines)
    document_text = " ".join(pages)
    for n in (1, 60, 120):
        assert f"{n} Doména číslo {n}.cz, prodloužení 1 ks 250.00 21 % 250.00" in document_text
    assert "36 300.00 CZK" in pages[-1]  # 120 x 250 = 30 000 + 21 % VAT


def test_only_local_resources_are_fetched():
    fetcher = LocalOnlyFetcher()
    for url in ("https://example.com/logo.png", "file:///etc/passwd", "ftp://example.com/x"):
        with pytest.raises(ValueError, match="not allowed"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,ok").read() == b"ok"
    assert len(fetcher.fetch(FONTS["regular"]).read()) > 10_000


@pytest.mark.django_db
def test_document_renders_without_qr_code_when_the_scheme_refuses_it(bank_accounts, caplog):
    # QR Platba carries at most 9 999 999.99: the PDF still renders, without the code
    request = issue_payment_request(
        customer=CustomerFactory(language="en"),
        lines=one_line("10000000.00"),
        issue_date=ISSUED,
    )
    html = document_html(request)
    assert "<img" not in html
    assert "12 100 000.00" in html
    assert f"no QR code for document {request.number}" in caplog.text
