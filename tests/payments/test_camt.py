"""camt.053 / camt.054 parser: public corpus, our Czech fixtures, hostile input.

No database. Corpus files are read in place from ../shared/corpus (never copied); the
tests that need them skip when that folder is absent (and fail under CI). Our own fixtures
(tests/payments/fixtures/camt053_cz_*.xml) are invented data written for this project;
both validate against the ISO camt.053.001.02 XSD.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from billing_portal.errors import StatementRejected
from payments.importers.base import Direction, ParsedFile
from payments.importers.camt import is_camt, parse_camt
from tests.conftest import require_corpus

# tests/payments/test_camt.py -> parents[0] tests/payments, [1] tests, [2] the project
# root (main), [3] the folder that holds both main/ and shared/.
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

NS_02 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
NS_054_08 = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"
OUR_IBAN = "CZ6508000000192000145399"


def corpus_bytes(folder: str, name: str) -> bytes:
    """A corpus file's bytes; skips the test when the corpus is absent (fails under CI)."""
    require_corpus(CORPUS)
    return (CORPUS / folder / name).read_bytes()


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def rejection(content: bytes) -> StatementRejected:
    with pytest.raises(StatementRejected) as caught:
        parse_camt(content)
    assert caught.value.code == "statement_rejected"
    return caught.value


def reason(content: bytes) -> str:
    return rejection(content).details["reason"]


def all_transactions(parsed: ParsedFile) -> list:
    return [tx for statement in parsed.statements for tx in statement.transactions]


# --- every corpus file ------------------------------------------------------------------


@dataclass(frozen=True)
class Parses:
    format: str
    statements: int
    transactions: int
    # currency -> (credit total, debit total), as written in the file
    totals: dict[str, tuple[str, str]]


@dataclass(frozen=True)
class Rejected:
    reason: str
    why: str


# Expected values were taken by reading each file by hand and cross-checked with a
# throwaway script that uses plain xml.etree only (not the parser): count one
# transaction per <Ntry>, except a <Ntry> with two or more <TxDtls> that all carry
# their own Amt or AmtDtls/TxAmt/Amt in the entry's currency, which counts once per
# TxDtls (a batch whose TxDtls amounts are in another currency counts once, with the
# entry's amount); sum <Amt> by its Ccy attribute and by CdtDbtInd (the TxDtls's own
# indicator where it has one). A camt.054 <Ntry> without BookgDt and ValDt is dated by
# the notification's CreDtTm and counts like any other. Where
# a file states its own balances and they are consistent, test_corpus_balances_add_up
# checks opening + credits - debits = closing as a second, independent witness.
EXPECTED: dict[tuple[str, str], Parses | Rejected] = {
    ("camt053", "genkgo__camt053.v2.all-balance-types.xml"): Parses(
        "camt053", 1, 1, {"EUR": ("8.850", "0")}
    ),
    ("camt053", "genkgo__camt053.v2.five.decimals.xml"): Parses(
        "camt053", 1, 1, {"EUR": ("8.850", "0")}
    ),
    ("camt053", "genkgo__camt053.v2.minimal.ultimate.xml"): Parses(
        "camt053", 1, 1, {"EUR": ("8.85", "0")}
    ),
    ("camt053", "genkgo__camt053.v2.minimal.xml"): Parses("camt053", 1, 1, {"EUR": ("8.85", "0")}),
    # two <Stmt>: one CRDT 8.85, one DBIT 7.00
    ("camt053", "genkgo__camt053.v2.multi.statement.xml"): Parses(
        "camt053", 2, 2, {"EUR": ("8.85", "7.00")}
    ),
    ("camt053", "genkgo__camt053.v2.with-account-name.xml"): Parses(
        "camt053", 1, 1, {"EUR": ("8.85", "0")}
    ),
    ("camt053", "genkgo__camt053.v2.with-party-ids.xml"): Parses(
        "camt053", 1, 1, {"EUR": ("8.85", "0")}
    ),
    ("camt053", "genkgo__camt053.v2.wrong.xml"): Rejected(
        "not_a_statement", "INDEX: NEGATIVE, BkToCstmrStmt with a GrpHdr and no Stmt"
    ),
    # one TxDtls whose own Amt (105.750) is informative only: the entry's 8.85 is booked
    ("camt053", "genkgo__camt053.v3.xml"): Parses("camt053", 1, 1, {"EUR": ("8.85", "0")}),
    # one TxDtls with <Amt Ccy="SEK">0</Amt>: again the entry's EUR 8.85 is booked
    ("camt053", "genkgo__camt053.v4.xml"): Parses("camt053", 1, 1, {"EUR": ("8.85", "0")}),
    ("camt053", "genkgo__camt053.v8.xml"): Parses("camt053", 1, 1, {"EUR": ("8.85", "0")}),
    ("camt053", "genkgo__camt53.only-Dt-with-DtTm.xml"): Parses("camt053", 1, 0, {}),
    ("camt053", "kedder__camt053.xml"): Parses("camt053", 1, 1, {"CHF": ("1284.30", "0")}),
    # 16 Ntry, no TxDtls; 1 CRDT (368) and 15 DBIT: 905.3 + 158.5 + 38 + 14.5 + 155.85 +
    # 240 + 1395 + 49.7 + 799.75 + 136.6 + 71.8 + 18.1 + 13.95 + 34 + 16.8 = 4047.85
    ("camt053", "kedder__davider80.xml"): Parses("camt053", 1, 16, {"CHF": ("368", "4047.85")}),
    # 5 CRDT in the anonymised currency XXX: 10000 + 1000 + 1000 + 1000 + 10
    ("camt053", "kedder__gcamp6.xml"): Parses("camt053", 1, 5, {"XXX": ("13010.00", "0")}),
    # 4 DBIT: 0.29 + 0.29 + 28.19 + 152.24 (= TxsSummry/TtlDbtNtries/Sum 181.01)
    ("camt053", "kedder__simple.xml"): Parses("camt053", 1, 4, {"EUR": ("0", "181.01")}),
    ("camt053", "oca13__test-camt053-bookgdt-dttm"): Parses(
        "camt053", 1, 1, {"EUR": ("0", "754.25")}
    ),
    ("camt053", "oca14-sftp__camt053"): Parses("camt053", 1, 1, {"EUR": ("0", "1200.00")}),
    # 3 Ntry / 4 transactions: DBIT 754.25; reversal batch DBIT 664.05 = 564.05 + 100.00;
    # CRDT 1405.31
    ("camt053", "oca16__test-camt053"): Parses("camt053", 1, 4, {"EUR": ("1405.31", "1418.30")}),
    ("camt053", "oca16__test-camt053-no-ntry"): Parses("camt053", 1, 0, {}),
    # 1 Ntry CRDT 3483.00 = TxDtls 2187.00 + 1296.00
    ("camt053", "oca16__test-camt053-txdtls"): Parses("camt053", 1, 2, {"CHF": ("3483.00", "0")}),
    # its only Ntry (DBIT SEK 200000) has neither BookgDt nor ValDt: dated by CreDtTm
    ("camt054", "genkgo__camt054.v2.with-account-name.xml"): Parses(
        "camt054", 1, 1, {"SEK": ("0", "200000")}
    ),
    # 1 Ntry DBIT SEK 200000 with 3 TxDtls that carry no amounts: reported as one movement
    ("camt054", "genkgo__camt054.v2.xml"): Parses("camt054", 1, 1, {"SEK": ("0", "200000")}),
    # Ntry DBIT SEK 200000 whose 3 TxDtls give CRDT CHF 3.1 + 3.2 + 3.2 (Btch says CHF
    # 6.3): other currency, so not split; the entry's SEK 200000 is booked once
    ("camt054", "genkgo__camt054.v4.xml"): Parses("camt054", 1, 1, {"SEK": ("0", "200000")}),
    # one Ntry DBIT SEK 200000 without BookgDt/ValDt, dated by CreDtTm
    ("camt054", "genkgo__camt054.v8-with-UETR.xml"): Parses(
        "camt054", 1, 1, {"SEK": ("0", "200000")}
    ),
    # one Ntry DBIT SEK 200000 without BookgDt/ValDt, dated by CreDtTm
    ("camt054", "genkgo__camt054.v8-with-financial-institution.xml"): Parses(
        "camt054", 1, 1, {"SEK": ("0", "200000")}
    ),
    # the same SEK entry with CHF TxDtls as camt054.v4: booked once
    ("camt054", "genkgo__camt054.v8.xml"): Parses("camt054", 1, 1, {"SEK": ("0", "200000")}),
    ("camt054", "oca16__test-camt054"): Parses("camt054", 1, 1, {"EUR": ("5.00", "0")}),
}


