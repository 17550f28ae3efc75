"""Importing statements: stored as received, each transaction once, whole files
rejected with a reason, concurrent imports of the same file."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import AuditLog
from payments.importing import import_statement
from payments.models import BankTransaction, StatementImport, TransactionStatus

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]
SYMBOLS = FIXTURES / "camt053_cz_symbols.xml"


def _import(path: Path, **kwargs):
    return import_statement(content=path.read_bytes(), source="command", filename=path.name,
                            **kwargs)  # fmt: skip


@pytest.mark.django_db
def test_a_czech_statement_is_stored_and_imported(bank_accounts):
    result = _import(SYMBOLS)
    assert result.ok, result.as_dict()
    record = result.statement_import
    assert bytes(record.content) == SYMBOLS.read_bytes()
    assert len(record.sha256) == 64
    assert result.as_dict() == {
        "import_id": record.pk,
        "format": "camt053",
        "accounts": ["CZ6508000000192000145399"],
        "statements": 1,
        "transactions": 5,
        "new": 5,
        "duplicates": 0,
        "totals": {"CZK": {"credit": "9075.00", "debit": "45.00"}},
    }
    statuses = sorted(BankTransaction.objects.values_list("direction", "status"))
    assert statuses == [("credit", "unprocessed")] * 4 + [("debit", "not_applicable")]
    assert AuditLog.objects.filter(event="statement_import.accepted").count() == 1


@pytest.mark.django_db
def test_importing_the_same_file_again_adds_nothing(bank_accounts):
    first = _import(SYMBOLS)
    second = _import(SYMBOLS)
    assert (second.statement_import.new, second.statement_import.duplicates) == (0, 5)
    assert second.as_dict()["totals"] == first.as_dict()["totals"]
    assert BankTransaction.objects.count() == 5
    assert StatementImport.objects.count() == 2  # both receipts are kept


@pytest.mark.django_db
def test_a_statement_of_a_foreign_account_is_rejected_whole(db):
    result = _import(SYMBOLS)
    assert not result.ok
    record = result.statement_import
    assert (record.status, record.error_code) == ("rejected", "unknown_account")
    assert "CZ6508000000192000145399" in record.error_message
    assert bytes(record.content) == SYMBOLS.read_bytes()
    assert BankTransaction.objects.count() == 0


@pytest.mark.django_db
def test_register_account_imports_an_unknown_account(db):
    result = _import(SYMBOLS, register_account=True)
    assert result.ok
    assert BankTransaction.objects.get(variable_symbol="2026000123").bank_account.iban == (
        "CZ6508000000192000145399"
    )


@pytest.mark.django_db
def test_a_broken_file_is_stored_rejected_and_leaves_nothing(bank_accounts):
    truncated = SYMBOLS.read_bytes()[:1500]
    result = import_statement(content=truncated, source="upload", filename="cut.xml")
    assert not result.ok
    assert result.statement_import.error_code == "xml_malformed"
    assert bytes(result.statement_import.content) == truncated
    assert BankTransaction.objects.count() == 0


@pytest.mark.django_db
def test_hostile_xml_is_rejected(bank_accounts):
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&lol2;</Document>'
    )
    result = import_statement(content=hostile, source="upload")
    assert (result.ok, result.statement_import.error_code) == (False, "xml_forbidden")


@pytest.mark.django_db
def test_command_prints_one_json_object(bank_accounts, capsys):
    call_command("import_statement", str(SYMBOLS), "--json")
    payload = json.loads(capsys.readouterr().out)
    assert (payload["format"], payload["new"], payload["totals"]["CZK"]["debit"]) == (
        "camt053", 5, "45.00"
    )  # fmt: skip


@pytest.mark.django_db
def test_command_exits_non_zero_with_an_error_object(bank_accounts, capsys, tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'>")
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_statement", str(broken), "--json")
    assert exit_info.value.code == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["error"]["code"] == "xml_malformed" and payload["error"]["message"]


@pytest.mark.django_db
def test_imported_payments_pair(bank_accounts):
    from payments.pairing import pair_transactions

    _import(SYMBOLS)
    counts = pair_transactions()
    assert counts["paired"] + counts["review"] == 4
    assert BankTransaction.objects.filter(status=TransactionStatus.UNPROCESSED).count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_four_processes_import_the_same_file_at_once(bank_accounts):
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {**__import__("os").environ, "DATABASE_URL": url,
           "DJANGO_SETTINGS_MODULE": "billing_portal.test_settings"}  # fmt: skip
    command = [sys.executable, "manage.py", "import_statement", str(SYMBOLS), "--json"]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    results = [json.loads(out.decode().strip().splitlines()[-1]) for out, _err in outputs]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], [e.decode() for _o, e in outputs]
    assert sum(r["new"] for r in results) == 5
    assert all(r["new"] + r["duplicates"] == 5 for r in results)
    assert BankTransaction.objects.count() == 5
    assert StatementImport.objects.filter(status="accepted").count() == 4
    assert {r["totals"]["CZK"]["credit"] for r in results} == {"9075.00"}
    assert Decimal(results[0]["totals"]["CZK"]["debit"]) == Decimal("45.00")


@pytest.mark.django_db
def test_an_amount_beyond_what_we_store_is_rejected(bank_accounts):
    content = SYMBOLS.read_bytes().replace(b">1210.00<", b">123456789012345.00<", 1)
    assert content != SYMBOLS.read_bytes()
    result = import_statement(content=content, source="upload")
    assert (result.ok, result.statement_import.error_code) == (False, "bad_amount")
    assert BankTransaction.objects.count() == 0
