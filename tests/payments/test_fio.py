"""Fio API JSON parser: every public sample in ../shared/corpus/fio-json, and variants.

No database. Expected values come from a throw-away script that loaded each file with
``json.load(..., parse_float=Decimal)``, counted ``transactionList.transaction`` and
summed the positive and negative ``column1.value``; for every file except
mhujer__example-response.json (a hand-written fixture: 500 + 1127 != 1000) the sum also
equals closingBalance - openingBalance, and the counts match INDEX.md.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from billing_portal.errors import StatementRejected
from payments.importers.base import Direction, ParsedFile
from payments.importers.fio import parse_fio_json
from tests.conftest import require_corpus

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

# file -> (account, currency, movements, {currency: (credits, debits)})
CORPUS_PARSED = {
    "fio-banka-py__account_statement.json": (
        "CZ1000000000002000000000", "CZK", 3, {"CZK": ("500.0", "3500.89")}
    ),
    "fiobank-py__transactions.json": (
        "CZ1220100000001234567890", "CZK", 2, {"CZK": ("0", "483.29")}
    ),
    "h4kuna-fio__2011-01-01-2011-01-02-transactions.json": (
        "CZ0620100000002000282668", "CZK", 0, {}
    ),
    "h4kuna-fio__2015-01-01-2015-04-16-transactions.json": (
        "CZ0620100000002000282668", "CZK", 10, {"CZK": ("4004.33", "5283.33")}
    ),
    "h4kuna-fio__2015-2-transactions.json": (
        "CZ0620100000002000282668", "CZK", 3, {"CZK": ("0.25", "4002.03")}
    ),
    "h4kuna-fio__last-transactions.json": (
        "CZ0620100000002000282668", "CZK", 4, {"CZK": ("0.69", "1281.10")}
    ),
    "mhujer__example-empty-response.json": ("CZ652010000000000", "EUR", 0, {}),
    "mhujer__example-response.json": (
        "CZ9820100000000214498596", "CZK", 3, {"CZK": ("1127.00", "0")}
    ),
}  # fmt: skip
CORPUS_REJECTED = {
    "h4kuna-fio__server-exception.xml": "fio_error",  # <errorCode>15</errorCode>
    "mhujer__example-transaction.json": "not_a_statement",  # one movement object alone
}


def corpus_file(name: str) -> bytes:
    require_corpus(CORPUS)
    return (CORPUS / "fio-json" / name).read_bytes()


def summary(parsed: ParsedFile) -> tuple[int, dict[str, tuple[Decimal, Decimal]]]:
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    count = 0
    for statement in parsed.statements:
        for tx in statement.transactions:
            count += 1
            totals[tx.currency][0 if tx.direction == Direction.CREDIT else 1] += tx.amount
    return count, {ccy: tuple(v) for ccy, v in totals.items()}


def rejection(content: bytes) -> StatementRejected:
    with pytest.raises(StatementRejected) as caught:
        parse_fio_json(content)
    return caught.value


def test_every_corpus_file_is_listed():
    require_corpus(CORPUS)
    names = {path.name for path in (CORPUS / "fio-json").iterdir()}
    assert names == set(CORPUS_PARSED) | set(CORPUS_REJECTED)


@pytest.mark.parametrize("name", sorted(CORPUS_PARSED))
def test_corpus_file_parses_with_the_counted_totals(name):
    account, currency, count, totals = CORPUS_PARSED[name]
    parsed = parse_fio_json(corpus_file(name))
    assert parsed.format == "fio-json"
    (statement,) = parsed.statements
    assert (statement.account, statement.currency) == (account, currency)
    expected = {ccy: (Decimal(c), Decimal(d)) for ccy, (c, d) in totals.items()}
    assert summary(parsed) == (count, expected)


@pytest.mark.parametrize("name", sorted(CORPUS_REJECTED))
def test_corpus_negative_file_is_rejected(name):
    assert rejection(corpus_file(name)).details["reason"] == CORPUS_REJECTED[name]


def test_server_exception_carries_the_bank_error():
    error = rejection(corpus_file("h4kuna-fio__server-exception.xml"))
    assert error.details == {
        "reason": "fio_error",
        "error_code": "15",
        "fio_message": "Služba je momentálně nedostupná",
    }


def test_symbols_references_and_counterparty():
    statement = parse_fio_json(corpus_file("fio-banka-py__account_statement.json")).statements[0]
    assert statement.opening_balance == Decimal("4000.99")
    assert statement.closing_balance == Decimal("1000.10")
    assert (statement.date_from, statement.date_to) == (date(2023, 1, 1), date(2023, 1, 3))
    card, outgoing, incoming = statement.transactions
    assert (card.amount, card.direction, card.bank_reference) == (
        Decimal("2000.0"),
        Direction.DEBIT,
        "10000000000",
    )
    assert card.message == "Nákup: example.com, dne 31.12.2022, částka  2000.00 CZK"
    # VS "0001", SS "0002", KS "0558": leading zeros are not part of a symbol
    assert (outgoing.variable_symbol, outgoing.specific_symbol, outgoing.constant_symbol) == (
        "1",
        "2",
        "558",
    )
    assert outgoing.raw["variable_symbol"] == "0001"
    assert outgoing.counterparty_account == "9876543210/0800"
    assert (incoming.direction, incoming.amount) == (Direction.CREDIT, Decimal("500.0"))
    assert incoming.counterparty_name == "Pavel, Žák"
    assert incoming.counterparty_bank == "2010"
    assert incoming.end_to_end_id == "test payer reference"
    assert incoming.raw["bic"] == "TESTBICXXXX"
    assert incoming.raw["type"] == "Příjem převodem uvnitř banky"


def test_dates_with_offsets_across_summer_time():
    statement = parse_fio_json(
        corpus_file("h4kuna-fio__2015-01-01-2015-04-16-transactions.json")
    ).statements[0]
    assert statement.transactions[0].booking_date == date(2015, 1, 31)  # "+0100"
    assert statement.transactions[-1].booking_date == date(2015, 4, 15)  # "+0200"
    assert statement.date_to == date(2015, 4, 16)
    two = parse_fio_json(corpus_file("h4kuna-fio__2015-2-transactions.json")).statements[0]
    assert two.statement_id == "2015/2"


# --- variants written here --------------------------------------------------------------


def response(*transactions: dict, transaction_list: object = "list") -> bytes:
    data = {
        "accountStatement": {
            "info": {
                "accountId": "2000000000",
                "bankId": "2010",
                "currency": "CZK",
                "iban": None,
                "openingBalance": 0,
                "closingBalance": 100.5,
                "dateStart": "2025-03-01+0100",
                "dateEnd": "2025-03-31+0200",
            },
            "transactionList": (
                {"transaction": list(transactions)}
                if transaction_list == "list"
                else transaction_list
            ),
        }
    }
    return json.dumps(data, ensure_ascii=False).encode()


def movement(**columns: object) -> dict:
    base: dict[str, object] = {"column22": 26000000001, "column0": "2025-03-05+0100"}
    base.update(columns)
    return {
        key: None if value is None else {"value": value, "name": key, "id": int(key[6:])}
        for key, value in base.items()
    }


def test_account_without_iban_and_a_plain_credit():
    parsed = parse_fio_json(
        response(movement(column1=100.5, column5="0260100010", column16="Faktura 260100010"))
    )
    (statement,) = parsed.statements
    assert statement.account == "2000000000/2010"
    (tx,) = statement.transactions
    assert (tx.amount, tx.direction, tx.variable_symbol) == (
        Decimal("100.5"),
        Direction.CREDIT,
        "260100010",
    )
    assert tx.bank_reference == "26000000001"
    assert tx.currency == "CZK"  # column14 missing: the statement's currency


@pytest.mark.parametrize("transaction_list", [None, {"transaction": None}, {"transaction": []}])
def test_no_movements_is_an_empty_statement(transaction_list):
    parsed = parse_fio_json(response(transaction_list=transaction_list))
    assert parsed.statements[0].transactions == ()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (response(movement(column1="abc")), "bad_amount"),
        (response(movement(column1=None)), "bad_amount"),
        (response(movement(column1=True)), "bad_amount"),
        (response(movement(column1=1, column0="2015-02-30+0100")), "bad_date"),
        (response(movement(column1=1, column0="05.03.2025")), "bad_date"),
        (response(movement(column1=1, column0=None)), "bad_date"),
        (response({"column1": 5}), "bad_record"),
        (response(transaction_list={"transaction": {"column1": 1}}), "not_a_statement"),
        (b'{"accountStatement": {}}', "not_a_statement"),
        (b"[1, 2]", "not_a_statement"),
        (b'{"accountStatement": ', "not_a_statement"),
        (b"<html>Service down</html>", "not_a_statement"),
        ("Příjem".encode("windows-1250"), "bad_encoding"),
        (b"", "empty_file"),
    ],
)
def test_broken_responses_are_rejected(content, reason):
    assert rejection(content).details["reason"] == reason


def test_amounts_are_never_floats():
    content = response(movement(column1=0.1), movement(column22=2, column1=0.2))
    amounts = [tx.amount for tx in parse_fio_json(content).statements[0].transactions]
    assert sum(amounts) == Decimal("0.3")
    assert all(isinstance(amount, Decimal) for amount in amounts)