def test_the_table_covers_every_corpus_file():
    require_corpus(CORPUS)
    present = {
        (folder, path.name)
        for folder in ("camt053", "camt054")
        for path in (CORPUS / folder).iterdir()
        if path.is_file()
    }
    assert present == set(EXPECTED)


@pytest.mark.parametrize(
    ("folder", "name"), sorted(EXPECTED), ids=[f"{f}/{n}" for f, n in sorted(EXPECTED)]
)
def test_corpus_file(folder, name):
    content = corpus_bytes(folder, name)
    expected = EXPECTED[(folder, name)]
    assert is_camt(content) == folder
    if isinstance(expected, Rejected):
        assert reason(content) == expected.reason, expected.why
        return
    parsed = parse_camt(content)
    assert parsed.format == expected.format
    assert len(parsed.statements) == expected.statements
    transactions = all_transactions(parsed)
    assert len(transactions) == expected.transactions
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for tx in transactions:
        assert isinstance(tx.amount, Decimal)
        assert tx.amount > 0
        totals[tx.currency][0 if tx.direction == Direction.CREDIT else 1] += tx.amount
    assert {ccy: (credit, debit) for ccy, (credit, debit) in totals.items()} == {
        ccy: (Decimal(credit), Decimal(debit)) for ccy, (credit, debit) in expected.totals.items()
    }
    for statement in parsed.statements:
        assert [tx.position for tx in statement.transactions] == list(
            range(len(statement.transactions))
        )
        for tx in statement.transactions:
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in tx.raw.items())


@pytest.mark.parametrize(
    "name", ["kedder__davider80.xml", "kedder__simple.xml", "kedder__camt053.xml"]
)
def test_corpus_balances_add_up(name):
    statement = parse_camt(corpus_bytes("camt053", name)).statements[0]
    movement = sum(
        (tx.amount if tx.direction == Direction.CREDIT else -tx.amount)
        for tx in statement.transactions
    )
    assert statement.opening_balance + movement == statement.closing_balance


# --- what the corpus teaches, file by file ----------------------------------------------


def test_utc_booking_time_is_a_prague_date():
    # BookgDt 2014-01-04T23:00:00.000Z is 00:00 on 5 January in Prague
    (tx,) = all_transactions(
        parse_camt(corpus_bytes("camt053", "oca13__test-camt053-bookgdt-dttm"))
    )
    assert tx.booking_date == date(2014, 1, 5)
    assert tx.value_date == date(2014, 1, 5)
    assert tx.direction == Direction.DEBIT
    assert tx.counterparty_name == "INSURANCE COMPANY TESTX"  # the creditor of a debit
    assert tx.counterparty_account == "NL46ABNA0499998748"
    assert tx.counterparty_bank == "ABNANL2A"
    assert tx.end_to_end_id == "435005714488-ABNO33052620"


def test_version_8_party_under_pty_and_booking_datetime():
    parsed = parse_camt(corpus_bytes("camt053", "genkgo__camt053.v8.xml"))
    statement = parsed.statements[0]
    assert statement.account == "NL26VAYB8060476890"  # Acct/Id/Othr/Id
    assert statement.statement_id == "253EURNL26VAYB8060476890"
    assert statement.opening_balance == Decimal("18.15")
    assert statement.closing_balance == Decimal("-27.00")  # DBIT balance
    assert statement.date_from == date(2007, 10, 18)
    (tx,) = statement.transactions
    assert tx.booking_date == date(2014, 12, 31)  # DtTm 2014-12-31T13:15:00+01:00
    assert tx.counterparty_name == "NAME NAME"  # RltdPties/Dbtr/Pty/Nm
    assert tx.counterparty_account == "NL56AGDH9619008421"
    assert tx.end_to_end_id == "MUELL/FINP/RA12345"
    assert tx.bank_reference == "AAAASESS-FP-CN_98765/01"
    assert tx.variable_symbol == ""  # the SCOR reference 4654654654654654 is no VS


