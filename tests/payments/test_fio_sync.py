"""The Fio API download, replayed from recorded real responses (the bank's HTTP API
is the only thing replaced)."""

from __future__ import annotations

from datetime import date

import pytest
import requests

from accounts.models import JobRun
from payments.fio_sync import fetch_fio_statements
from payments.models import AccountFeed, BankTransaction, StatementImport
from tests.factories import BankAccountFactory


class _Bank:
    """Serves recorded responses in order and remembers the requested URLs."""

    def __init__(self, monkeypatch, *bodies: bytes, status: int = 200) -> None:
        self.bodies, self.urls, self.status = list(bodies), [], status
        monkeypatch.setattr("fiobank.fiobank.requests.get", self.get)

    def get(self, url, params=None, timeout=None):
        self.urls.append(url)
        response = requests.Response()
        response.status_code = self.status
        response._content = self.bodies.pop(0)
        response.url = url
        return response


@pytest.fixture
def fio_account(db):
    account = BankAccountFactory(name="Fio CZK", iban="CZ0620100000002000282668", currency="CZK")
    AccountFeed.objects.create(bank_account=account, fio_token="secret-token-123")
    return account


def test_download_is_stored_imported_and_overlaps_add_nothing(fio_account, corpus, monkeypatch):
    first = (
        corpus / "fio-json" / "h4kuna-fio__2015-01-01-2015-04-16-transactions.json"
    ).read_bytes()
    bank = _Bank(monkeypatch, first, first)
    counts = fetch_fio_statements(today=date(2015, 4, 16))
    assert (counts["new"], counts["duplicates"]) == (10, 0)
    assert "2015-04-09/2015-04-16" in bank.urls[0]  # no cursor yet: today minus the overlap
    again = fetch_fio_statements(today=date(2015, 4, 16))
    assert (again["new"], again["duplicates"]) == (0, 10)
    assert BankTransaction.objects.filter(bank_account=fio_account).count() == 10
    stored = StatementImport.objects.filter(source="fio_api").order_by("pk")
    assert [bytes(s.content) for s in stored] == [first, first]
    assert AccountFeed.objects.get().fio_fetched_until == date(2015, 4, 16)
    assert JobRun.objects.filter(job_name="fetch_fio", status="succeeded").count() == 2


def test_the_window_starts_before_the_last_download(fio_account, corpus, monkeypatch):
    AccountFeed.objects.update(fio_fetched_until=date(2026, 11, 20))
    empty = (
        corpus / "fio-json" / "h4kuna-fio__2011-01-01-2011-01-02-transactions.json"
    ).read_bytes()
    bank = _Bank(monkeypatch, empty)
    fetch_fio_statements(today=date(2026, 11, 24))
    assert "/2026-11-13/2026-11-24/" in bank.urls[0]


def test_a_bank_error_is_recorded_and_does_not_leak_the_token(fio_account, monkeypatch):
    _Bank(monkeypatch, b"<html>error secret-token-123</html>", status=500)
    counts = fetch_fio_statements(today=date(2026, 11, 24))
    assert counts["errors"] == 1
    run = JobRun.objects.get(job_name="fetch_fio")
    assert "secret-token-123" not in str(run.errors)
    assert AccountFeed.objects.get().fio_fetched_until is None  # try the same window again
    assert BankTransaction.objects.count() == 0


def test_a_server_exception_response_is_stored_rejected(fio_account, corpus, monkeypatch):
    body = (corpus / "fio-json" / "h4kuna-fio__server-exception.xml").read_bytes()
    _Bank(monkeypatch, body)
    counts = fetch_fio_statements(today=date(2026, 11, 24))
    assert counts["rejected"] == 1
    record = StatementImport.objects.get()
    assert (record.status, record.error_code) == ("rejected", "fio_error")
