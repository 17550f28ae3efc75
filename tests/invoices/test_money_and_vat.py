"""VAT per country and rate-change date, and the rounding policy."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing_portal.errors import NoVatRate
from billing_portal.money import compute_totals, line_net, quantize
from invoices import vat
from invoices.models import VatRegime
from invoices.services import issue_tax_invoice
from tests.factories import (
    CustomerFactory,
    FinnishCustomerFactory,
    PersonCustomerFactory,
    SlovakCustomerFactory,
)
from tests.invoices.helpers import line


@pytest.mark.parametrize(
    ("country", "category", "on", "expected"),
    [
        ("CZ", "standard", date(2023, 12, 31), "21"),
        ("CZ", "standard", date(2026, 11, 24), "21"),
        ("CZ", "reduced", date(2023, 12, 31), "15"),
        ("CZ", "reduced", date(2024, 1, 1), "12"),
        ("CZ", "second_reduced", date(2023, 12, 31), "10"),
        ("CZ", "second_reduced", date(2024, 1, 1), "12"),
        ("SK", "standard", date(2024, 12, 31), "20"),
        ("SK", "standard", date(2025, 1, 1), "23"),
        ("SK", "reduced", date(2024, 12, 31), "10"),
        ("SK", "reduced", date(2025, 1, 1), "19"),
        ("SK", "second_reduced", date(2025, 6, 1), "5"),
        ("FI", "standard", date(2024, 8, 31), "24"),
        ("FI", "standard", date(2024, 9, 1), "25.5"),
        ("FI", "reduced", date(2025, 12, 31), "14"),
        ("FI", "reduced", date(2026, 1, 1), "13.5"),
        ("FI", "second_reduced", date(2026, 1, 1), "10"),
    ],
)
def test_rate_by_country_category_and_date(country, category, on, expected):
    assert vat.rate_for(country=country, category=category, on=on) == Decimal(expected)


def test_unknown_rate_is_an_error_not_a_guess():
    with pytest.raises(NoVatRate):
        vat.rate_for(country="CZ", category="standard", on=date(2022, 12, 31))
    with pytest.raises(NoVatRate):
        vat.rate_for(country="DE", category="standard", on=date(2026, 1, 1))


def test_rounding_is_half_up_to_cents():
    assert quantize(Decimal("0.005")) == Decimal("0.01")
    assert quantize(Decimal("2.675")) == Decimal("2.68")
    assert quantize(Decimal("-2.675")) == Decimal("-2.68")
    assert line_net("3", "33.335") == Decimal("100.01")
    with pytest.raises(TypeError):
        quantize(0.1)  # type: ignore[arg-type]


def test_vat_is_computed_per_rate_on_the_sum_not_per_line():
    # Three lines of 0.10 at 21 %: per line VAT would be 3 x 0.02 = 0.06; on the sum 0.30
    # it is 0.063 -> 0.06; with 0.05 lines: per line 0.01 x 3 = 0.03, on the sum 0.15 -> 0.03.
    # The distinguishing case: 3 x 0.07 -> per line 0.0147 -> 0.01 each = 0.03; sum 0.21 -> 0.04
    totals = compute_totals([(Decimal("0.07"), Decimal("21"))] * 3)
    assert totals.net == Decimal("0.21")
    assert totals.vat == Decimal("0.04")
    assert totals.gross == Decimal("0.25")


def test_two_rates_give_two_recapitulation_rows():
    totals = compute_totals(
        [(Decimal("100.00"), Decimal("21")), (Decimal("50.00"), Decimal("12")),
         (Decimal("0.50"), Decimal("21"))]
    )  # fmt: skip
    rows = [(b.rate, b.base, b.vat) for b in totals.breakdown]
    assert rows == [
        (Decimal("21"), Decimal("100.50"), Decimal("21.11")),
        (Decimal("12"), Decimal("50.00"), Decimal("6.00")),
    ]
    assert totals.gross == Decimal("177.61")


@pytest.mark.parametrize(
    ("seller", "customer", "vat_payer", "expected"),
    [
        ("CZ", "CZ", True, VatRegime.DOMESTIC),
        ("CZ", "CZ", False, VatRegime.DOMESTIC),
        ("CZ", "SK", True, VatRegime.REVERSE_CHARGE),
        ("CZ", "FI", False, VatRegime.OSS),
        ("CZ", "GB", True, VatRegime.OUTSIDE_EU),
    ],
)
def test_regime(seller, customer, vat_payer, expected):
    assert vat.regime_for(
        seller_country=seller, customer_country=customer, vat_payer=vat_payer
    ) == (expected)


@pytest.mark.django_db
def test_czech_invoice_at_21_percent(bank_accounts):
    invoice = issue_tax_invoice(
        customer=CustomerFactory(),
        lines=[line("1000.00"), line("99.99", qty="2")],
        issue_date=date(2026, 3, 31),
    )
    assert invoice.vat_regime == VatRegime.DOMESTIC
    assert invoice.total_net == Decimal("1199.98")
    assert invoice.total_vat == Decimal("252.00")  # 1199.98 * 0.21 = 251.9958
    assert invoice.total_gross == Decimal("1451.98")
    assert [(v.rate, v.base, v.vat) for v in invoice.vat_lines.all()] == [
        (Decimal("21.00"), Decimal("1199.98"), Decimal("252.00"))
    ]


@pytest.mark.django_db
def test_czech_reduced_rate_follows_the_taxable_supply_date(bank_accounts):
    customer = CustomerFactory()
    before = issue_tax_invoice(
        customer=customer,
        lines=[line("100.00", category="reduced")],
        issue_date=date(2024, 1, 2),
        taxable_supply_date=date(2023, 12, 31),
    )
    after = issue_tax_invoice(
        customer=customer, lines=[line("100.00", category="reduced")], issue_date=date(2024, 1, 2)
    )
    assert before.total_vat == Decimal("15.00")
    assert after.total_vat == Decimal("12.00")


@pytest.mark.django_db
def test_finnish_consumer_pays_finnish_vat_by_date(bank_accounts):
    customer = FinnishCustomerFactory(kind="person", ico="", dic="", vat_payer=False)
    old = issue_tax_invoice(customer=customer, lines=[line("10.00")], issue_date=date(2024, 8, 31))
    new = issue_tax_invoice(customer=customer, lines=[line("10.00")], issue_date=date(2024, 9, 1))
    assert old.vat_regime == VatRegime.OSS
    assert (old.total_vat, new.total_vat) == (Decimal("2.40"), Decimal("2.55"))


@pytest.mark.django_db
def test_slovak_vat_payer_is_reverse_charged(bank_accounts):
    invoice = issue_tax_invoice(
        customer=SlovakCustomerFactory(), lines=[line("40.00")], issue_date=date(2026, 2, 1)
    )
    assert invoice.vat_regime == VatRegime.REVERSE_CHARGE
    assert (invoice.total_vat, invoice.total_gross) == (Decimal("0.00"), Decimal("40.00"))
    assert invoice.currency == "EUR"


@pytest.mark.django_db
def test_slovak_consumer_rate_change_2025(bank_accounts):
    customer = SlovakCustomerFactory(kind="person", ico="", dic="", vat_payer=False)
    old = issue_tax_invoice(
        customer=customer, lines=[line("100.00")], issue_date=date(2024, 12, 31)
    )
    new = issue_tax_invoice(customer=customer, lines=[line("100.00")], issue_date=date(2025, 1, 1))
    assert (old.total_gross, new.total_gross) == (Decimal("120.00"), Decimal("123.00"))


@pytest.mark.django_db
def test_czech_consumer_pays_vat_too(bank_accounts):
    invoice = issue_tax_invoice(
        customer=PersonCustomerFactory(), lines=[line("0.10")], issue_date=date(2026, 1, 5)
    )
    assert (invoice.total_vat, invoice.total_gross) == (Decimal("0.02"), Decimal("0.12"))