def test_single_txdtls_with_its_own_amount_books_the_entry_amount():
    (tx,) = all_transactions(parse_camt(corpus_bytes("camt053", "genkgo__camt053.v3.xml")))
    assert tx.amount == Decimal("8.85")
    assert tx.counterparty_bank == "KREDBEBB"  # BICFI


def test_three_decimals_are_kept():
    statement = parse_camt(corpus_bytes("camt053", "genkgo__camt053.v2.five.decimals.xml"))
    statement = statement.statements[0]
    assert str(statement.transactions[0].amount) == "8.850"
    assert (statement.opening_balance, statement.closing_balance) == (
        Decimal("18.150"),
        Decimal("27.050"),
    )


def test_empty_statement_keeps_its_balances():
    statement = parse_camt(corpus_bytes("camt053", "genkgo__camt53.only-Dt-with-DtTm.xml"))
    statement = statement.statements[0]
    assert statement.transactions == ()
    assert statement.account == "GB33BUKB20201555555555"
    assert statement.currency == "RON"  # no Acct/Ccy and no entries: the balance's
    assert statement.opening_balance == Decimal("5442.09")
    assert statement.closing_balance is None

    statement = parse_camt(corpus_bytes("camt053", "oca16__test-camt053-no-ntry")).statements[0]
    assert statement.transactions == ()
    assert statement.opening_balance == statement.closing_balance == Decimal("1520.76")


def test_two_statements_in_one_file():
    parsed = parse_camt(corpus_bytes("camt053", "genkgo__camt053.v2.multi.statement.xml"))
    assert [s.statement_id for s in parsed.statements] == [
        "253EURNL26VAYB8060476890",
        "254EURNL26VAYB8060476890",
    ]
    assert [s.transactions[0].position for s in parsed.statements] == [0, 0]
    assert parsed.statements[1].transactions[0].counterparty_name == "Company Name 2"


def test_notprovided_end_to_end_and_naive_datetime():
    transactions = all_transactions(parse_camt(corpus_bytes("camt053", "kedder__simple.xml")))
    first = transactions[0]
    assert first.end_to_end_id == ""
    assert first.booking_date == date(2015, 12, 31)  # naive DtTm is local time
    assert first.value_date == date(2016, 1, 1)
    assert first.bank_reference == "FC1261858984"  # no entry ref: the TxDtls's
    assert first.message == "Sąskaitos aptarnavimo mokestis"
    assert first.counterparty_name == "AB DNB Bankas"
    assert first.constant_symbol == first.specific_symbol == first.variable_symbol == ""


def test_reversal_batch_is_split():
    transactions = all_transactions(parse_camt(corpus_bytes("camt053", "oca16__test-camt053")))
    batch = transactions[1:3]
    assert [tx.amount for tx in batch] == [Decimal("564.05"), Decimal("100.00")]
    assert all(tx.is_reversal and tx.direction == Direction.DEBIT for tx in batch)
    assert [tx.position for tx in batch] == [1, 2]
    assert [tx.raw["tx_index"] for tx in batch] == ["0", "1"]
    assert [tx.end_to_end_id for tx in batch] == [
        "TESTBANK/NL/20141229/01206408",
        "TESTBANK/NL/20141229/01206407",
    ]
    assert not transactions[0].is_reversal and not transactions[3].is_reversal
    # no Ustrd and no AddtlNtryInf: the AddtlTxInf is the message of last resort
    assert transactions[3].message == "#RD PARTY MEDIA CUSNO 90782 4210773"


def test_batch_txdtls_with_one_shared_reference_get_distinct_ones():
    # both TxDtls carry Refs/AcctSvcrRef 123456CHCAFEBABE: not unique, so entry ref/index
    first, second = all_transactions(
        parse_camt(corpus_bytes("camt053", "oca16__test-camt053-txdtls"))
    )
    assert first.bank_reference == "20170323001234567891234567891234/0"
    assert second.bank_reference == "20170323001234567891234567891234/1"
    assert (first.amount, second.amount) == (Decimal("2187.00"), Decimal("1296.00"))
    assert first.counterparty_account == "CH2222000000123456789"
    assert second.counterparty_bank == "POFICHBEYYY"
    assert first.booking_date == date(2017, 3, 22)
    assert first.message.startswith("CRÉDIT GROUPÉ BVR")
    assert first.variable_symbol == ""  # an ISR reference is not a VS


def test_entries_without_txdtls_use_the_entry_text():
    statement = parse_camt(corpus_bytes("camt053", "kedder__davider80.xml")).statements[0]
    assert statement.account == "CHxxxxxxxxxxxxxxxxxxx"  # anonymised: not validated here
    assert statement.date_from == date(2017, 4, 1)
    assert statement.date_to == date(2017, 4, 11)
    second = statement.transactions[1]
    assert second.message == (
        "Acquisto MIGROS M ARBEDO-CAST 31.03.2017/13:30 / N. carta Maestro xxxxxxxx"
    )
    assert second.booking_date == date(2017, 4, 1)  # <Dt>2017-04-01+02:00</Dt>
    assert second.counterparty_name == ""
    assert second.bank_reference == "210570781020000000024556150000"


def test_anonymised_currency_is_kept():
    statement = parse_camt(corpus_bytes("camt053", "kedder__gcamp6.xml")).statements[0]
    assert statement.currency == "XXX"
    assert {tx.currency for tx in statement.transactions} == {"XXX"}


def test_txdtls_without_amounts_stay_one_movement():
    (tx,) = all_transactions(parse_camt(corpus_bytes("camt054", "genkgo__camt054.v2.xml")))
    assert (tx.amount, tx.currency, tx.direction) == (Decimal(200000), "SEK", Direction.DEBIT)
    assert tx.end_to_end_id == "MUELL/FINP/RA12345"  # the same in all three TxDtls
    assert tx.message == (
        "Unstructured Remittance Information V1 Unstructured Remittance Information V3 "
        "block 1 Unstructured Remittance Information V3 block 2"
    )
    assert tx.raw["tx_count"] == "3"


