"""CSV exports read through a column mapping; no database.

fixtures/csv_cz_windows1250.csv is written for these tests: a Czech bank-style export
(windows-1250, ";" delimiter, decimal comma with space and dot thousands separators,
dd.mm.yyyy dates, two lines before the header, a blank line, a quoted ";").
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from billing_portal.errors import StatementRejected
from payments.importers.base import Direction
from payments.importers.csv import CsvMapping, parse_csv

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "csv_cz_windows1250.csv"

COLUMNS = {
    "booking_date": "Datum zaúčtování",
    "amount": "Částka",
    "currency": "Měna",
    "counterparty_account": "Protiúčet",
    "counterparty_bank": "Kód banky",
    "variable_symbol": "VS",
    "constant_symbol": "KS",
    "specific_symbol": "SS",
    "message": "Zpráva pro příjemce",
    "counterparty_name": "Název protiúčtu",
    "bank_reference": "ID pohybu",
}
MAPPING = CsvMapping(
    columns=COLUMNS,
    account="19-2000145399/0800",
    currency="CZK",
    delimiter=";",
    encoding="windows-1250",
    skip_rows=2,
    date_format="%d.%m.%Y",
    decimal_comma=True,
)


def fixture() -> bytes:
    return FIXTURE.read_bytes()


def reason_of(content: bytes, mapping: CsvMapping = MAPPING) -> str:
    with pytest.raises(StatementRejected) as caught:
        parse_csv(content, mapping=mapping)
    return caught.value.details["reason"]


def test_czech_export_exact_values():
    parsed = parse_csv(fixture(), mapping=MAPPING)
    assert parsed.format == "csv"
    (statement,) = parsed.statements
    assert (statement.account, statement.currency) == ("19-2000145399/0800", "CZK")
    assert (statement.date_from, statement.date_to) == (date(2025, 3, 5), date(2025, 3, 31))
    rows = [
        (
            tx.booking_date,
            tx.amount,
            tx.direction,
            tx.variable_symbol,
            tx.specific_symbol,
            tx.constant_symbol,
            tx.counterparty_account,
            tx.counterparty_name,
            tx.message,
            tx.bank_reference,
        )
        for tx in statement.transactions
    ]
    assert rows == [
        (date(2025, 3, 5), Decimal("1210.00"), "credit", "260100010", "42", "308",
         "123456789/0800", "Nováková Jiřina", "Faktura 260100010", "25030500001"),
        (date(2025, 3, 10), Decimal("250.50"), "debit", "9999", "", "1148",
         "19-1234/0100", "Banka a.s.", "Poplatek za vedení účtu", "25031000002"),
        (date(2025, 3, 14), Decimal("12345.67"), "credit", "", "", "",
         "2400406244/2010", "Žluťoučký kůň s.r.o.", "Záloha; hosting 2025", "25031400003"),
        (date(2025, 3, 31), Decimal("1000.00"), "debit", "", "", "",
         "", "", "Výběr v hotovosti", "25033100004"),
    ]  # fmt: skip
    assert [tx.position for tx in statement.transactions] == [0, 1, 2, 3]
    assert statement.transactions[0].raw["line"] == "4"
    assert {tx.currency for tx in statement.transactions} == {"CZK"}


DIRECTION_EXPORT = (
    "Date,Amount,Type,Variable symbol,Note\n"
    "2025-03-05,1210.00,Incoming,0260100010,Invoice 260100010\n"
    '2025-03-06,"1,250.50",outgoing,,Fee\n'
)
DIRECTION_MAPPING = CsvMapping(
    columns={
        "booking_date": "Date",
        "amount": "Amount",
        "direction": "Type",
        "variable_symbol": "Variable symbol",
        "message": "Note",
    },
    account="CZ6508000000192000145399",
    currency="EUR",
    delimiter=",",
    encoding="utf-8",
    date_format="%Y-%m-%d",
    decimal_comma=False,
    credit_values=("incoming",),
    debit_values=("outgoing",),
)


def test_unsigned_amounts_with_a_direction_column():
    statement = parse_csv(DIRECTION_EXPORT.encode(), mapping=DIRECTION_MAPPING).statements[0]
    assert [(tx.amount, tx.direction, tx.currency) for tx in statement.transactions] == [
        (Decimal("1210.00"), Direction.CREDIT, "EUR"),
        (Decimal("1250.50"), Direction.DEBIT, "EUR"),
    ]
    assert statement.transactions[0].variable_symbol == "260100010"


def test_utf8_with_bom_is_read():
    content = b"\xef\xbb\xbf" + DIRECTION_EXPORT.encode()
    assert len(parse_csv(content, mapping=DIRECTION_MAPPING).statements[0].transactions) == 2


def replace_in_fixture(old: str, new: str) -> bytes:
    text = fixture().decode("windows-1250")
    assert old in text
    return text.replace(old, new).encode("windows-1250")


@pytest.mark.parametrize(
    ("content", "mapping", "reason"),
    [
        (lambda: replace_in_fixture("-250,50", "-25O,50"), MAPPING, "bad_amount"),
        (lambda: replace_in_fixture("-250,50", ""), MAPPING, "bad_amount"),
        (lambda: replace_in_fixture("-250,50", "-2.50,50"), MAPPING, "bad_amount"),
        (lambda: replace_in_fixture("-250,50", "250,50 CZK"), MAPPING, "bad_amount"),
        (lambda: replace_in_fixture("10.03.2025", "31.02.2025"), MAPPING, "bad_date"),
        (lambda: replace_in_fixture("10.03.2025", "2025-03-10"), MAPPING, "bad_date"),
        (lambda: replace_in_fixture(";Částka;", ";Částka CZK;"), MAPPING, "csv_missing_column"),
        (lambda: replace_in_fixture(";Výběr v hotovosti;;", ";"), MAPPING, "csv_bad_row"),
        # the same export saved as UTF-8 while the mapping says windows-1250
        (lambda: fixture().decode("windows-1250").encode("utf-8"), MAPPING, "bad_encoding"),
        # a windows-1250 file read with a UTF-8 mapping
        (fixture, CsvMapping(**{**MAPPING.to_dict(), "encoding": "utf-8"}), "bad_encoding"),
        (lambda: DIRECTION_EXPORT.replace("outgoing", "sideways").encode(),
         DIRECTION_MAPPING, "bad_direction"),
        (lambda: DIRECTION_EXPORT.replace("1210.00,Incoming", "-1210.00,Incoming").encode(),
         DIRECTION_MAPPING, "bad_amount"),
        (lambda: b"\r\n\r\n", MAPPING, "empty_file"),
    ],
)  # fmt: skip
def test_broken_exports_are_rejected_whole(content, mapping, reason):
    assert reason_of(content(), mapping) == reason


def test_mapping_round_trips_through_json():
    stored = json.loads(json.dumps(DIRECTION_MAPPING.to_dict()))
    assert CsvMapping.from_dict(stored) == DIRECTION_MAPPING
    assert stored["credit_values"] == ["incoming"]
    assert CsvMapping.from_dict(json.loads(json.dumps(MAPPING.to_dict()))) == MAPPING


@pytest.mark.parametrize(
    "change",
    [
        {"columns": {"amount": "Částka"}},  # no booking date
        {"columns": {**COLUMNS, "colour": "Barva"}},  # not a field of ours
        {"columns": {**COLUMNS, "direction": "Typ"}},  # direction without its values
        {"encoding": "no-such-encoding"},
        {"delimiter": ";;"},
        {"currency": "Kč"},
        {"skip_rows": -1},
        {"unknown_key": 1},
    ],
)
def test_invalid_mappings_are_refused(change):
    with pytest.raises((ValueError, LookupError)):
        CsvMapping.from_dict({**MAPPING.to_dict(), **change})
