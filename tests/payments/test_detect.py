"""Format detection by content and dispatch to the parsers; no database."""

from __future__ import annotations

from pathlib import Path

import pytest

from billing_portal.errors import StatementRejected
from payments.importers.detect import detect_format, parse_statement
from tests.conftest import require_corpus

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

NOT_DETECTED = {
    "gpc/spojenet__empty.abo": "empty_file",
    # a single Fio movement object, not an account statement
    "fio-json/mhujer__example-transaction.json": "unknown_format",
}
EXPECTED_FORMAT = {"gpc": "gpc", "mt940": "mt940", "fio-json": "fio-json"}

CSV_MAPPING = {
    "columns": {"booking_date": "Datum zaúčtování", "amount": "Částka", "variable_symbol": "VS"},
    "account": "19-2000145399/0800",
    "currency": "CZK",
    "delimiter": ";",
    "encoding": "windows-1250",
    "skip_rows": 2,
    "date_format": "%d.%m.%Y",
    "decimal_comma": True,
}


def corpus_names() -> list[str]:
    if not CORPUS.is_dir():  # one placeholder case, which skips (fails under CI)
        return ["(corpus absent)"]
    return sorted(
        f"{folder}/{path.name}"
        for folder in EXPECTED_FORMAT
        for path in (CORPUS / folder).iterdir()
    )


def corpus_file(name: str) -> bytes:
    require_corpus(CORPUS)
    return (CORPUS / name).read_bytes()


def reason_of(call) -> str:
    with pytest.raises(StatementRejected) as caught:
        call()
    return caught.value.details["reason"]


def test_corpus_is_there_or_skipped():
    require_corpus(CORPUS)
    assert len(corpus_names()) == 6 + 50 + 10


@pytest.mark.parametrize("name", corpus_names())
def test_corpus_file_is_detected_by_content(name):
    content = corpus_file(name)
    if name in NOT_DETECTED:
        assert reason_of(lambda: detect_format(content)) == NOT_DETECTED[name]
    else:
        assert detect_format(content) == EXPECTED_FORMAT[name.split("/")[0]]


def test_fio_error_body_is_detected_as_fio_and_rejected_by_its_parser():
    content = corpus_file("fio-json/h4kuna-fio__server-exception.xml")
    assert detect_format(content) == "fio-json"
    assert reason_of(lambda: parse_statement(content)) == "fio_error"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("camt053/genkgo__camt053.v2.minimal.xml", "camt053"),
        ("camt053/oca16__test-camt053", "camt053"),
        ("camt054/genkgo__camt054.v2.xml", "camt054"),
    ],
)
def test_camt_is_recognised_through_the_camt_module(name, expected):
    pytest.importorskip("payments.importers.camt")
    assert detect_format(corpus_file(name)) == expected


def test_own_fixtures():
    assert detect_format((FIXTURES / "gpc_cz_windows1250.gpc").read_bytes()) == "gpc"
    csv = (FIXTURES / "csv_cz_windows1250.csv").read_bytes()
    assert reason_of(lambda: detect_format(csv)) == "unknown_format"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xef\xbb\xbf:20:X\n:25:1\n", "mt940"),
        (b"\x01\n:20:ST170119CYC/0001\n", "mt940"),
        (b"ABNANL2A\n940\nABNANL2A\n:20:ABN AMRO BANK NV\n", "mt940"),
        (b"{1:F01BANKCZPPAXXX0000000000}{2:O940BANKCZPPXXXXN}{4:\n:20:X\n", "mt940"),
        (b":61:2503050305C1,00NTRF\n:86:VS 1\n", "mt940"),  # its parser rejects it
        (b"\r\n074" + b"0" * 125 + b"\r\n", "gpc"),
        (b' {"accountStatement": {"info": {}}}', "fio-json"),
    ],
)
def test_detection_edge_cases(content, expected):
    assert detect_format(content) == expected


@pytest.mark.parametrize(
    "content",
    [b"", b"  \r\n", b"{}", b'{"column22": {"value": 1}}', b"<html></html>", b"%PDF-1.7\n"],
)
def test_unrecognised_content_is_rejected(content):
    assert reason_of(lambda: detect_format(content)) in ("unknown_format", "empty_file")


def test_parse_statement_dispatches_by_detected_format():
    parsed = parse_statement((FIXTURES / "gpc_cz_windows1250.gpc").read_bytes())
    assert parsed.format == "gpc"
    assert len(parsed.statements[0].transactions) == 5


def test_csv_needs_its_mapping_and_accepts_the_stored_dict():
    csv = (FIXTURES / "csv_cz_windows1250.csv").read_bytes()
    assert reason_of(lambda: parse_statement(csv, format="csv")) == "csv_mapping_required"
    assert reason_of(lambda: parse_statement(csv)) == "unknown_format"
    for format in ("csv", "auto"):  # "auto": not detected, so the mapping is used
        parsed = parse_statement(csv, format=format, csv_mapping=CSV_MAPPING)
        assert parsed.format == "csv"
        assert [tx.variable_symbol for tx in parsed.statements[0].transactions] == [
            "260100010",
            "9999",
            "",
            "",
        ]
    broken = {**CSV_MAPPING, "columns": {"amount": "Částka"}}
    assert reason_of(lambda: parse_statement(csv, format="csv", csv_mapping=broken)) == (
        "csv_bad_mapping"
    )


def test_a_detected_format_wins_over_a_csv_mapping():
    gpc = (FIXTURES / "gpc_cz_windows1250.gpc").read_bytes()
    assert parse_statement(gpc, csv_mapping=CSV_MAPPING).format == "gpc"


def test_explicit_format_is_used_and_unknown_names_are_rejected():
    gpc = (FIXTURES / "gpc_cz_windows1250.gpc").read_bytes()
    assert parse_statement(gpc, format="gpc").format == "gpc"
    assert reason_of(lambda: parse_statement(gpc, format="mt940")) == "not_a_statement"
    assert reason_of(lambda: parse_statement(gpc, format="ofx")) == "unknown_format"
