"""Returning payments: the payment order files (SEPA pain.001 for EUR, ABO/KPC for
CZK), what an export leaves behind, and matching the debit on our statement."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from defusedxml import ElementTree as SafeET
from django.utils import translation

from accounts.models import AuditLog
from billing_portal.errors import ValidationFailed
from invoices.models import Document, DocumentStatus
from invoices.services import LineSpec, issue_payment_request
from payments import services
from payments.models import (
    BankTransaction,
    PaymentReturn,
    StatementImport,
    TransactionStatus,
)
from payments.returns import (
    PAIN_NS,
    build_abo,
    domestic_account,
    export_returns,
    match_returned_debits,
    next_business_day,
    return_problems,
)
from tests.factories import BankAccountFactory, ContractFactory

pytestmark = pytest.mark.django_db

PRAGUE = ZoneInfo("Europe/Prague")
FRIDAY = datetime(2026, 11, 20, 10, 30, tzinfo=PRAGUE)
NS = {"p": PAIN_NS}
PAYER_DE = "DE89370400440532013000"
PAYER_CZ = "CZ3401000000350000123457"  # 35-123457/0100


def _import() -> StatementImport:
    return StatementImport.objects.create(
        source=StatementImport.Source.COMMAND,
        filename="test.xml",
        content=b"<test/>",
        sha256="0" * 64,
        size=7,
        format="camt053",
        status=StatementImport.Status.ACCEPTED,
    )


_seq = iter(range(1, 10_000))


def _tx(account, amount: str, **fields) -> BankTransaction:
    n = next(_seq)
    fields.setdefault("status", TransactionStatus.REVIEW)
    fields.setdefault("direction", BankTransaction.Direction.CREDIT)
    fields.setdefault("booking_date", date(2026, 11, 2))
    return BankTransaction.objects.create(
        bank_account=account,
        statement_import=_import(),
        natural_key=f"ref:RT{n}",
        bank_reference=fields.pop("bank_reference", f"RT{n}"),
        amount=Decimal(amount),
        currency=account.currency,
        **fields,
    )


def _proposed(account, amount: str, **fields) -> PaymentReturn:
    tx = _tx(account, amount, **fields)
    return services.mark_for_return(tx=tx, actor=None, reason="Unknown payer")


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted by their English msgids, whatever the default language."""
    with translation.override("en"):
        yield


def _xml(content: bytes):
    return SafeET.fromstring(content)


# --- helpers -----------------------------------------------------------------------------


def test_next_business_day_skips_the_weekend():
    assert next_business_day(date(2026, 11, 19)) == date(2026, 11, 20)  # Thu -> Fri
    assert next_business_day(date(2026, 11, 20)) == date(2026, 11, 23)  # Fri -> Mon
    assert next_business_day(date(2026, 11, 21)) == date(2026, 11, 23)  # Sat -> Mon


@pytest.mark.parametrize(
    ("account", "bank", "expected"),
    [
        (PAYER_CZ, "", "35-123457/0100"),
        ("CZ65 0800 0000 1920 0014 5399", "", "19-2000145399/0800"),
        ("000035-0000123457/0100", "", "35-123457/0100"),
        ("123457", "0100", "123457/0100"),
        ("123457", "", None),
        (PAYER_DE, "", None),
        ("SK3112000000198742637541", "", None),
    ],
)
def test_domestic_account_from_iban_or_as_given(account, bank, expected):
    found = domestic_account(account, bank)
    assert (str(found) if found else None) == expected


# --- EUR: pain.001.001.03 ------------------------------------------------------------------


