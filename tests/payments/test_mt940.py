"""MT940 parser: every public sample in ../shared/corpus/mt940, and dialect details.

No database. How the expected values were obtained (not with the parser): a throw-away
script read each file as latin-1, remembered the currency of the last :60F:/:60M: line,
matched every ":61:" line with ``:61:\\d{6}(\\d{4})?\\s*(RC|RD|C|D)[A-Z]?\\s*(\\d+[,.]?\\d*)``
and summed C/RD as credits and D/RC as debits; statements are the ":20:" lines counted
by a tag census. The movement counts equal INDEX.md's ":61:" column for every file, and
for the 36 files that Tryton's `mt940` 0.8.1 reads, its totals agree too except
triodos and ing-dos, where that library cuts the amount short ("D25,03NOV " is read as
25.0 with type "3NOV"; see payments/importers/mt940.py).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from billing_portal.errors import StatementRejected
from payments.importers.base import Direction, ParsedFile
from payments.importers.mt940 import parse_mt940
from tests.conftest import require_corpus

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

# file -> (statements, movements, {currency: (credits, debits)})
CORPUS_PARSED = {
    "fruitl00p-bunq__sample": (1, 111, {"EUR": ("761.66", "788.33")}),
    "fruitl00p-hsbc__sample": (1, 1, {"HKD": ("0", "20000.00")}),
    "fruitl00p-kbs__sample": (1, 3, {"MKD": ("2250", "380")}),
    "fruitl00p-kontist__sample": (1, 6, {"EUR": ("515.95", "120.19")}),
    "fruitl00p-penta__sample": (1, 30, {"EUR": ("121.38", "10697.68")}),
    "fruitl00p-rabo__sample": (
        39,
        39,
        {
            "EUR": ("137379.47", "104587.96"),
            "USD": ("165800.31", "1000.00"),
            "JPY": ("1640129", "486619"),
        },
    ),
    "fruitl00p-spk__sample": (4, 10, {"EUR": ("932", "16.68")}),
    "fruitl00p-triodos__sample": (2, 8, {"EUR": ("300.00", "390.98")}),
    "fruitl00p-zetb__sample": (1, 8, {"NGN": ("220000.00", "223743.91")}),
    "jejik__K4262927_20200905-080000-952.txt": (1, 1, {"EUR": ("230.00", "0")}),
    "jejik__commerzbank.txt": (1, 1, {"EUR": ("0", "12.35")}),
    "jejik__deutschebank.txt": (1, 1, {"EUR": ("0", "12.35")}),
    "jejik__ing-dos.txt": (1, 7, {"EUR": ("4.68", "50.27")}),
    "jejik__lbbw.txt": (1, 2, {"EUR": ("0.01", "0.01")}),
    "jejik__oldenburgischelandesbank.txt": (1, 1, {"EUR": ("104.50", "0")}),
    "jejik__sparkasse.txt": (2, 2, {"EUR": ("0", "40.00")}),
    "jejik__sparkasse_interim_balance.txt": (3, 2, {"EUR": ("0", "40.00")}),
    "jejik__volksbankenraiffeisenbanken.txt": (8, 12, {"EUR": ("745.00", "0")}),
    "oca10__test-ing-old.940": (1, 8, {"EUR": ("36.58", "134.46")}),
    "oca10__test-ing.940": (1, 8, {"EUR": ("36.58", "134.46")}),
    "oca10__test-rabo.swi": (4, 2, {"EUR": ("400.00", "34.61")}),
    "oca10__test-sns.940": (3, 8, {"EUR": ("0.00", "1715.68")}),
    "wolph-asnb__mt940.txt": (31, 8, {"EUR": ("2828.90", "2771.96")}),
    "wolph-betterplace__sepa_mt9401.sta": (26, 97, {"EUR": ("5188474.94", "14457610.84")}),
    "wolph-betterplace__with_binary_character.sta": (2, 4, {"EUR": ("14215.30", "193282.05")}),
    "wolph-citi__mt940.txt": (1, 5, {"USD": ("0.00", "1142.75")}),
    "wolph-cmxl__mt940.sta": (
        3,
        16,
        {
            "DEM": ("49396.74", "49309.44"),
            "EUR": ("3000", "800"),
            "PLN": ("20040.00", "10000.00"),
        },
    ),
    "wolph-jejik__abnamro.sta": (2, 10, {"EUR": ("0", "345.93")}),
    "wolph-jejik__ing.sta": (1, 7, {"EUR": ("4.68", "50.27")}),
    "wolph-jejik__knab.sta": (2, 3, {"EUR": ("1000", "7260")}),
    "wolph-jejik__postfinance.sta": (2, 4, {"CHF": ("239.3", "79.9")}),
    "wolph-jejik__rabobank.sta": (4, 5, {"EUR": ("0", "1589.09")}),
    "wolph-jejik__sns.sta": (2, 2, {"EUR": ("0", "25.00")}),
    "wolph-jejik__triodos.sta": (1, 2, {"EUR": ("0", "715.70")}),
    "wolph-mbank__mt940.sta": (1, 3, {"PLN": ("0.03", "0")}),
    "wolph-mbank__with_newline_in_tnr.sta": (1, 2, {"PLN": ("89.00", "0")}),
    "wolph-sberbank__171011_01234945.sta": (1, 3, {"HUF": ("0", "9437.00")}),
    "wolph-self-provided__gv_codes.sta": (1, 2, {"EUR": ("0", "257.45")}),
    "wolph-self-provided__malformed_details.sta": (1, 1, {"EUR": ("0", "233.15")}),
    "wolph-self-provided__multiline.sta": (1, 2, {"EUR": ("119", "5")}),
    "wolph-self-provided__raiffeisen-cmi.sta": (1, 7, {"HUF": ("2066637.00", "3078850.50")}),
    "wolph-self-provided__raphaelm.sta": (3, 9, {"DEM": ("145000.00", "50000.00")}),
    "wolph-self-provided__whitespace.sta": (1, 1, {"EUR": ("0", "233.15")}),
}
CORPUS_REJECTED = {
    # a valid Rabobank statement behind a first line ":9401:": the file declares a
    # message type that is not MT940 (OCA's importer rejects it for its first line too)
    "oca10__test-wrong-file.940": "not_a_statement",
    "wolph-betterplace__amount_formats.sta": "not_a_statement",  # six :60F: lines only
    "wolph-mbank__mt942.sta": "interim_report",
    "wolph-self-provided__mt942.sta": "interim_report",
    "wolph-self-provided__february_30.sta": "bad_date",  # :61:160230...
    "wolph-self-provided__sparkassen.sta": "not_a_statement",  # a bare :61:/:86: snippet
    "wolph-self-provided__transaction_details_wrapped.sta": "bad_date",  # 30 February too
}


def corpus_file(name: str) -> bytes:
    require_corpus(CORPUS)
    return (CORPUS / "mt940" / name).read_bytes()


def summary(parsed: ParsedFile) -> tuple[int, int, dict[str, tuple[Decimal, Decimal]]]:
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    count = 0
    for statement in parsed.statements:
        for tx in statement.transactions:
            count += 1
            assert tx.amount >= 0
            totals[tx.currency][0 if tx.direction == Direction.CREDIT else 1] += tx.amount
    return len(parsed.statements), count, {ccy: tuple(v) for ccy, v in totals.items()}


def reason_of(content: bytes) -> str:
    with pytest.raises(StatementRejected) as caught:
        parse_mt940(content)
    return caught.value.details["reason"]


def test_every_corpus_file_is_listed():
    require_corpus(CORPUS)
    names = {path.name for path in (CORPUS / "mt940").iterdir()}
    assert names == set(CORPUS_PARSED) | set(CORPUS_REJECTED)


@pytest.mark.parametrize("name", sorted(CORPUS_PARSED))
def test_corpus_file_parses_with_the_counted_totals(name):
    statements, count, totals = CORPUS_PARSED[name]
    parsed = parse_mt940(corpus_file(name))
    assert parsed.format == "mt940"
    expected = {ccy: (Decimal(c), Decimal(d)) for ccy, (c, d) in totals.items()}
    assert summary(parsed) == (statements, count, expected)


@pytest.mark.parametrize("name", sorted(CORPUS_REJECTED))
def test_corpus_negative_file_is_rejected(name):
    assert reason_of(corpus_file(name)) == CORPUS_REJECTED[name]


def test_accounts_lose_their_currency_suffix():
    def accounts(name: str) -> set[str]:
        return {s.account for s in parse_mt940(corpus_file(name)).statements}

    assert accounts("oca10__test-rabo.swi") == {"NL34RABO0142623393"}  # "... EUR"
    assert accounts("oca10__test-ing.940") == {"NL77INGB0574908765"}  # "...8765EUR"
    assert accounts("wolph-self-provided__raiffeisen-cmi.sta") == {
        "UBRTHUHB/123456789150ABCDEF002"  # ".../HUF"
    }
    assert accounts("wolph-jejik__rabobank.sta") == {"1291.99.348", "1526.89.184"}
    assert accounts("jejik__volksbankenraiffeisenbanken.txt") == {"66642399/93387"}


def test_statement_balances_dates_and_intermediate_balances():
    statements = parse_mt940(corpus_file("jejik__sparkasse_interim_balance.txt")).statements
    assert [s.currency for s in statements] == ["EUR", "EUR", "EUR"]
    assert statements[0].opening_balance is not None
    assert all(s.date_from and s.date_to for s in statements)
    raphaelm = parse_mt940(corpus_file("wolph-self-provided__raphaelm.sta")).statements
    # the second statement opens with :60M: only; the first closes with a :62M:
    # without currency ("C020315105000,00")
    assert raphaelm[1].opening_balance == Decimal("105000.00")
    assert raphaelm[0].closing_balance == Decimal("105000.00")


def test_bank_reference_is_the_part_after_the_double_slash_only():
    tx = parse_mt940(corpus_file("wolph-mbank__mt940.sta")).statements[0].transactions[0]
    assert tx.bank_reference == "MB170119012058"
    assert tx.raw["customer_reference"] == "NONREF"
    # Rabobank's old format puts the counterparty's account where the customer
    # reference belongs: it must not become the idempotency key
    rabo = parse_mt940(corpus_file("fruitl00p-rabo__sample")).statements[4].transactions[0]
    assert rabo.raw["customer_reference"] == "170059286"
    assert rabo.bank_reference == ""


def test_german_structured_details():
    tx = parse_mt940(corpus_file("fruitl00p-kontist__sample")).statements[0].transactions[2]
    assert tx.message == "Rechnung-Nr.: INV-00002 v. 13.02.21"
    assert tx.counterparty_name == "DM PUTZ + STUCK UG HAFTUNGSBESCHRANKT"
    assert tx.counterparty_account == "DE32334400000003909884"
    assert tx.counterparty_bank == "MGLSDE33XXX"


def test_code_page_852_text_is_decoded():
    tx = parse_mt940(corpus_file("wolph-self-provided__raiffeisen-cmi.sta")).statements[0]
    assert tx.transactions[0].raw["supplementary"] == "Csoportos átutalás jóváírása"
    assert tx.transactions[1].raw["supplementary"] == "Bankon belüli átutalás"


def test_control_characters_are_dropped():
    parsed = parse_mt940(corpus_file("wolph-mbank__mt940.sta"))  # framed by SOH ... ETX
    assert parsed.statements[0].account == "PL29114010810000267002001002"
    binary = parse_mt940(corpus_file("wolph-betterplace__with_binary_character.sta"))
    assert binary.statements[0].statement_id  # parsed despite U+009C / U+009F


def test_zero_amount_movements_are_reported_as_the_bank_wrote_them():
    transactions = parse_mt940(corpus_file("wolph-citi__mt940.txt")).statements[0].transactions
    assert [tx.amount for tx in transactions].count(Decimal("0.00")) == 2


# --- dialect details on small statements written here ----------------------------------

STATEMENT = """:20:STMT1
:25:CZ6508000000192000145399
:28C:7/1
:60F:C250228CZK10000,00
{movements}
:62F:C250331CZK11000,00
-
"""


def mt940(movements: str, encoding: str = "utf-8") -> bytes:
    return STATEMENT.format(movements=movements.strip("\n")).encode(encoding)


def only(content: bytes):
    (statement,) = parse_mt940(content).statements
    return statement


def test_marks_directions_and_reversals():
    statement = only(
        mt940(
            """
