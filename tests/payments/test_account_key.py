"""One key for a payer's account (payments/account_key.py): the function, the key
stored at import and by the backfill, and pairing across statement formats (a payer
seen in GPC with the domestic number and in camt.053 with the IBAN is one payer)."""

from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps

from invoices.models import Document
from invoices.services import LineSpec, issue_payment_request
from payments.account_key import account_key, account_keys, domestic_account
from payments.importing import import_statement
from payments.models import Allocation, BankTransaction, TransactionStatus
from payments.pairing import pair_transactions
from tests.factories import BankTransactionFactory, ContractFactory

OUR_GPC = "0000192000145399"  # our CZK account CZ65 0800 0000 1920 0014 5399 (conftest)
OUR_IBAN = "CZ6508000000192000145399"
PAYER_DOMESTIC = "35-123457/0100"
PAYER_IBAN = "CZ3401000000350000123457"  # the same account
PAYER_GPC = ("0000350000123457", "0100")  # as GPC writes it: 16 digits, bank code apart


# --- the function ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("account", "bank", "key"),
    [
        # Czech domestic form: prefix or none, leading zeros, spaces, a separate bank code
        ("35-123457/0100", "", "35-123457/0100"),
        ("000035-0000123457/0100", "", "35-123457/0100"),
        ("  35 - 123457 / 0100 ", "", "35-123457/0100"),
        ("000035-0000123457", "0100", "35-123457/0100"),
        ("35-123457/0100", "0800", "35-123457/0100"),  # the number's own bank code wins
        ("123457/0100", "", "123457/0100"),
        ("000000-0000123457/0100", "", "123457/0100"),  # a zero prefix is no prefix
        ("0000123457", "0100", "123457/0100"),
        ("0000350000123457", "0100", "35-123457/0100"),  # padded 6 + 10 digits (GPC/ABO)
        ("0000000000123457/0100", "", "123457/0100"),
        ("0000350000123457", "", "35-123457"),
        # its IBAN: electronic or paper form, any case, no-break spaces
        (PAYER_IBAN, "", "35-123457/0100"),
        ("CZ34 0100 0000 3500 0012 3457", "", "35-123457/0100"),
        ("cz34 0100 0000 3500 0012 3457", "", "35-123457/0100"),
        ("CZ34\xa00100\xa00000\xa03500\xa00012\xa03457", "", "35-123457/0100"),
        ("CZ6508000000192000145399", "GIBACZPX", "19-2000145399/0800"),
        ("CZ7001000000000000123457", "", "123457/0100"),
        # Slovak: the same domestic form, and its SK IBAN
        ("SK3112000000198742637541", "", "19-8742637541/1200"),
        ("sk31 1200 0000 1987 4263 7541", "", "19-8742637541/1200"),
        ("000019-8742637541/1200", "", "19-8742637541/1200"),
        # other IBANs: electronic form, upper case, also with the BIC appended (Fio)
        ("DE89 3704 0044 0532 0130 00", "COBADEFFXXX", "DE89370400440532013000"),
        ("de89370400440532013000", "", "DE89370400440532013000"),
        ("DE89370400440532013000/COBADEFFXXX", "", "DE89370400440532013000"),
        ("NL46ABNA0499998748", "ABNANL2A", "NL46ABNA0499998748"),
        # a number without a bank code: digits without leading zeros, no bank guessed
        ("000019-0002000145399", "", "19-2000145399"),
        ("0012345678", "20010020", "12345678"),  # German Kontonummer with its BLZ
        ("0012345678", "GIBACZPX", "12345678"),
        # anything else: cleaned, never an error
        ("", "", ""),
        (None, None, ""),
        ("   ", "0100", ""),
        ("CZ0000000000000000000000", "", "CZ0000000000000000000000"),  # bad check digits
        ("CZ34 0100 0000 3500 0012 3458", "", "CZ3401000000350000123458"),  # bad check digits
        ("NUMERO DE COMPTE01234567", "BILLLULL1234", "NUMERODECOMPTE01234567"),
        ("1017.490.554", "", "1017.490.554"),
        ("12345678901/0100", "", "12345678901/0100"),  # 11 digits: not a Czech number
        ("1234567-123457/0100", "", "1234567-123457/0100"),  # 7-digit prefix
        ("0000000000/0100", "", "0000000000/0100"),  # no number at all
        ("123/45", "", "123/45"),
        ("x" * 80, "", "X" * 50),  # fits the column
    ],
)
def test_account_key(account, bank, key):
    assert account_key(account, bank) == key