def test_export_eur_writes_one_pain001_with_one_pmtinf_per_our_account(bank_accounts):
    ours_sk = bank_accounts["EUR"]
    ours_fi = BankAccountFactory(
        name="EUR FI", iban="FI2112345600000785", currency="EUR", bic="NDEAFIHH"
    )
    first = _proposed(
        ours_sk,
        "40.00",
        counterparty_account=PAYER_DE,
        counterparty_name="Jürgen Müller & Co",
        variable_symbol="2026000123",
        bank_reference="",
    )
    second = _proposed(ours_sk, "12.50", counterparty_account="AT61 1904 3002 3457 3201",
                       counterparty_bank="BKAUATWW")  # fmt: skip
    third = _proposed(ours_fi, "7.05", counterparty_account=PAYER_DE, bank_reference="BANKREF9")
    czk = _proposed(bank_accounts["CZK"], "100.00", counterparty_account=PAYER_CZ)

    with time_machine.travel(FRIDAY, tick=False):
        content = export_returns(currency="EUR", actor=None)

    assert content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = _xml(content)
    assert root.tag == f"{{{PAIN_NS}}}Document"
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header.findtext("p:NbOfTxs", namespaces=NS) == "3"
    assert header.findtext("p:CtrlSum", namespaces=NS) == "59.55"
    assert header.findtext("p:CreDtTm", namespaces=NS) == "2026-11-20T10:30:00"
    assert 0 < len(header.findtext("p:MsgId", namespaces=NS)) <= 35
    infos = root.findall("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert [i.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) for i in infos] == [
        ours_sk.iban,
        ours_fi.iban,
    ]
    assert [i.findtext("p:NbOfTxs", namespaces=NS) for i in infos] == ["2", "1"]
    assert [i.findtext("p:CtrlSum", namespaces=NS) for i in infos] == ["52.50", "7.05"]
    assert {i.findtext("p:ReqdExctnDt", namespaces=NS) for i in infos} == {"2026-11-23"}
    assert infos[0].findtext("p:DbtrAgt/p:FinInstnId/p:Othr/p:Id", namespaces=NS) == "NOTPROVIDED"
    assert infos[1].findtext("p:DbtrAgt/p:FinInstnId/p:BIC", namespaces=NS) == "NDEAFIHH"
    assert infos[0].findtext("p:PmtTpInf/p:SvcLvl/p:Cd", namespaces=NS) == "SEPA"

    items = root.findall(".//p:CdtTrfTxInf", NS)
    by_e2e = {i.findtext("p:PmtId/p:EndToEndId", namespaces=NS): i for i in items}
    assert set(by_e2e) == {first.end_to_end_id, second.end_to_end_id, third.end_to_end_id}
    one = by_e2e[first.end_to_end_id]
    amount = one.find("p:Amt/p:InstdAmt", NS)
    assert (amount.text, amount.get("Ccy")) == ("40.00", "EUR")
    assert one.findtext("p:Cdtr/p:Nm", namespaces=NS) == "Jurgen Muller Co"
    assert one.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == PAYER_DE
    assert one.findtext("p:RmtInf/p:Ustrd", namespaces=NS) == (
        "Return of payment 2026-11-02 2026000123"
    )
    assert one.find("p:CdtrAgt", NS) is None
    two = by_e2e[second.end_to_end_id]
    assert two.findtext("p:Cdtr/p:Nm", namespaces=NS) == "Payer"
    assert two.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == "AT611904300234573201"
    assert two.findtext("p:CdtrAgt/p:FinInstnId/p:BIC", namespaces=NS) == "BKAUATWW"
    assert by_e2e[third.end_to_end_id].findtext("p:RmtInf/p:Ustrd", namespaces=NS) == (
        "Return of payment 2026-11-02 BANKREF9"
    )

    for payment_return in (first, second, third):
        payment_return.refresh_from_db()
        assert payment_return.status == PaymentReturn.Status.EXPORTED
        assert payment_return.exported_at == FRIDAY
        assert bytes(payment_return.export_file) == content
        assert payment_return.transaction.status == TransactionStatus.RETURN_EXPORTED
    czk.refresh_from_db()
    assert czk.status == PaymentReturn.Status.PROPOSED
    assert AuditLog.objects.filter(event="payment.return_exported").count() == 3


def test_nothing_proposed_or_another_currency_is_refused(bank_accounts):
    with pytest.raises(ValidationFailed, match="no proposed EUR returns"):
        export_returns(currency="EUR", actor=None)
    _proposed(bank_accounts["GBP"], "10.00", counterparty_account="GB33BUKB20201555555555")
    with pytest.raises(ValidationFailed, match="only CZK and EUR"):
        export_returns(currency="GBP", actor=None)
    assert PaymentReturn.objects.get().status == PaymentReturn.Status.PROPOSED