:61:2503050305C1210,00NTRFNONREF//B001
:61:2503060306D250,5NTRFNONREF//B002
:61:2503070307RD250,50NTRFNONREF//B003
:61:2503080308RC100,NTRFNONREF//B004
"""
        )
    )
    assert statement.account == "CZ6508000000192000145399"
    assert statement.currency == "CZK"
    assert statement.statement_id == "7/1"
    assert [(tx.direction, tx.amount, tx.is_reversal) for tx in statement.transactions] == [
        ("credit", Decimal("1210.00"), False),
        ("debit", Decimal("250.5"), False),
        ("credit", Decimal("250.50"), True),  # reversal of a debit: money back
        ("debit", Decimal("100"), True),  # reversal of a credit: money taken back
    ]
    assert [tx.bank_reference for tx in statement.transactions] == [
        "B001",
        "B002",
        "B003",
        "B004",
    ]


def test_symbols_are_read_from_the_details():
    statement = only(
        mt940(
            """
:61:2503050305C100,00NTRFNONREF//B1
:86:/VS/0260100010/SS/42/KS/0308
:61:2503050305C100,00NTRFNONREF//B2
:86:Platba faktury VS:2025001 SS: 7
:61:2503050305C100,00NTRFNONREF//B3
:86:FAKTURA VS 123456 KS 0558
:61:2503050305C100,00NTRFNONREF//B4
:86:VS12345678901 is eleven digits; PREVS 99 is not a symbol
"""
        )
    )
    assert [
        (tx.variable_symbol, tx.specific_symbol, tx.constant_symbol)
        for tx in statement.transactions
    ] == [("260100010", "42", "308"), ("2025001", "7", ""), ("123456", "", "558"), ("", "", "")]


def test_windows_1250_czech_text():
    content = mt940(
        """