def test_camt054_notification():
    parsed = parse_camt(corpus_bytes("camt054", "oca16__test-camt054"))
    assert parsed.format == "camt054"
    statement = parsed.statements[0]
    assert statement.account == "NL77ABNA0574908765"
    assert statement.currency == "EUR"
    (tx,) = statement.transactions
    assert tx.bank_reference == "98888208N8"
    assert tx.end_to_end_id == "ENDTOENDID-01"
    assert tx.counterparty_name == "Test Customer"
    assert tx.counterparty_bank == "NZNCC020368"  # ClrSysMmbId when there is no BIC
    assert tx.variable_symbol == ""  # numeric QRR reference without a VS prefix
    assert tx.message == "Additional entry info"
    assert tx.raw["ntry_ref"] == "NL0000000000000000000"


@pytest.mark.parametrize(
    "name",
    [
        "genkgo__camt054.v2.with-account-name.xml",
        "genkgo__camt054.v8-with-UETR.xml",
        "genkgo__camt054.v8-with-financial-institution.xml",
    ],
)
def test_notification_entry_without_dates_takes_the_creation_date(name):
    # Ntfctn/CreDtTm 2007-10-18T12:30:00+01:00 is 13:30 CEST on 18 October in Prague
    (tx,) = all_transactions(parse_camt(corpus_bytes("camt054", name)))
    assert tx.booking_date == date(2007, 10, 18)
    assert tx.value_date is None
    assert tx.raw["date_source"] == "creation"
    assert (tx.amount, tx.currency, tx.direction) == (Decimal(200000), "SEK", Direction.DEBIT)


def test_notification_with_dates_has_no_date_source():
    (tx,) = all_transactions(parse_camt(corpus_bytes("camt054", "oca16__test-camt054")))
    assert "date_source" not in tx.raw


@pytest.mark.parametrize("name", ["genkgo__camt054.v4.xml", "genkgo__camt054.v8.xml"])
def test_batch_in_another_currency_is_one_movement(name):
    (tx,) = all_transactions(parse_camt(corpus_bytes("camt054", name)))
    assert (tx.amount, tx.currency, tx.direction) == (Decimal(200000), "SEK", Direction.DEBIT)
    assert tx.booking_date == tx.value_date == date(2007, 10, 18)
    assert tx.bank_reference == "ACSR160617103200001"
    assert tx.message == (
        "Unstructured Remittance Information V1 Unstructured Remittance Information V3 "
        "block 1 Unstructured Remittance Information V3 block 2"
    )
    assert tx.raw["batch_unsplit"] == "currency"
    assert tx.raw["tx_count"] == "3"
    assert tx.raw["tx_index"] == "0"
    assert tx.counterparty_name == ""  # three different creditors: none is kept
    assert "date_source" not in tx.raw


# --- our Czech fixtures ---------------------------------------------------------------


def test_czech_statement_with_symbols():
    content = fixture_bytes("camt053_cz_symbols.xml")
    assert is_camt(content) == "camt053"
    parsed = parse_camt(content)
    assert parsed.format == "camt053"
    (statement,) = parsed.statements
    assert statement.account == OUR_IBAN
    assert statement.currency == "CZK"
    assert statement.statement_id == "0192000145399-20260302-041"
    assert statement.opening_balance == Decimal("100000.00")  # OPBD, not PRCD
    assert statement.closing_balance == Decimal("109030.00")
    assert (statement.date_from, statement.date_to) == (date(2026, 3, 2), date(2026, 3, 2))

    vs_e2e, vs_slash, vs_colon, numeric_e2e, fee = statement.transactions

    assert vs_e2e.amount == Decimal("1210.00")
    assert vs_e2e.currency == "CZK"
    assert vs_e2e.direction == Direction.CREDIT
    assert (vs_e2e.booking_date, vs_e2e.value_date) == (date(2026, 3, 2), date(2026, 3, 2))
    assert vs_e2e.variable_symbol == "2026000123"
    assert vs_e2e.constant_symbol == "308"  # KS0308, leading zero stripped
    assert vs_e2e.specific_symbol == "777"
    assert vs_e2e.end_to_end_id == "VS2026000123"
    assert vs_e2e.bank_reference == "2026030200012345"
    assert vs_e2e.message == "Platba faktury 2026000123"
    assert vs_e2e.counterparty_name == "Jan Novák"
    assert vs_e2e.counterparty_account == "CZ5201000000000123456789"
    assert vs_e2e.counterparty_bank == "KOMBCZPP"
    assert vs_e2e.raw["vs_source"] == "end_to_end_id"
    assert vs_e2e.raw["ntry_ref"] == "1"
    assert not vs_e2e.is_reversal

    assert vs_slash.amount == Decimal("4840.00")
    assert vs_slash.variable_symbol == "126000045"  # "/VS/126000045" in Ustrd
    assert vs_slash.raw["vs_source"] == "remittance"
    assert vs_slash.end_to_end_id == ""  # NOTPROVIDED
    assert vs_slash.constant_symbol == vs_slash.specific_symbol == ""

    assert vs_colon.amount == Decimal("605.00")
    assert vs_colon.variable_symbol == "126000046"  # "VS:126000046" in Ustrd
    assert vs_colon.counterparty_account == "19-8765432/0800"  # domestic Othr/Id
    assert vs_colon.message == "VS:126000046 doména example.cz"

    assert numeric_e2e.amount == Decimal("2420.00")
    assert numeric_e2e.variable_symbol == ""  # bare number in EndToEndId: not a VS
    assert numeric_e2e.end_to_end_id == "2026000999"
    assert "vs_source" not in numeric_e2e.raw
    assert (numeric_e2e.booking_date, numeric_e2e.value_date) == (
        date(2026, 3, 2),
        date(2026, 3, 1),
    )

    assert fee.amount == Decimal("45.00")
    assert fee.direction == Direction.DEBIT
    assert fee.variable_symbol == ""
    assert fee.message == "Poplatek za vedení účtu 02/2026"  # AddtlNtryInf, no Ustrd
    assert fee.counterparty_name == ""
    assert fee.raw["bank_tx_code"] == "ACMT/MDOP/CHRG"

    assert [tx.position for tx in statement.transactions] == [0, 1, 2, 3, 4]


