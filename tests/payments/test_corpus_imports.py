"""Every corpus statement through the importer: good files land once with the
file's own totals, negative and malformed files are stored rejected and leave
no transaction behind."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payments.importing import import_statement
from payments.models import BankTransaction, StatementImport

NEGATIVE = {
    "camt053/genkgo__camt053.v2.wrong.xml": "not_a_statement",
    "gpc/spojenet__empty.abo": "empty_file",
    "gpc/spojenet__malformed.abo": "truncated_record",
    "gpc/spojenet__extended_format.abo": "bad_date",
    "mt940/oca10__test-wrong-file.940": "not_a_statement",
    "mt940/wolph-mbank__mt942.sta": "interim_report",
    "mt940/wolph-self-provided__february_30.sta": "bad_date",
    "fio-json/h4kuna-fio__server-exception.xml": "fio_error",
    "fio-json/mhujer__example-transaction.json": "unknown_format",
}

# file -> (transactions, {currency: (credit, debit)}) — the same figures the parser
# tests hard-code from the files themselves; here they must survive the importer.
GOOD = {
    "camt053/oca16__test-camt053": (4, {"EUR": ("1405.31", "1418.30")}),
    "camt053/genkgo__camt053.v2.multi.statement.xml": (2, {"EUR": ("8.85", "7.00")}),
    "camt054/oca16__test-camt054": (1, {"EUR": ("5.00", "0.00")}),
    "gpc/shopeca__bank.gpc": (35, {"CZK": ("550948.00", "187008.64")}),
    "mt940/fruitl00p-bunq__sample": (111, {"EUR": ("761.66", "788.33")}),
    "fio-json/h4kuna-fio__2015-01-01-2015-04-16-transactions.json": (
        10, {"CZK": ("4004.33", "5283.33")}
    ),
}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "reason"), sorted(NEGATIVE.items()))
def test_negative_file_is_stored_rejected_and_leaves_nothing(corpus, name, reason):
    content = (corpus / name).read_bytes()
    result = import_statement(content=content, source="command", filename=name,
                              register_account=True)  # fmt: skip
    record = result.statement_import
    assert (record.status, record.error_code) == ("rejected", reason)
    assert record.error_message
    assert bytes(record.content) == content
    assert BankTransaction.objects.count() == 0
    assert StatementImport.objects.filter(status="accepted").count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "expected"), sorted(GOOD.items()))
def test_good_file_imports_once_with_its_totals(corpus, name, expected):
    count, totals = expected
    content = (corpus / name).read_bytes()
    if name.startswith("gpc/"):  # GPC names no IBAN: our account is known by its number
        from tests.factories import BankAccountFactory

        BankAccountFactory(iban="CZ6420100000002501129872", currency="CZK", name="Fio CZK")
    first = import_statement(content=content, source="command", register_account=True)
    assert first.ok, first.as_dict()
    payload = first.as_dict()
    assert (payload["transactions"], payload["new"]) == (count, count)
    assert {
        currency: (Decimal(sums["credit"]), Decimal(sums["debit"]))
        for currency, sums in payload["totals"].items()
    } == {currency: (Decimal(c), Decimal(d)) for currency, (c, d) in totals.items()}
    again = import_statement(content=content, source="command", register_account=True)
    assert (again.statement_import.new, again.statement_import.duplicates) == (0, count)
    assert BankTransaction.objects.count() == count