def test_exporting_twice_exports_nothing_the_second_time(bank_accounts):
    _proposed(bank_accounts["EUR"], "40.00", counterparty_account=PAYER_DE)
    export_returns(currency="EUR", actor=None)
    with pytest.raises(ValidationFailed):
        export_returns(currency="EUR", actor=None)
    assert AuditLog.objects.filter(event="payment.return_exported").count() == 1


# --- CZK: ABO/KPC ----------------------------------------------------------------------------


def test_export_czk_writes_an_abo_file_in_windows_1250(bank_accounts, settings):
    settings.BILLING = {**settings.BILLING, "SELLER": {"name": "Účetní služby s.r.o."}}
    ours = bank_accounts["CZK"]  # 19-2000145399/0800
    first = _proposed(ours, "1210.50", counterparty_account=PAYER_CZ, variable_symbol="2026000123",
                      specific_symbol="77", bank_reference="")  # fmt: skip
    second = _proposed(ours, "99.00", counterparty_account="987655", counterparty_bank="0300",
                       bank_reference="REF-2")  # fmt: skip

    with time_machine.travel(FRIDAY, tick=False):
        content = export_returns(currency="CZK", actor=None)

    assert content.endswith(b"5 +\r\n")
    assert b"\n" not in content.replace(b"\r\n", b"")
    text = content.decode("cp1250")
    lines = text.split("\r\n")[:-1]
    assert lines == [
        "UHL1201126Účetní služby s.r.o.0000000000001001000000000000",
        "1 1501 001000 0800",
        "2 130950 231126",
        "19-2000145399 35-123457 121050 2026000123 01000000 77 AV:Return 02.11.2026 2026000123",
        "19-2000145399 987655 9900 0 03000000 0 AV:Return 02.11.2026 REF-2",
        "3 +",
        "5 +",
    ]
    assert len(lines[0]) == 4 + 6 + 20 + 10 + 3 + 3 + 6 + 6
    for payment_return in (first, second):
        payment_return.refresh_from_db()
        assert payment_return.status == PaymentReturn.Status.EXPORTED
        assert bytes(payment_return.export_file) == content


def test_abo_groups_our_accounts_by_bank(bank_accounts):
    ours_kb = BankAccountFactory(name="KB", iban="CZ7401000000000000987655", currency="CZK")
    _proposed(bank_accounts["CZK"], "1.00", counterparty_account=PAYER_CZ)
    _proposed(ours_kb, "2.00", counterparty_account=PAYER_CZ)
    proposed = list(PaymentReturn.objects.select_related("transaction__bank_account"))
    content, _file_id = build_abo(proposed, FRIDAY)
    lines = content.decode("cp1250").split("\r\n")
    assert lines[0][40:46] == "001002"
    assert [line for line in lines if line.startswith(("1 ", "2 ", "3", "5"))] == [
        "1 1501 001000 0100",
        "2 200 231126",
        "3 +",
        "5 +",
        "1 1501 002000 0800",
        "2 100 231126",
        "3 +",
        "5 +",
    ]


def test_returns_that_do_not_fit_stay_proposed_and_are_reported(bank_accounts):
    ours = bank_accounts["CZK"]
    good = _proposed(ours, "100.00", counterparty_account=PAYER_CZ)
    foreign = _proposed(ours, "50.00", counterparty_account=PAYER_DE)
    contract = ContractFactory()
    document = issue_payment_request(
        customer=contract.customer,
        contract=contract,
        lines=[LineSpec(description="Webhosting", unit_price=Decimal("100.00"))],
    )  # 121.00 gross
    handled = _proposed(ours, "121.00", counterparty_account=PAYER_CZ)
    services.assign_transaction(tx=handled.transaction, splits=[(document, Decimal("121.00"))],
                                actor=None)  # fmt: skip

    problems = dict(return_problems(currency="CZK"))
    assert set(problems) == {foreign}  # the assigned payment's return was cancelled
    assert "not a Czech account" in problems[foreign]

    content = export_returns(currency="CZK", actor=None)
    assert content.count(b"AV:") == 1
    statuses = dict(PaymentReturn.objects.values_list("pk", "status"))
    assert statuses == {good.pk: "exported", foreign.pk: "proposed", handled.pk: "cancelled"}
    assert Document.objects.get(pk=document.pk).status == DocumentStatus.PAID

    with pytest.raises(ValidationFailed, match="None of the proposed CZK returns"):
        export_returns(currency="CZK", actor=None)
    assert AuditLog.objects.filter(event="payment.return_exported").count() == 1