def test_czech_batch_is_split_with_own_amounts_and_symbols():
    parsed = parse_camt(fixture_bytes("camt053_cz_batch.xml"))
    (statement,) = parsed.statements
    assert statement.account == OUR_IBAN
    assert [tx.amount for tx in statement.transactions] == [
        Decimal("1210.00"),
        Decimal("2420.00"),
        Decimal("6050.00"),
    ]
    assert [tx.variable_symbol for tx in statement.transactions] == [
        "2026000201",
        "2026000202",
        "2026000203",
    ]
    assert {tx.constant_symbol for tx in statement.transactions} == {"308"}
    assert {tx.direction for tx in statement.transactions} == {Direction.CREDIT}
    assert {tx.booking_date for tx in statement.transactions} == {date(2026, 3, 3)}
    assert [tx.bank_reference for tx in statement.transactions] == [
        "2026030300020001-A",
        "2026030300020001-B",
        "2026030300020001/2",  # no own AcctSvcrRef: entry ref / index
    ]
    assert [tx.position for tx in statement.transactions] == [0, 1, 2]
    assert [tx.raw["tx_index"] for tx in statement.transactions] == ["0", "1", "2"]
    assert [tx.message for tx in statement.transactions] == [
        "Faktura 2026000201",
        "Faktura 2026000202",
        "Faktura 2026000203",
    ]
    assert {tx.counterparty_name for tx in statement.transactions} == {"GAMA HOSTING s.r.o."}
    assert statement.opening_balance + sum(tx.amount for tx in statement.transactions) == Decimal(
        "118710.00"
    )


def test_prefixed_namespace_parses_the_same():
    original = fixture_bytes("camt053_cz_symbols.xml")
    # xml.etree writes the default namespace back as "ns0:" prefixes
    prefixed = ET.tostring(ET.fromstring(original), encoding="utf-8")  # noqa: S314
    assert b"<ns0:Document" in prefixed
    assert is_camt(prefixed) == "camt053"
    assert parse_camt(prefixed) == parse_camt(original)


# --- symbol and date variants (one-entry documents built here) --------------------------