:61:2503050305C1210,00NTRFNONREF//B1
:86:Nováková Jiřina, záloha za doménu příští rok, VS 2025001
""",
        encoding="windows-1250",
    )
    tx = only(content).transactions[0]
    assert tx.message == "Nováková Jiřina, záloha za doménu příští rok, VS 2025001"
    assert tx.variable_symbol == "2025001"


def test_wrapped_details_join_without_breaking_words():
    line = "/EREF/" + "A" * 55  # with ":86:" a full 65-character line
    statement = only(mt940(f":61:2503050305C1,00NTRFNONREF//B1\n:86:{line}\nBC/REMI/Hi\nthere"))
    assert statement.transactions[0].message == "/EREF/" + "A" * 55 + "BC/REMI/Hi there"


def test_entry_date_across_new_year():
    statement = only(
        mt940(
            """
:61:2412310102C1,00NTRFNONREF//B1
:61:2501021231D1,00NTRFNONREF//B2
"""
        )
    )
    first, second = statement.transactions
    assert (first.value_date, first.booking_date) == (date(2024, 12, 31), date(2025, 1, 2))
    assert (second.value_date, second.booking_date) == (date(2025, 1, 2), date(2024, 12, 31))


def test_repeated_bank_references_are_dropped():
    statement = only(
        mt940(
            """