def test_an_iban_and_the_domestic_number_are_one_key():
    forms = [PAYER_DOMESTIC, PAYER_IBAN, "CZ34 0100 0000 3500 0012 3457", "000035-0000123457/0100"]
    assert {account_key(form) for form in forms} == {"35-123457/0100"}
    assert account_key(*PAYER_GPC) == "35-123457/0100"
    assert account_key("35-123457/0300") != account_key(PAYER_IBAN)  # another bank


def test_account_keys_drop_the_empty_one():
    keys = account_keys(["CZ34 0100 0000 3500 0012 3457", "", "  ", "19-2000000000/0300"])
    assert keys == {"35-123457/0100", "19-2000000000/0300"}


@pytest.mark.parametrize(
    ("account", "bank", "expected"),
    [
        (PAYER_IBAN, "", ("35", "123457", "0100", "CZ")),
        ("SK3112000000198742637541", "", ("19", "8742637541", "1200", "SK")),
        ("000035-0000123457", "0100", ("35", "123457", "0100", "")),
        ("123457", "", None),
        ("DE89370400440532013000", "", None),
    ],
)
def test_domestic_account_parts(account, bank, expected):
    found = domestic_account(account, bank)
    assert (found and (found.prefix, found.number, found.bank, found.country)) == expected


# --- the stored key ----------------------------------------------------------------------


@pytest.mark.django_db
def test_every_save_keeps_the_key_with_the_account(bank_accounts):
    tx = BankTransactionFactory(counterparty_account="CZ34 0100 0000 3500 0012 3457")
    assert tx.counterparty_key == "35-123457/0100"
    tx.counterparty_account, tx.counterparty_bank = "000019-2000145399", "0800"
    tx.save(update_fields=["counterparty_account", "counterparty_bank"])
    tx.refresh_from_db()
    assert tx.counterparty_key == "19-2000145399/0800"


@pytest.mark.django_db
def test_the_migration_backfills_the_keys_in_batches(bank_accounts, monkeypatch):
    migration = importlib.import_module("payments.migrations.0004_counterparty_key")
    rows = [
        BankTransactionFactory(counterparty_account=account, counterparty_bank=bank)
        for account, bank in [
            (PAYER_IBAN, ""),
            ("000035-0000123457", "0100"),
            ("DE89 3704 0044 0532 0130 00", ""),
            ("", ""),
            ("garbage here", ""),
        ]
    ]
    BankTransaction.objects.update(counterparty_key="")  # as the rows were before 0004
    monkeypatch.setattr(migration, "BATCH_SIZE", 2)
    migration.backfill_counterparty_keys(apps, None)
    keys = dict(
        BankTransaction.objects.filter(pk__in=[r.pk for r in rows]).values_list(
            "pk", "counterparty_key"
        )
    )
    assert [keys[r.pk] for r in rows] == [
        "35-123457/0100",
        "35-123457/0100",
        "DE89370400440532013000",
        "",
        "GARBAGEHERE",
    ]


# --- statements built here: GPC (domestic number) and camt.053 (IBAN) ------------------------


def _gpc_line(
    *,
    amount: Decimal,
    vs: str,
    counter: tuple[str, str],
    document: str,
    day: date,
    text: str = "Platba",
) -> str:
    account, bank = counter
    hellers = int(amount * 100)
    line = (
        "075" + OUR_GPC + account + document.rjust(13, "0") + f"{hellers:012d}" + "2"
        + vs.rjust(10, "0") + "00" + bank + "0308" + "0" * 10 + f"{day:%d%m%y}"
        + text.ljust(20)[:20] + "0" + "0203" + f"{day:%d%m%y}"
    )  # fmt: skip
    assert len(line) == 128
    return line