def one_entry(
    *,
    amount: str = "100.00",
    indicator: str = "CRDT",
    dates: str = "<BookgDt><Dt>2026-03-02</Dt></BookgDt><ValDt><Dt>2026-03-02</Dt></ValDt>",
    refs: str = "",
    remittance: str = "",
    namespace: str = NS_02,
) -> bytes:
    details = ""
    if refs or remittance:
        details = (
            f"<NtryDtls><TxDtls>{f'<Refs>{refs}</Refs>' if refs else ''}"
            f"{f'<RmtInf>{remittance}</RmtInf>' if remittance else ''}</TxDtls></NtryDtls>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{namespace}"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>T1</MsgId><CreDtTm>2026-03-03T05:00:00+01:00</CreDtTm></GrpHdr>"
        "<Stmt><Id>T1</Id><CreDtTm>2026-03-03T05:00:00+01:00</CreDtTm>"
        f"<Acct><Id><IBAN>{OUR_IBAN}</IBAN></Id><Ccy>CZK</Ccy></Acct>"
        f'<Ntry><Amt Ccy="CZK">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<Sts>BOOK</Sts>{dates}<AcctSvcrRef>R1</AcctSvcrRef>{details}</Ntry>"
        "</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def only_tx(content: bytes):
    (tx,) = all_transactions(parse_camt(content))
    return tx


@pytest.mark.parametrize(
    ("refs", "remittance", "vs", "ks", "ss", "source"),
    [
        ("<EndToEndId>VS:123</EndToEndId>", "", "123", "", "", "end_to_end_id"),
        ("<EndToEndId>VS 123</EndToEndId>", "", "123", "", "", "end_to_end_id"),
        ("<EndToEndId>vs0000001234</EndToEndId>", "", "1234", "", "", "end_to_end_id"),
        (
            "<EndToEndId>/VS/2026000123/SS/456/KS/0308</EndToEndId>",
            "",
            "2026000123",
            "308",
            "456",
            "end_to_end_id",
        ),
        (
            "<PmtInfId>SS 99</PmtInfId><InstrId>KS:0558</InstrId><EndToEndId>VS1</EndToEndId>",
            "",
            "1",
            "558",
            "99",
            "end_to_end_id",
        ),
        ("", "<Ustrd>VS123</Ustrd>", "123", "", "", "remittance"),
        ("", "<Ustrd>Faktura, vs: 77, děkuji</Ustrd>", "77", "", "", "remittance"),
        ("", "<Ustrd>/VS/88/SS/5</Ustrd>", "88", "", "", "remittance"),
        ("", "<Ustrd>VS 0000000000</Ustrd>", "", "", "", None),  # all zeros: nothing left
        ("", "<Ustrd>VS12345678901</Ustrd>", "", "", "", None),  # 11 digits: too long
        ("", "<Ustrd>ADVS123 REVS 5</Ustrd>", "", "", "", None),  # inside a word
        ("", "<Ustrd>cislo 2026000123</Ustrd>", "", "", "", None),  # bare number
        ("<EndToEndId>2026000123</EndToEndId>", "", "", "", "", None),
        ("<InstrId>0308</InstrId><PmtInfId>777</PmtInfId>", "", "", "", "", None),
        (
            "",
            "<Strd><CdtrRefInf><Ref>VS:555</Ref></CdtrRefInf></Strd>",
            "555",
            "",
            "",
            "creditor_ref",
        ),
        ("", "<Strd><CdtrRefInf><Ref>555</Ref></CdtrRefInf></Strd>", "", "", "", None),
        # where several places carry a VS: EndToEndId, then CdtrRefInf, then the text
        (
            "<EndToEndId>VS111</EndToEndId>",
            "<Ustrd>VS 222</Ustrd><Strd><CdtrRefInf><Ref>VS/333</Ref></CdtrRefInf></Strd>",
            "111",
            "",
            "",
            "end_to_end_id",
        ),
        (
            "",
            "<Ustrd>VS 222</Ustrd><Strd><CdtrRefInf><Ref>VS/333</Ref></CdtrRefInf></Strd>",
            "333",
            "",
            "",
            "creditor_ref",
        ),
    ],
)
def test_symbol_variants(refs, remittance, vs, ks, ss, source):
    tx = only_tx(one_entry(refs=refs, remittance=remittance))
    assert (tx.variable_symbol, tx.constant_symbol, tx.specific_symbol) == (vs, ks, ss)
    assert tx.raw.get("vs_source") == source


def test_message_joins_every_ustrd():
    tx = only_tx(one_entry(remittance="<Ustrd>Faktura  2026</Ustrd><Ustrd>druhý řádek</Ustrd>"))
    assert tx.message == "Faktura 2026 druhý řádek"


@pytest.mark.parametrize(
    ("dates", "booking", "value"),
    [
        ("<BookgDt><DtTm>2026-03-01T23:30:00Z</DtTm></BookgDt>", date(2026, 3, 2), None),
        ("<BookgDt><DtTm>2026-07-01T22:30:00Z</DtTm></BookgDt>", date(2026, 7, 2), None),  # CEST
        ("<BookgDt><DtTm>2026-07-01T21:59:59Z</DtTm></BookgDt>", date(2026, 7, 1), None),
        ("<BookgDt><DtTm>2026-03-02T00:30:00+01:00</DtTm></BookgDt>", date(2026, 3, 2), None),
        ("<BookgDt><DtTm>2026-03-01T20:30:00-05:00</DtTm></BookgDt>", date(2026, 3, 2), None),
        ("<BookgDt><DtTm>2026-03-01T23:30:00</DtTm></BookgDt>", date(2026, 3, 1), None),  # naive
        (
            "<BookgDt><DtTm>2026-03-01T23:30:00.123456789Z</DtTm></BookgDt>",
            date(2026, 3, 2),
            None,
        ),
        ("<BookgDt><Dt>2026-03-02+01:00</Dt></BookgDt>", date(2026, 3, 2), None),
        # no booking date: the value date stands in
        ("<ValDt><Dt>2026-03-04</Dt></ValDt>", date(2026, 3, 4), date(2026, 3, 4)),
        (
            "<ValDt><DtTm>2026-03-03T23:15:00Z</DtTm></ValDt>",
            date(2026, 3, 4),
            date(2026, 3, 4),
        ),
    ],
)
def test_dates(dates, booking, value):
    tx = only_tx(one_entry(dates=dates))
    assert (tx.booking_date, tx.value_date) == (booking, value)


def test_reversal_flag():
    content = one_entry().replace(b"<Sts>", b"<RvslInd>true</RvslInd><Sts>")
    assert only_tx(content).is_reversal


# --- hostile and broken input -----------------------------------------------------------


def test_billion_laughs_is_forbidden():
    content = (
        b'<?xml version="1.0"?>\n<!DOCTYPE Document [\n'
        b' <!ENTITY lol "lol">\n'
        b' <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
        b' <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">\n'
        b"]>\n" + one_entry(remittance="<Ustrd>&lol2;</Ustrd>").split(b"?>", 1)[1]
    )
    assert reason(content) == "xml_forbidden"


def test_external_entity_is_forbidden():
    content = (
        b'<?xml version="1.0"?>\n'
        b'<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
        + one_entry(remittance="<Ustrd>&secret;</Ustrd>").split(b"?>", 1)[1]
    )
    assert reason(content) == "xml_forbidden"


def test_any_doctype_is_forbidden():
    content = fixture_bytes("camt053_cz_symbols.xml").replace(
        b"<Document ", b"<!DOCTYPE Document>\n<Document ", 1
    )
    assert reason(content) == "xml_forbidden"


@pytest.mark.parametrize("fraction", [0.5, 0.1, 0.99])
def test_truncated_file_is_malformed(fraction):
    content = fixture_bytes("camt053_cz_symbols.xml")
    assert reason(content[: int(len(content) * fraction)]) == "xml_malformed"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\x01\x02\xff garbage",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b'{"accountStatement": {}}',
        b"0740000000192000145399HOSTUJICI FIRMA     010326",
        b"not xml at all",
    ],
)
def test_non_xml_is_malformed(content):
    assert reason(content) == "xml_malformed"


@pytest.mark.parametrize(
    "amount",
    ["12,50", "abc", "", " ", "-5.00", "0", "0.00", "NaN", "Infinity", "1e3", "1.2.3", "1" * 41],
)
def test_bad_entry_amount_is_rejected(amount):
    content = fixture_bytes("camt053_cz_symbols.xml")
    entry_amount = b'<Amt Ccy="CZK">1210.00</Amt>'  # the first occurrence is the Ntry's
    assert content.index(entry_amount) < content.index(b"<TxDtls>")
    content = content.replace(entry_amount, f'<Amt Ccy="CZK">{amount}</Amt>'.encode(), 1)
    assert reason(content) == "bad_amount"


def test_missing_entry_amount_is_rejected():
    content = fixture_bytes("camt053_cz_symbols.xml").replace(
        b'<Amt Ccy="CZK">45.00</Amt>\n        <CdtDbtInd>DBIT', b"<CdtDbtInd>DBIT", 1
    )
    assert reason(content) == "bad_amount"


def test_bad_balance_amount_is_rejected():
    content = fixture_bytes("camt053_cz_symbols.xml").replace(
        b'<Amt Ccy="CZK">109030.00</Amt>', b'<Amt Ccy="CZK">109 030,00</Amt>', 1
    )
    assert reason(content) == "bad_amount"