:61:2503050305C1,00NTRFNONREF//SAME
:61:2503050305C1,00NTRFNONREF//SAME
:61:2503050305C2,00NTRFNONREF//OTHER
"""
        )
    )
    assert [tx.bank_reference for tx in statement.transactions] == ["", "", "OTHER"]


def test_statement_information_after_the_closing_balance_is_not_a_movement_message():
    content = mt940(":61:2503050305C1,00NTRFNONREF//B1\n:86:for the movement").replace(
        b"-\n", b":86:statement footer\n-\n"
    )
    assert only(content).transactions[0].message == "for the movement"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (mt940(":61:2502300230C1,00NTRFNONREF"), "bad_date"),
        (mt940(":61:2503051331C1,00NTRFNONREF"), "bad_date"),  # entry date month 13
        (mt940(":61:2503050305C1,2,3NTRFNONREF"), "bad_amount"),
        (mt940(":61:2503050305X1,00NTRFNONREF"), "bad_record"),
        (mt940(":61:2503050305C1,00NTRF").replace(b":60F:C250228CZK10000,00\n", b""),
         "missing_balance"),
        (mt940(":61:2503050305C1,00NTRF").replace(b":25:CZ6508000000192000145399\n", b""),
         "not_a_statement"),
        (b"{1:F01BANKCZPPAXXX0000000000}{2:O942BANKCZPPXXXXN}{4:\n"
         + mt940(":61:2503050305C1,00NTRF"), "interim_report"),
        (mt940(":61:2503050305C1,00NTRF").replace(b":28C:7/1", b":28C:7/1\n:13D:2503051200+0100"),
         "interim_report"),
        (b"Date;Amount\n01.03.2025;100,00\n", "not_a_statement"),
        (b"\n\n", "empty_file"),
    ],
)  # fmt: skip
def test_broken_statements_are_rejected(content, reason):
    assert reason_of(content) == reason
