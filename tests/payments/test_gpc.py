"""GPC (074/075) parser: every public sample in ../shared/corpus/gpc and our own fixture.

No database. The expected counts and totals were read off the files, not produced by the
parser: a throw-away script sliced every 075 line (windows-1250) at [48:60] (amount in
hellers) and [60] (posting code), counted the records and summed 2/4 as credits and 1/5
as debits; shopeca's sums also equal the debit/credit turnovers its 074 header states
(187 008,64 / 550 948,00), and oubram's are 5 x 123,00 by eye.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from billing_portal.errors import StatementRejected
from payments.importers.base import Direction, ParsedFile
from payments.importers.gpc import parse_gpc
from tests.conftest import require_corpus

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
OWN = FIXTURES / "gpc_cz_windows1250.gpc"

# file -> (account, number of movements, {currency: (credits, debits)})
CORPUS_PARSED = {
    "oubram__sample.gpc": ("111-1111111111", 5, {"CZK": ("0.00", "615.00")}),
    "shopeca__bank.gpc": ("2501129872", 35, {"CZK": ("550948.00", "187008.64")}),
    "spojenet__basic_format.abo": ("1234567", 2, {"CZK": ("0.00", "2430.02")}),
}
# file -> the reason it is rejected for
CORPUS_REJECTED = {
    "spojenet__empty.abo": "empty_file",  # 0 bytes
    # its 075 line does not follow the 128-character layout within its first 128
    # characters (a 7-digit block where the value date belongs): the due-date field
    # holds "icesAd"; the header also has a 22-character name
    "spojenet__extended_format.abo": "bad_date",
    "spojenet__malformed.abo": "truncated_record",  # first line "074invalid_data_format"
}


def corpus_file(name: str) -> bytes:
    folder = CORPUS / "gpc"
    require_corpus(CORPUS)
    return (folder / name).read_bytes()


def summary(parsed: ParsedFile) -> tuple[int, dict[str, tuple[str, str]]]:
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal("0.00"), Decimal("0.00")])
    count = 0
    for statement in parsed.statements:
        for tx in statement.transactions:
            count += 1
            totals[tx.currency][0 if tx.direction == Direction.CREDIT else 1] += tx.amount
    return count, {ccy: (str(c), str(d)) for ccy, (c, d) in totals.items()}


def reason_of(content: bytes) -> str:
    with pytest.raises(StatementRejected) as caught:
        parse_gpc(content)
    return caught.value.details["reason"]


def test_every_corpus_file_is_listed():
    require_corpus(CORPUS)
    names = {path.name for path in (CORPUS / "gpc").iterdir()}
    assert names == set(CORPUS_PARSED) | set(CORPUS_REJECTED)


@pytest.mark.parametrize("name", sorted(CORPUS_PARSED))
def test_corpus_file_parses_with_the_counted_totals(name):
    account, count, totals = CORPUS_PARSED[name]
    parsed = parse_gpc(corpus_file(name))
    assert parsed.format == "gpc"
    assert [s.account for s in parsed.statements] == [account]
    assert summary(parsed) == (count, totals)


@pytest.mark.parametrize("name", sorted(CORPUS_REJECTED))
def test_corpus_negative_file_is_rejected(name):
    assert reason_of(corpus_file(name)) == CORPUS_REJECTED[name]


def test_shopeca_real_fio_export_details():
    statement = parse_gpc(corpus_file("shopeca__bank.gpc")).statements[0]
    # the header follows the standard layout: balances and dates are taken and add up
    assert statement.opening_balance == Decimal("0.00")
    assert statement.closing_balance == Decimal("363939.36")
    assert (statement.date_from, statement.date_to) == (date(2016, 1, 1), date(2017, 5, 4))
    directions = [tx.direction for tx in statement.transactions]
    assert directions.count(Direction.DEBIT) == 27
    assert directions.count(Direction.CREDIT) == 8
    first = statement.transactions[0]  # cash deposit, KS 0558
    assert (first.amount, first.direction, first.constant_symbol) == (
        Decimal("100.00"),
        Direction.CREDIT,
        "558",
    )
    assert first.bank_reference == "13874030997"
    assert first.booking_date == date(2017, 1, 3)
    tax = statement.transactions[7]  # "Platba daň z příjmu" to 7704-0077621761/0710
    assert tax.message == "Platba daň z příjmu"
    assert tax.counterparty_account == "7704-77621761/0710"
    assert (tax.variable_symbol, tax.constant_symbol) == ("5457939", "1148")
    assert tax.amount == Decimal("96710.00")
    last = statement.transactions[-1]
    assert (last.variable_symbol, last.specific_symbol) == ("878431585", "49")


def test_basic_format_posting_code_5_is_a_reversed_credit():
    statement = parse_gpc(corpus_file("spojenet__basic_format.abo")).statements[0]
    # its header has a 22-character name: nothing but the account is trusted from it
    assert statement.opening_balance is None and statement.date_to is None
    tx = statement.transactions[0]
    assert (tx.direction, tx.is_reversal) == (Direction.DEBIT, True)
    assert (tx.variable_symbol, tx.constant_symbol, tx.specific_symbol) == (
        "1746581670",
        "558",
        "9999",
    )
    assert tx.currency == "CZK"  # data type "1101": the classic "rmoo" with m = 1 (CZK)


# --- our own fixture: windows-1250, CRLF, posting codes 1/2/4/5 --------------------------


def own() -> bytes:
    return OWN.read_bytes()


def records(content: bytes) -> list[bytes]:
    return content.split(b"\r\n")[:-1]


def rebuild(lines: list[bytes], end: bytes = b"\r\n") -> bytes:
    return end.join(lines) + end


def with_field(content: bytes, record: int, start: int, value: bytes) -> bytes:
    lines = records(content)
    line = lines[record]
    lines[record] = line[:start] + value + line[start + len(value) :]
    return rebuild(lines)


def test_own_fixture_exact_values():
    parsed = parse_gpc(own())
    (statement,) = parsed.statements
    assert statement.account == "19-2000145399"
    assert statement.currency == "CZK"
    assert statement.statement_id == "7"
    assert statement.opening_balance == Decimal("10000.00")
    assert statement.closing_balance == Decimal("16110.00")
    assert (statement.date_from, statement.date_to) == (date(2025, 2, 28), date(2025, 3, 31))
    rows = [
        (
            tx.amount,
            tx.direction,
            tx.is_reversal,
            tx.variable_symbol,
            tx.specific_symbol,
            tx.constant_symbol,
            tx.counterparty_name,
            tx.counterparty_account,
            tx.bank_reference,
            tx.booking_date,
        )
        for tx in statement.transactions
    ]
    assert rows == [
        (Decimal("1210.00"), "credit", False, "260100010", "42", "308", "Nováková Jiřina",
         "123456789/0800", "101", date(2025, 3, 5)),
        (Decimal("250.50"), "debit", False, "9999", "", "1148", "Poplatek za vedení",
         "19-1234/0100", "102", date(2025, 3, 10)),
        (Decimal("250.50"), "credit", True, "9999", "", "1148", "Storno poplatku",
         "19-1234/0100", "103", date(2025, 3, 11)),
        (Decimal("100.00"), "debit", True, "777", "", "", "Šťastný Řehoř",
         "2400406244/2010", "104", date(2025, 3, 13)),
        (Decimal("5000.00"), "credit", False, "", "", "", "Žluťoučký kůň a.s.",
         "", "105", date(2025, 3, 17)),
    ]  # fmt: skip
    assert [tx.position for tx in statement.transactions] == [0, 1, 2, 3, 4]
    fourth = statement.transactions[3]
    assert fourth.value_date == date(2025, 3, 12)  # value date and booking (due) date differ
    assert fourth.raw["posting_code"] == "5"
    assert statement.transactions[0].message == "Nováková Jiřina"


def test_line_ends_final_newline_and_utf8_do_not_matter():
    expected = parse_gpc(own())
    lines = records(own())
    assert parse_gpc(b"\n".join(lines)) == expected  # LF, no final newline
    assert parse_gpc(b"\r\n".join(lines) + b"\r\n\x1a") == expected  # DOS EOF mark
    utf8 = own().decode("windows-1250").encode("utf-8")
    assert parse_gpc(utf8) == expected


def test_over_long_records_are_read_by_position():
    lines = records(own())
    lines[1] += b"SEPA tail of a bank-specific extended format " * 20
    assert parse_gpc(rebuild(lines)).statements == parse_gpc(own()).statements


def test_header_without_filler_is_accepted():
    lines = records(own())
    lines[0] = lines[0].rstrip()  # 114 characters: the 14 spaces of filler are gone
    assert parse_gpc(rebuild(lines)).statements[0].closing_balance == Decimal("16110.00")


def test_currency_field_gives_the_currency():
    content = own()
    for record in range(1, 6):
        content = with_field(content, record, 118, b"0978")
    statement = parse_gpc(content).statements[0]
    assert statement.currency == "EUR"
    assert {tx.currency for tx in statement.transactions} == {"EUR"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda c: rebuild([*records(c)[:-1], records(c)[-1][:100]]), "truncated_record"),
        (lambda c: with_field(c, 2, 48, b"0000000A2505"), "bad_amount"),
        (lambda c: with_field(c, 2, 48, b"00000002505 "), "bad_amount"),
        (lambda c: with_field(c, 1, 91, b"310225"), "bad_date"),  # 31 February
        (lambda c: with_field(c, 1, 122, b"051325"), "bad_date"),  # month 13
        (lambda c: with_field(c, 1, 100, b"\x81"), "bad_encoding"),
        (lambda c: with_field(c, 2, 60, b"3"), "bad_posting_code"),
        (lambda c: with_field(c, 1, 61, b"02601X0010"), "bad_symbol"),
        (lambda c: with_field(c, 3, 118, b"0999"), "bad_currency"),
        (lambda c: with_field(c, 3, 118, b"0978"), "currency_mismatch"),
        (lambda c: rebuild([*records(c), b"999unknown record"]), "unknown_record"),
        (lambda c: rebuild(records(c)[1:]), "missing_header"),
        # one movement missing: the header's balances no longer add up
        (lambda c: rebuild(records(c)[:-1]), "balance_mismatch"),
        (lambda c: b"\r\n \r\n", "empty_file"),
    ],
)
def test_broken_variants_are_rejected_whole(change, reason):
    assert reason_of(change(own())) == reason


def test_rejection_carries_the_line_and_a_readable_message():
    with pytest.raises(StatementRejected) as caught:
        parse_gpc(with_field(own(), 2, 48, b"0000000A2505"))
    error = caught.value
    assert error.details == {"reason": "bad_amount", "line": 3, "value": "0000000A2505"}
    with translation.override("en"):
        assert str(error.message) == "Line 3: the amount 0000000A2505 is not a number of hellers."
    assert error.as_dict()["code"] == "statement_rejected"


def test_supplementary_records_attach_to_their_movement():
    lines = records(own())
    lines.insert(2, b"078" + b"Faktura 2025001".ljust(35) + b"VS 260100010".ljust(35))
    lines.insert(3, b"076" + b"0" * 26 + b"050325")
    tx = parse_gpc(rebuild(lines)).statements[0].transactions[0]
    assert tx.message == "Nováková Jiřina Faktura 2025001 VS 260100010"
    assert len(tx.raw["supplements"]) == 2
    orphan = rebuild([records(own())[0], b"078" + b"text".ljust(70), *records(own())[1:]])
    assert reason_of(orphan) == "orphan_record"


def test_duplicate_document_numbers_are_not_used_as_references():
    content = with_field(own(), 2, 35, b"0000000000101")  # same number as record 1
    transactions = parse_gpc(content).statements[0].transactions
    assert [tx.bank_reference for tx in transactions] == ["", "", "103", "104", "105"]
    assert transactions[0].raw["duplicate_bank_reference"] == "101"


def test_blank_due_date_falls_back_to_the_value_date():
    tx = parse_gpc(with_field(own(), 5, 122, b"      ")).statements[0].transactions[4]
    assert tx.booking_date == tx.value_date == date(2025, 3, 14)