def test_bad_amount_inside_a_batch_is_rejected():
    content = fixture_bytes("camt053_cz_batch.xml").replace(b">2420.00<", b">2420,00<", 1)
    assert reason(content) == "bad_amount"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b">6050.00<", b">6000.00<"),  # the three no longer add up to 9680.00
        (  # one TxDtls without an amount
            b'<TxAmt>\n                <Amt Ccy="CZK">6050.00</Amt>\n              </TxAmt>',
            b'<InstdAmt><Amt Ccy="CZK">6050.00</Amt></InstdAmt>',
        ),
        (  # one TxDtls turned the other way: 1210 + 2420 - 6050 != 9680
            b"<InstrId>KS0308</InstrId>\n              <EndToEndId>VS2026000203</EndToEndId>"
            b"\n            </Refs>",
            b"<InstrId>KS0308</InstrId>\n              <EndToEndId>VS2026000203</EndToEndId>"
            b"\n            </Refs><CdtDbtInd>DBIT</CdtDbtInd>",
        ),
    ],
)
def test_batch_that_does_not_add_up_is_rejected(old, new):
    content = fixture_bytes("camt053_cz_batch.xml")
    assert old in content
    assert reason(content.replace(old, new, 1)) == "batch_mismatch"


def test_batch_with_one_txdtls_in_another_currency_is_one_movement():
    # CZK 1210 + CZK 2420 + EUR 6050 cannot be checked against CZK 9680: not split
    content = fixture_bytes("camt053_cz_batch.xml")
    old = b'<Amt Ccy="CZK">6050.00</Amt>'
    assert old in content
    tx = only_tx(content.replace(old, b'<Amt Ccy="EUR">6050.00</Amt>', 1))
    assert (tx.amount, tx.currency, tx.direction) == (
        Decimal("9680.00"),
        "CZK",
        Direction.CREDIT,
    )
    assert tx.raw["batch_unsplit"] == "currency"
    assert tx.message == "Faktura 2026000201 Faktura 2026000202 Faktura 2026000203"
    assert tx.variable_symbol == ""  # three different symbols: none is kept
    assert tx.bank_reference == "2026030300020001"


@pytest.mark.parametrize("version", ["01", "09", "13", "99"])
def test_unknown_version_is_rejected(version):
    content = fixture_bytes("camt053_cz_symbols.xml").replace(
        b"camt.053.001.02", f"camt.053.001.{version}".encode()
    )
    assert is_camt(content) == "camt053"  # routed here, then refused with a clear reason
    assert reason(content) == "unsupported_version"


@pytest.mark.parametrize(
    "namespace",
    [
        "urn:iso:std:iso:20022:tech:xsd:camt.052.001.02",
        "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03",
        "http://isdoc.cz/namespace/2013",
    ],
)
def test_other_xml_is_not_camt(namespace):
    content = one_entry(namespace=namespace)
    assert is_camt(content) is None
    assert reason(content) == "not_camt"
    assert reason(b"<Document><BkToCstmrStmt/></Document>") == "not_camt"


def test_camt_without_statements_is_rejected():
    content = one_entry()
    empty = content.split(b"<Stmt>")[0] + b"</BkToCstmrStmt></Document>"
    assert reason(empty) == "not_a_statement"
    # a camt.054 namespace around a camt.053 body holds no Ntfctn
    assert reason(content.replace(b"camt.053", b"camt.054")) == "not_a_statement"


def test_missing_dates_are_rejected():
    # a camt.053 statement entry is never dated by a creation date, though both the
    # GrpHdr and the Stmt of one_entry() carry a CreDtTm
    content = one_entry(dates="")
    assert b"<CreDtTm>" in content
    assert reason(content) == "missing_date"


# --- camt.054: entries without dates, batches in another currency ----------------------


def notification(
    *,
    dates: str = "",
    ntfctn_created: str = "2026-03-01T23:30:00Z",
    group_created: str = "2026-02-27T10:00:00+01:00",
    amount: str = '<Amt Ccy="SEK">200.00</Amt>',
    details: str = "",
) -> bytes:
    """A camt.054.001.08 with one Ntry DBIT; an empty *_created leaves that CreDtTm out."""
    group = f"<CreDtTm>{group_created}</CreDtTm>" if group_created else ""
    own = f"<CreDtTm>{ntfctn_created}</CreDtTm>" if ntfctn_created else ""
    ntry_details = f"<NtryDtls>{details}</NtryDtls>" if details else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{NS_054_08}">'
        f"<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>N1</MsgId>{group}</GrpHdr>"
        f"<Ntfctn><Id>N1</Id>{own}<Acct><Id><IBAN>{OUR_IBAN}</IBAN></Id></Acct>"
        f"<Ntry>{amount}<CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>{dates}"
        f"<AcctSvcrRef>E1</AcctSvcrRef>{ntry_details}</Ntry>"
        "</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()


def tx_details(amount: str, *, indicator: str = "", text: str = "") -> str:
    return (
        f"<TxDtls>{amount}"
        f"{f'<CdtDbtInd>{indicator}</CdtDbtInd>' if indicator else ''}"
        f"{f'<RmtInf><Ustrd>{text}</Ustrd></RmtInf>' if text else ''}</TxDtls>"
    )


@pytest.mark.parametrize(
    ("ntfctn_created", "group_created", "booking"),
    [
        ("2026-03-01T23:30:00Z", "2026-02-27T10:00:00+01:00", date(2026, 3, 2)),  # UTC → CET
        ("2026-07-01T22:30:00Z", "", date(2026, 7, 2)),  # CEST
        ("2026-03-01T23:30:00", "", date(2026, 3, 1)),  # naive: Prague time
        ("", "2026-02-27T23:30:00Z", date(2026, 2, 28)),  # no Ntfctn/CreDtTm: GrpHdr's
    ],
)
def test_notification_entry_without_dates_uses_the_creation_date(
    ntfctn_created, group_created, booking
):
    tx = only_tx(notification(ntfctn_created=ntfctn_created, group_created=group_created))
    assert tx.booking_date == booking
    assert tx.value_date is None
    assert tx.raw["date_source"] == "creation"


def test_notification_entry_dates_win_over_the_creation_date():
    tx = only_tx(notification(dates="<ValDt><Dt>2026-02-20</Dt></ValDt>"))
    assert (tx.booking_date, tx.value_date) == (date(2026, 2, 20), date(2026, 2, 20))
    assert "date_source" not in tx.raw