def gpc_statement(*movements: dict) -> bytes:
    """A GPC statement of our CZK account: one 074 header (balances that add up) and a
    credit (posting code 2) per movement."""
    lines = [_gpc_line(**movement) for movement in movements]
    credits = sum((m["amount"] for m in movements), Decimal("0.00"))
    day = movements[-1]["day"]
    header = (
        "074" + OUR_GPC + "Hosting s.r.o.".ljust(20) + f"{day:%d%m%y}" + "0" * 14 + "+"
        + f"{int(credits * 100):014d}" + "+" + "0" * 14 + "0" + f"{int(credits * 100):014d}"
        + "0" + "001" + f"{day:%d%m%y}" + " " * 14
    )  # fmt: skip
    assert len(header) == 128
    return ("\r\n".join([header, *lines]) + "\r\n").encode("cp1250")


def camt053_statement(*, amount: Decimal, debtor_iban: str, ref: str, day: date, text: str):
    """A camt.053.001.02 statement of our CZK account with one credit from `debtor_iban`,
    without any symbol."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{ref}</MsgId><CreDtTm>{day}T05:00:00+01:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{ref}</Id><CreDtTm>{day}T05:00:00+01:00</CreDtTm>"
        f"<Acct><Id><IBAN>{OUR_IBAN}</IBAN></Id><Ccy>CZK</Ccy></Acct>"
        f'<Ntry><Amt Ccy="CZK">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
        f"<BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>"
        f"<AcctSvcrRef>{ref}</AcctSvcrRef>"
        "<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>"
        "<RltdPties><Dbtr><Nm>Jan Novák</Nm></Dbtr>"
        f"<DbtrAcct><Id><IBAN>{debtor_iban}</IBAN></Id></DbtrAcct></RltdPties>"
        "<RltdAgts><DbtrAgt><FinInstnId><BIC>KOMBCZPP</BIC></FinInstnId></DbtrAgt></RltdAgts>"
        f"<RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        "</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def _import(content: bytes, name: str) -> BankTransaction:
    result = import_statement(content=content, source="command", filename=name)
    assert result.ok, result.as_dict()
    (tx,) = result.statement_import.bank_transactions.all()
    return tx


def _request(contract, amount: str) -> Document:
    return issue_payment_request(
        customer=contract.customer,
        contract=contract,
        lines=[LineSpec(description="Webhosting", unit_price=Decimal(amount))],
        issue_date=date(2026, 11, 1),
    )


@pytest.mark.django_db
def test_sender_history_pairs_across_gpc_and_camt053(bank_accounts):
    contract = ContractFactory()
    first = _request(contract, "100.00")  # 121.00
    gpc = _import(
        gpc_statement(
            {"amount": Decimal("121.00"), "vs": first.variable_symbol, "counter": PAYER_GPC,
             "document": "501", "day": date(2026, 11, 5)},
        ),
        "vypis.gpc",
    )  # fmt: skip
    assert (gpc.counterparty_account, gpc.counterparty_key) == ("35-123457/0100", PAYER_DOMESTIC)
    pair_transactions()
    assert Allocation.objects.get(transaction=gpc).rule == Allocation.Rule.EXACT_VS

    second = _request(contract, "200.00")  # 242.00
    _request(contract, "300.00")  # another open document of the contract, another amount
    _request(ContractFactory(), "200.00")  # another customer's document of the same amount
    camt = _import(
        camt053_statement(amount=Decimal("242.00"), debtor_iban="CZ34 0100 0000 3500 0012 3457",
                          ref="CAMT-2", day=date(2026, 12, 4), text="Hosting prosinec"),
        "statement.xml",
    )  # fmt: skip
    # stored as the bank wrote it, compared by the key
    assert camt.counterparty_account == "CZ34 0100 0000 3500 0012 3457"
    assert camt.counterparty_key == PAYER_DOMESTIC
    assert camt.variable_symbol == ""
    pair_transactions()
    camt.refresh_from_db()
    assert camt.status == TransactionStatus.PAIRED
    allocation = Allocation.objects.get(transaction=camt)
    assert (allocation.document, allocation.rule, allocation.amount) == (
        second,
        Allocation.Rule.SENDER_HISTORY,
        Decimal("242.00"),
    )


@pytest.mark.django_db
def test_sender_history_pairs_the_other_way_round(bank_accounts):
    """First seen in camt.053 by the IBAN (paid by VS), then in GPC without a VS."""
    contract = ContractFactory()
    first = _request(contract, "100.00")
    camt = _import(
        camt053_statement(amount=Decimal("121.00"), debtor_iban=PAYER_IBAN, ref="CAMT-1",
                          day=date(2026, 11, 5), text=f"VS {first.variable_symbol}"),
        "statement.xml",
    )  # fmt: skip
    assert camt.variable_symbol == first.variable_symbol  # camt carries it in the text
    pair_transactions()
    assert Allocation.objects.get(transaction=camt).rule == Allocation.Rule.EXACT_VS
    second = _request(contract, "200.00")
    gpc = _import(
        gpc_statement(
            {"amount": Decimal("242.00"), "vs": "", "counter": PAYER_GPC, "document": "502",
             "day": date(2026, 12, 4)},
        ),
        "vypis.gpc",
    )  # fmt: skip
    pair_transactions()
    allocation = Allocation.objects.get(transaction=gpc)
    assert (allocation.document, allocation.rule) == (second, Allocation.Rule.SENDER_HISTORY)


@pytest.mark.django_db
def test_another_account_of_the_same_number_at_another_bank_is_another_payer(bank_accounts):
    contract = ContractFactory()
    first = _request(contract, "100.00")
    _import(
        gpc_statement(
            {"amount": Decimal("121.00"), "vs": first.variable_symbol, "counter": PAYER_GPC,
             "document": "503", "day": date(2026, 11, 5)},
        ),
        "vypis.gpc",
    )  # fmt: skip
    pair_transactions()
    _request(contract, "200.00")
    other_bank = _import(
        camt053_statement(amount=Decimal("242.00"), debtor_iban="CZ7803000000350000123457",
                          ref="CAMT-3", day=date(2026, 12, 4), text="Hosting"),
        "statement.xml",
    )  # fmt: skip
    assert other_bank.counterparty_key == "35-123457/0300"
    pair_transactions()
    other_bank.refresh_from_db()
    assert other_bank.status == TransactionStatus.REVIEW
    assert not other_bank.allocations.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "setting",
    [PAYER_DOMESTIC, "CZ34 0100 0000 3500 0012 3457", "000035-0000123457/0100", PAYER_IBAN.lower()],
)
def test_a_shared_payer_account_is_recognised_in_both_forms(bank_accounts, settings, setting):
    settings.BILLING = {**settings.BILLING, "SHARED_PAYER_ACCOUNTS": ["", setting]}
    contract = ContractFactory()
    by_gpc = _request(contract, "100.00")
    by_camt = _request(contract, "200.00")
    gpc = _import(
        gpc_statement(
            {"amount": Decimal("121.00"), "vs": by_gpc.variable_symbol, "counter": PAYER_GPC,
             "document": "504", "day": date(2026, 11, 5)},
        ),
        "vypis.gpc",
    )  # fmt: skip
    camt = _import(
        camt053_statement(amount=Decimal("242.00"), debtor_iban=PAYER_IBAN, ref="CAMT-4",
                          day=date(2026, 11, 6), text=f"VS {by_camt.variable_symbol}"),
        "statement.xml",
    )  # fmt: skip
    pair_transactions()
    for tx in (gpc, camt):  # the right VS, yet from a shared account: staff pair it
        tx.refresh_from_db()
        assert tx.status == TransactionStatus.REVIEW
        assert "shared account" in tx.review_reason
    assert not Allocation.objects.exists()


@pytest.mark.django_db
def test_an_empty_setting_entry_does_not_make_unknown_payers_shared(bank_accounts, settings):
    settings.BILLING = {**settings.BILLING, "SHARED_PAYER_ACCOUNTS": ["", " "]}
    contract = ContractFactory()
    document = _request(contract, "100.00")
    tx = BankTransactionFactory(amount=Decimal("121.00"), variable_symbol=document.variable_symbol)
    assert tx.counterparty_key == ""
    pair_transactions()
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.PAIRED