# --- the debit on our statement ----------------------------------------------------------------


def _exported(account, amount: str, payer: str) -> PaymentReturn:
    payment_return = _proposed(account, amount, counterparty_account=payer)
    with time_machine.travel(FRIDAY, tick=False):
        export_returns(currency=account.currency, actor=None)
    payment_return.refresh_from_db()
    return payment_return


def _debit(account, amount: str, **fields) -> BankTransaction:
    fields.setdefault("booking_date", date(2026, 11, 23))
    return _tx(account, amount, direction=BankTransaction.Direction.DEBIT,
               status=TransactionStatus.NOT_APPLICABLE, **fields)  # fmt: skip


def test_match_by_end_to_end_id_is_idempotent(bank_accounts):
    ours = bank_accounts["EUR"]
    payment_return = _exported(ours, "40.00", PAYER_DE)
    debit = _debit(ours, "40.00", end_to_end_id=payment_return.end_to_end_id,
                   counterparty_account="somewhere else")  # fmt: skip
    other = _debit(ours, "40.00", end_to_end_id="SOMETHING-ELSE", counterparty_account=PAYER_DE)
    credit = _tx(ours, "40.00", end_to_end_id=payment_return.end_to_end_id)

    assert match_returned_debits(transactions=[credit, other, debit]) == 1
    payment_return.refresh_from_db()
    assert payment_return.status == PaymentReturn.Status.MATCHED
    assert payment_return.matched_transaction == debit
    assert payment_return.transaction.status == TransactionStatus.RETURNED
    assert AuditLog.objects.filter(event="payment.returned").count() == 1

    assert match_returned_debits(transactions=[credit, other, debit]) == 0
    assert match_returned_debits(transactions=BankTransaction.objects.all()) == 0
    assert AuditLog.objects.filter(event="payment.returned").count() == 1


def test_match_without_end_to_end_id_by_account_amount_and_payer_within_ten_days(bank_accounts):
    ours = bank_accounts["CZK"]
    payment_return = _exported(ours, "100.00", PAYER_CZ)
    wrong_amount = _debit(ours, "100.01", counterparty_account="35-123457/0100")
    too_late = _debit(ours, "100.00", counterparty_account="35-123457/0100",
                      booking_date=date(2026, 12, 1))  # fmt: skip
    other_payer = _debit(ours, "100.00", counterparty_account="123457/0100")
    assert match_returned_debits(transactions=[wrong_amount, too_late, other_payer]) == 0

    in_time = _debit(ours, "100.00", counterparty_account="000035-0000123457",
                     counterparty_bank="0100", booking_date=date(2026, 11, 30))  # fmt: skip
    assert match_returned_debits(transactions=[in_time]) == 1
    payment_return.refresh_from_db()
    assert payment_return.matched_transaction == in_time
    assert payment_return.transaction.status == TransactionStatus.RETURNED


def test_a_proposed_return_is_not_matched(bank_accounts):
    ours = bank_accounts["EUR"]
    payment_return = _proposed(ours, "40.00", counterparty_account=PAYER_DE)
    debit = _debit(ours, "40.00", end_to_end_id=payment_return.end_to_end_id)
    assert match_returned_debits(transactions=[debit]) == 0
    payment_return.refresh_from_db()
    assert payment_return.status == PaymentReturn.Status.PROPOSED