def test_notification_without_any_date_is_rejected():
    assert reason(notification(ntfctn_created="", group_created="")) == "missing_date"


def test_notification_bad_creation_date_is_rejected_only_when_needed():
    assert reason(notification(ntfctn_created="yesterday")) == "bad_date"
    tx = only_tx(
        notification(ntfctn_created="yesterday", dates="<BookgDt><Dt>2026-02-20</Dt></BookgDt>")
    )
    assert tx.booking_date == date(2026, 2, 20)


def test_notification_batch_in_another_currency_is_booked_once():
    details = tx_details('<Amt Ccy="CHF">3.10</Amt>', indicator="CRDT", text="first") + (
        tx_details('<AmtDtls><TxAmt><Amt Ccy="chf">3.20</Amt></TxAmt></AmtDtls>', text="second")
    )
    tx = only_tx(notification(dates="<BookgDt><Dt>2026-03-02</Dt></BookgDt>", details=details))
    assert (tx.amount, tx.currency, tx.direction) == (Decimal("200.00"), "SEK", Direction.DEBIT)
    assert tx.message == "first second"
    assert tx.bank_reference == "E1"
    assert tx.raw["batch_unsplit"] == "currency"
    assert tx.raw["tx_count"] == "2"
    assert "date_source" not in tx.raw


def test_notification_batch_without_dates_and_in_another_currency():
    details = tx_details('<Amt Ccy="CHF">3.10</Amt>') + tx_details('<Amt Ccy="CHF">3.20</Amt>')
    tx = only_tx(notification(details=details))
    assert (tx.amount, tx.currency, tx.booking_date) == (
        Decimal("200.00"),
        "SEK",
        date(2026, 3, 2),
    )
    assert (tx.raw["batch_unsplit"], tx.raw["date_source"]) == ("currency", "creation")


def test_notification_batch_with_an_amount_in_the_entry_currency_is_split():
    # each TxDtls also states its SEK amount: that one is compared, and they add up
    details = "".join(
        tx_details(
            f'<Amt Ccy="CHF">{chf}</Amt><AmtDtls><TxAmt><Amt Ccy="SEK">{sek}</Amt></TxAmt>'
            "</AmtDtls>",
            text=text,
        )
        for chf, sek, text in (("3.10", "120.00", "first"), ("2.10", "80.00", "second"))
    )
    parsed = parse_camt(
        notification(dates="<BookgDt><Dt>2026-03-02</Dt></BookgDt>", details=details)
    )
    first, second = all_transactions(parsed)
    assert [(tx.amount, tx.currency) for tx in (first, second)] == [
        (Decimal("120.00"), "SEK"),
        (Decimal("80.00"), "SEK"),
    ]
    assert [tx.message for tx in (first, second)] == ["first", "second"]
    assert "batch_unsplit" not in first.raw


@pytest.mark.parametrize(
    "details",
    [
        # same currency, 150 + 40 != 200
        tx_details('<Amt Ccy="SEK">150.00</Amt>') + tx_details('<Amt Ccy="SEK">40.00</Amt>'),
        # no Ccy on the TxDtls amounts: the entry's currency, and still 190 != 200
        tx_details("<Amt>150.00</Amt>") + tx_details("<Amt>40.00</Amt>"),
        # same currency, one TxDtls without an amount
        tx_details('<Amt Ccy="SEK">150.00</Amt>') + tx_details("", text="no amount"),
    ],
)
def test_notification_same_currency_batch_must_add_up(details):
    content = notification(dates="<BookgDt><Dt>2026-03-02</Dt></BookgDt>", details=details)
    assert reason(content) == "batch_mismatch"


@pytest.mark.parametrize(
    "dates",
    [
        "<BookgDt><Dt>2026-02-30</Dt></BookgDt>",
        "<BookgDt><Dt>02.03.2026</Dt></BookgDt>",
        "<BookgDt><DtTm>2026-03-02 10:00</DtTm></BookgDt>",
        "<BookgDt><DtTm>2026-03-01T25:00:00</DtTm></BookgDt>",
        "<BookgDt><Dt>2026-03-02</Dt></BookgDt><ValDt><Dt>yesterday</Dt></ValDt>",
    ],
)
def test_bad_dates_are_rejected(dates):
    assert reason(one_entry(dates=dates)) == "bad_date"


@pytest.mark.parametrize("indicator", ["", "CR", "credit"])
def test_bad_direction_is_rejected(indicator):
    assert reason(one_entry(indicator=indicator)) == "bad_direction"


def test_a_bad_entry_rejects_the_whole_file():
    # the first four entries are fine; the fee at the end is broken: nothing is returned
    content = fixture_bytes("camt053_cz_symbols.xml").replace(
        b'<Amt Ccy="CZK">45.00</Amt>', b'<Amt Ccy="CZK">-45.00</Amt>', 1
    )
    error = rejection(content)
    assert error.details == {
        "reason": "bad_amount",
        "where": "statement 0, entry 4",
        "value": "-45.00",
    }


# --- format sniffing --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (one_entry(), "camt053"),
        (b"\xef\xbb\xbf" + one_entry(), "camt053"),  # UTF-8 BOM
        (one_entry().replace(b"camt.053", b"camt.054"), "camt054"),
        (
            b"<!-- exported 2026-03-03 -->\n<c:Document xmlns:c="
            b'"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><c:BkToCstmrDbtCdtNtfctn/>'
            b"</c:Document>",
            "camt054",
        ),
        (  # the camt namespace only on an inner element: the root is something else
            b'<Envelope xmlns="urn:example:envelope"><Document '
            b'xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/></Envelope>',
            None,
        ),
        (  # the namespace in a comment, not on the root
            b"<!-- urn:iso:std:iso:20022:tech:xsd:camt.053.001.02 -->"
            b'<Document xmlns="urn:example"/>',
            None,
        ),
        (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02x"/>', None),
        (b"", None),
        (b"0740000000192000145399HOSTUJICI FIRMA     010326", None),
        (b'{"accountStatement": {}}', None),
    ],
)
def test_is_camt(content, expected):
    assert is_camt(content) == expected
