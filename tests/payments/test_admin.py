"""Admin of bank payments: read-only lists, the review queue, and the views and actions
that call the services (assign/split, re-book, return, discard, export, upload)."""

from __future__ import annotations

import importlib.util
from datetime import date
from decimal import Decimal

import pytest
from defusedxml import ElementTree as SafeET
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditLog
from invoices.models import Document, DocumentStatus
from invoices.services import LineSpec, issue_payment_request
from payments import forms as payment_forms
from payments import services
from payments.models import (
    AccountFeed,
    Allocation,
    BankTransaction,
    PaymentReturn,
    StatementImport,
    TransactionStatus,
)
from payments.returns import PAIN_NS
from tests.factories import ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

NS = {"p": PAIN_NS}
PAYER_DE = "DE89370400440532013000"
PAYER_CZ = "CZ3401000000350000123457"  # 35-123457/0100


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted by their English msgids, whatever the default language."""
    settings.LANGUAGE_CODE = "en"


def url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def listed(response) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list}


def _import() -> StatementImport:
    return StatementImport.objects.create(
        source=StatementImport.Source.COMMAND,
        filename="test.xml",
        content=b"<test/>",
        sha256="0" * 64,
        size=7,
        format="camt053",
        status=StatementImport.Status.ACCEPTED,
        new=1,
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
        natural_key=f"ref:ADM{n}",
        bank_reference=f"ADM{n}",
        amount=Decimal(amount),
        currency=account.currency,
        **fields,
    )


def _request(net: str = "1000.00", customer=None) -> Document:
    """A payment request through the service: a Czech VAT payer pays net + 21 %."""
    contract = ContractFactory(customer=customer) if customer else ContractFactory()
    return issue_payment_request(
        customer=contract.customer,
        contract=contract,
        lines=[LineSpec(description="Webhosting", unit_price=Decimal(net))],
    )


def _assign(client, tx, lines, note="") -> object:
    data = {
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "20",
        "note": note,
    }
    for i, (number, amount) in enumerate(lines):
        data[f"lines-{i}-document"] = number
        data[f"lines-{i}-amount"] = amount
    return client.post(url(BankTransaction, "assign", tx.pk), data)


# --- pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model", [StatementImport, BankTransaction, Allocation, PaymentReturn, AccountFeed]
)
def test_changelists_and_change_pages_render(admin_client, admin_user, bank_accounts, model):
    document = _request()
    paid = _tx(bank_accounts["CZK"], "1210.00", candidates=[document.pk])
    services.assign_transaction(tx=paid, splits=[(document, Decimal("1210.00"))], actor=admin_user)
    returned = _tx(bank_accounts["EUR"], "40.00", counterparty_account=PAYER_DE)
    services.mark_for_return(tx=returned, actor=admin_user, reason="Unknown payer")
    AccountFeed.objects.create(bank_account=bank_accounts["CZK"], fio_token="secret-token-12345678")

    response = admin_client.get(url(model, "changelist"))
    assert response.status_code == 200
    obj = response.context["cl"].result_list[0]
    assert admin_client.get(url(model, "change", obj.pk)).status_code == 200


def test_review_queue_filter_lists_only_review_items(admin_client, bank_accounts):
    review = _tx(bank_accounts["CZK"], "100.00")
    _tx(bank_accounts["CZK"], "200.00", status=TransactionStatus.UNPROCESSED)
    _tx(bank_accounts["CZK"], "300.00", status=TransactionStatus.DISCARDED)
    _tx(bank_accounts["CZK"], "400.00", direction="debit", status=TransactionStatus.NOT_APPLICABLE)
    changelist = url(BankTransaction, "changelist")
    assert listed(admin_client.get(changelist, {"queue": "review"})) == {review.pk}
    assert len(listed(admin_client.get(changelist))) == 4


def test_search_by_symbols_counterparty_and_exact_amount(admin_client, bank_accounts):
    first = _tx(bank_accounts["CZK"], "1210.50", variable_symbol="2026000123",
                counterparty_name="Alfa s.r.o.")  # fmt: skip
    second = _tx(bank_accounts["CZK"], "99.00", specific_symbol="778899",
                 counterparty_account="35-123457/0100")  # fmt: skip
    changelist = url(BankTransaction, "changelist")
    assert listed(admin_client.get(changelist, {"q": "2026000123"})) == {first.pk}
    assert listed(admin_client.get(changelist, {"q": "Alfa"})) == {first.pk}
    assert listed(admin_client.get(changelist, {"q": "778899"})) == {second.pk}
    assert listed(admin_client.get(changelist, {"q": "35-123457"})) == {second.pk}
    assert listed(admin_client.get(changelist, {"q": "1210,50"})) == {first.pk}
    assert listed(admin_client.get(changelist, {"q": "99"})) == {second.pk}


def test_review_item_page_shows_candidate_documents(admin_client, bank_accounts):
    first, second = _request("1000.00"), _request("500.00")
    tx = _tx(bank_accounts["CZK"], "605.00", candidates=[first.pk, second.pk],
             review_reason="More than one document matches: choose one.")  # fmt: skip
    page = admin_client.get(url(BankTransaction, "change", tx.pk)).content.decode()
    for document in (first, second):
        assert reverse("admin:invoices_document_change", args=[document.pk]) in page
        assert document.number in page
    assert "1,210.00 CZK" in page and "605.00 CZK" in page
    assert url(BankTransaction, "assign", tx.pk) in page
    assert url(BankTransaction, "discard", tx.pk) in page


# --- assign, split, re-book ---------------------------------------------------------------


def test_assign_a_review_payment_to_a_document(admin_client, admin_user, bank_accounts):
    document = _request()
    tx = _tx(bank_accounts["CZK"], "1210.00", candidates=[document.pk])
    form = admin_client.get(url(BankTransaction, "assign", tx.pk))
    assert form.status_code == 200
    assert form.context["formset"].forms[0].initial == {
        "document": document.number,
        "amount": Decimal("1210.00"),
    }

    response = _assign(admin_client, tx, [(document.number, "1210.00")], note="Called the customer")
    assert response.status_code == 302
    assert response["Location"] == url(BankTransaction, "change", tx.pk)
    allocation = Allocation.objects.get()
    assert (allocation.document, allocation.amount, allocation.rule, allocation.actor) == (
        document, Decimal("1210.00"), Allocation.Rule.MANUAL, admin_user
    )  # fmt: skip
    assert allocation.note == "Called the customer"
    document.refresh_from_db()
    tx.refresh_from_db()
    assert (document.status, document.amount_paid) == (DocumentStatus.PAID, Decimal("1210.00"))
    assert (tx.status, tx.unallocated) == (TransactionStatus.PAIRED, Decimal("0.00"))
    assert messages_of(response) == [
        ("success", f"Payment assigned: {document.number} 1,210.00 CZK.")
    ]
    assert AuditLog.objects.filter(event="payment.assigned", actor=admin_user).count() == 1


def test_split_across_two_documents_pays_one_and_part_of_the_other(admin_client, bank_accounts):
    first, second = _request("1000.00"), _request("1000.00")
    tx = _tx(bank_accounts["CZK"], "1500.00")
    response = _assign(admin_client, tx, [(first.number, "1210.00"), (second.number, "290.00")])
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == DocumentStatus.PAID
    assert (second.status, second.amount_paid) == (DocumentStatus.PARTLY_PAID, Decimal("290.00"))
    assert Allocation.objects.filter(rule=Allocation.Rule.MANUAL).count() == 2


def test_split_that_does_not_add_up_shows_the_error_and_writes_nothing(admin_client, bank_accounts):
    first, second = _request("1000.00"), _request("1000.00")
    tx = _tx(bank_accounts["CZK"], "1500.00")
    response = _assign(admin_client, tx, [(first.number, "1000.00"), (second.number, "400.00")])
    assert response.status_code == 200
    assert messages_of(response) == [("error", "The parts must add up to 1500.00 CZK.")]
    assert "The parts must add up to 1500.00 CZK." in response.content.decode()
    assert not Allocation.objects.exists()
    tx.refresh_from_db()
    assert (tx.status, tx.allocated_amount) == (TransactionStatus.REVIEW, Decimal("0.00"))
    assert set(Document.objects.values_list("status", flat=True)) == {DocumentStatus.OPEN}
    assert not AuditLog.objects.filter(event__startswith="payment.").exists()


def test_assign_to_an_unknown_document_number_is_a_form_error(admin_client, bank_accounts):
    tx = _tx(bank_accounts["CZK"], "100.00")
    response = _assign(admin_client, tx, [("NOPE-1", "100.00")])
    assert response.status_code == 200
    assert "No document has the number NOPE-1." in response.content.decode()
    assert not Allocation.objects.exists()


def test_rebook_moves_the_money_and_is_audited(admin_client, admin_user, bank_accounts):
    old, new = _request("1000.00"), _request("1000.00")
    tx = _tx(bank_accounts["CZK"], "1210.00")
    (allocation,) = services.assign_transaction(
        tx=tx, splits=[(old, Decimal("1210.00"))], actor=admin_user
    )
    assert admin_client.get(url(BankTransaction, "rebook", tx.pk)).status_code == 200

    response = admin_client.post(
        url(BankTransaction, "rebook", tx.pk),
        {"allocation": allocation.pk, "document": new.number, "note": "Paid the wrong request"},
    )
    assert response.status_code == 302
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, old.amount_paid) == (DocumentStatus.OPEN, Decimal("0.00"))
    assert (new.status, new.amount_paid) == (DocumentStatus.PAID, Decimal("1210.00"))
    rebooks = Allocation.objects.filter(rule=Allocation.Rule.REBOOK).order_by("pk")
    assert [(a.document, a.amount, a.actor) for a in rebooks] == [
        (old, Decimal("-1210.00"), admin_user),
        (new, Decimal("1210.00"), admin_user),
    ]
    log = AuditLog.objects.get(event="payment.rebooked")
    assert (log.actor, log.note) == (admin_user, "Paid the wrong request")
    assert log.after == {"document": new.number, "amount": "1210.00"}
    assert messages_of(response) == [
        ("success", f"Re-booked 1,210.00 CZK from {old.number} to {new.number}.")
    ]


def test_rebook_to_a_paid_document_shows_the_error(admin_client, admin_user, bank_accounts):
    old, paid = _request("1000.00"), _request("1000.00")
    for document in (old, paid):
        tx = _tx(bank_accounts["CZK"], "1210.00")
        services.assign_transaction(tx=tx, splits=[(document, Decimal("1210.00"))], actor=None)
    allocation = Allocation.objects.get(document=old)
    response = admin_client.post(
        url(BankTransaction, "rebook", allocation.transaction_id),
        {"allocation": allocation.pk, "document": paid.number, "note": "Wrong"},
    )
    assert response.status_code == 200
    assert messages_of(response) == [("error", f"Document {paid.number} cannot take 1210.00 CZK.")]
    assert not Allocation.objects.filter(rule=Allocation.Rule.REBOOK).exists()


# --- return, discard -----------------------------------------------------------------------


def test_mark_for_return_and_discard_actions_report_counts_and_errors(admin_client, bank_accounts):
    returnable = _tx(bank_accounts["CZK"], "100.00", counterparty_account=PAYER_CZ)
    unknown_payer = _tx(bank_accounts["CZK"], "50.00")
    changelist = url(BankTransaction, "changelist")
    selected = [returnable.pk, unknown_payer.pk]

    page = admin_client.post(
        changelist, {"action": "mark_for_return", "_selected_action": selected}
    )
    assert page.status_code == 200 and "Reason" in page.content.decode()
    response = admin_client.post(
        changelist,
        {"action": "mark_for_return", "_selected_action": selected, "post": "yes",
         "reason": "Nobody could pair it"},
    )  # fmt: skip
    assert response.status_code == 302
    assert messages_of(response) == [
        ("error", "2026-11-02 50.00 CZK: The payer's account is unknown: return it by hand."),
        ("success", "1 payment proposed for return."),
    ]
    payment_return = PaymentReturn.objects.get()
    assert (payment_return.transaction, payment_return.amount, payment_return.reason) == (
        returnable, Decimal("100.00"), "Nobody could pair it"
    )  # fmt: skip
    admin_client.get(changelist)  # shows (and so consumes) the messages so far

    response = admin_client.post(
        changelist,
        {"action": "discard", "_selected_action": [unknown_payer.pk], "post": "yes",
         "reason": "Settled in cash"},
    )  # fmt: skip
    assert messages_of(response) == [("success", "1 payment discarded.")]
    unknown_payer.refresh_from_db()
    assert (unknown_payer.status, unknown_payer.note) == (
        TransactionStatus.DISCARDED, "Settled in cash"
    )  # fmt: skip


def test_return_and_discard_views_of_one_payment(admin_client, bank_accounts):
    tx = _tx(bank_accounts["EUR"], "40.00", counterparty_account=PAYER_DE)
    response = admin_client.post(url(BankTransaction, "return", tx.pk), {"reason": "Unknown"})
    assert response.status_code == 302
    assert messages_of(response) == [("success", f"40.00 EUR proposed for return to {PAYER_DE}.")]
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.RETURN_PROPOSED
    admin_client.get(url(BankTransaction, "change", tx.pk))  # consumes the messages so far

    response = admin_client.post(url(BankTransaction, "discard", tx.pk), {"reason": "Oops"})
    assert response.status_code == 200
    assert messages_of(response) == [
        ("error", "Only a payment waiting for review can be discarded.")
    ]


# --- export of returns ------------------------------------------------------------------------


def test_mark_for_return_then_export_eur_downloads_a_pain001(
    admin_client, admin_user, bank_accounts
):
    ours = bank_accounts["EUR"]
    first = _tx(ours, "40.00", counterparty_account=PAYER_DE, counterparty_name="Hans Meier")
    second = _tx(ours, "12.50", counterparty_account="AT611904300234573201")
    for tx in (first, second):
        admin_client.post(url(BankTransaction, "return", tx.pk), {"reason": "Unknown payer"})
    proposed = {r.transaction_id: r for r in PaymentReturn.objects.all()}
    assert set(proposed) == {first.pk, second.pk}
    assert admin_client.get(url(PaymentReturn, "export")).status_code == 200

    response = admin_client.post(url(PaymentReturn, "export"), {"currency": "EUR"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="returns-EUR-')
    assert disposition.endswith('.xml"')
    root = SafeET.fromstring(response.content)
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header.findtext("p:NbOfTxs", namespaces=NS) == "2"
    assert header.findtext("p:CtrlSum", namespaces=NS) == "52.50"
    assert root.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == ours.iban
    items = {
        i.findtext("p:PmtId/p:EndToEndId", namespaces=NS): i
        for i in root.findall(".//p:CdtTrfTxInf", NS)
    }
    assert set(items) == {r.end_to_end_id for r in proposed.values()}
    item = items[proposed[first.pk].end_to_end_id]
    assert item.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == PAYER_DE
    assert item.findtext("p:Amt/p:InstdAmt", namespaces=NS) == "40.00"
    assert item.findtext("p:Cdtr/p:Nm", namespaces=NS) == "Hans Meier"

    for payment_return in PaymentReturn.objects.select_related("transaction"):
        assert payment_return.status == PaymentReturn.Status.EXPORTED
        assert bytes(payment_return.export_file) == response.content
        assert payment_return.transaction.status == TransactionStatus.RETURN_EXPORTED
    assert AuditLog.objects.filter(event="payment.return_exported", actor=admin_user).count() == 2
    assert messages_of(response) == [("success", "2 EUR returns exported.")]

    stored = admin_client.get(url(PaymentReturn, "file", proposed[first.pk].pk))
    assert stored.status_code == 200 and stored.content == response.content

    again = admin_client.post(url(PaymentReturn, "export"), {"currency": "EUR"})
    assert again.status_code == 302
    assert ("error", "There are no proposed EUR returns to export.") in messages_of(again)
    assert AuditLog.objects.filter(event="payment.return_exported").count() == 2


def test_export_czk_downloads_an_abo_file(admin_client, bank_accounts):
    tx = _tx(bank_accounts["CZK"], "1210.50", counterparty_account=PAYER_CZ,
             variable_symbol="2026000123")  # fmt: skip
    services.mark_for_return(tx=tx, actor=None, reason="Unknown payer")
    response = admin_client.post(
        url(PaymentReturn, "changelist"),
        {"action": "export_selected_currency",
         "_selected_action": list(PaymentReturn.objects.values_list("pk", flat=True))},
    )  # fmt: skip
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=windows-1250"
    assert response["Content-Disposition"].endswith('.kpc"')
    lines = response.content.decode("cp1250").split("\r\n")
    assert lines[0].startswith("UHL1")
    assert lines[1:4] == ["1 1501 001000 0800", lines[2], lines[3]]
    assert lines[2].startswith("2 121050 ")
    assert lines[3].startswith("19-2000145399 35-123457 121050 2026000123 01000000 0 AV:")
    assert lines[4:] == ["3 +", "5 +", ""]
    assert PaymentReturn.objects.get().status == PaymentReturn.Status.EXPORTED


def test_export_action_wants_proposed_returns_of_one_currency(admin_client, bank_accounts):
    for account, payer in ((bank_accounts["CZK"], PAYER_CZ), (bank_accounts["EUR"], PAYER_DE)):
        services.mark_for_return(
            tx=_tx(account, "10.00", counterparty_account=payer), actor=None, reason="x"
        )
    response = admin_client.post(
        url(PaymentReturn, "changelist"),
        {"action": "export_selected_currency",
         "_selected_action": list(PaymentReturn.objects.values_list("pk", flat=True))},
    )  # fmt: skip
    assert response.status_code == 302
    assert messages_of(response) == [
        (
            "warning",
            "Select proposed returns of one currency: an export takes all proposed returns "
            "of that currency.",
        )
    ]
    assert set(PaymentReturn.objects.values_list("status", flat=True)) == {"proposed"}


# --- statement upload ------------------------------------------------------------------------


def _upload(client, content: bytes, **data):
    data.setdefault("format", "auto")
    upload = SimpleUploadedFile("statement.sta", content, content_type="application/octet-stream")
    return client.post(url(StatementImport, "upload"), {"file": upload, **data})


def test_upload_page_renders_and_the_changelist_links_it(admin_client):
    assert admin_client.get(url(StatementImport, "upload")).status_code == 200
    page = admin_client.get(url(StatementImport, "changelist")).content.decode()
    assert url(StatementImport, "upload") in page


@pytest.mark.skipif(
    importlib.util.find_spec("payments.importers.detect") is None,
    reason="payments.importers.detect (used by import_statement for every format) "
    "does not exist yet",
)
def test_upload_of_a_garbage_file_stores_a_rejected_import(admin_client, admin_user):
    fmt = "mt940" if importlib.util.find_spec("payments.importers.mt940") else "auto"
    response = _upload(admin_client, b"\x00\x01 this is not a bank statement \xff", format=fmt)
    record = StatementImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url(StatementImport, "change", record.pk)
    assert record.status == StatementImport.Status.REJECTED
    assert record.error_message and record.error_code
    assert (record.source, record.created_by, record.filename) == (
        StatementImport.Source.UPLOAD, admin_user, "statement.sta"
    )  # fmt: skip
    assert bytes(record.content) == b"\x00\x01 this is not a bank statement \xff"
    assert messages_of(response) == [
        ("error", f"The file was rejected and stored: {record.error_message}")
    ]
    assert not BankTransaction.objects.exists()
    assert admin_client.get(url(StatementImport, "change", record.pk)).status_code == 200


def test_upload_limits_the_size_and_wants_a_csv_mapping(admin_client, bank_accounts, monkeypatch):
    monkeypatch.setattr(payment_forms, "MAX_UPLOAD_BYTES", 10)
    response = _upload(admin_client, b"x" * 11)
    assert response.status_code == 200
    assert "at most 10 bytes can be uploaded" in response.content.decode()

    response = _upload(admin_client, b"a;b", format="csv", bank_account=bank_accounts["CZK"].pk)
    assert response.status_code == 200
    assert "This account has no CSV column mapping" in response.content.decode()
    assert not StatementImport.objects.exists()


# --- account feeds ---------------------------------------------------------------------------


def test_account_feed_token_is_masked_and_kept_when_left_blank(admin_client, bank_accounts):
    feed = AccountFeed.objects.create(
        bank_account=bank_accounts["CZK"], fio_token="abcdefghijklmnopWXYZ"
    )
    page = admin_client.get(url(AccountFeed, "changelist")).content.decode()
    assert "••••WXYZ" in page and "abcdefghijklmnop" not in page
    change = admin_client.get(url(AccountFeed, "change", feed.pk)).content.decode()
    assert "abcdefghijklmnop" not in change

    response = admin_client.post(
        url(AccountFeed, "change", feed.pk),
        {
            "bank_account": bank_accounts["CZK"].pk,
            "fio_token": "",
            "fio_fetched_until": "2026-11-01",
            "csv_mapping": "null",
        },
    )
    assert response.status_code == 302
    feed.refresh_from_db()
    assert (feed.fio_token, feed.fio_fetched_until) == ("abcdefghijklmnopWXYZ", date(2026, 11, 1))

    admin_client.post(
        url(AccountFeed, "change", feed.pk),
        {"bank_account": bank_accounts["CZK"].pk, "fio_token": "new-token-0123456789",
         "fio_fetched_until": "2026-11-01", "csv_mapping": "null"},
    )  # fmt: skip
    feed.refresh_from_db()
    assert feed.fio_token == "new-token-0123456789"
    logs = AuditLog.objects.filter(event="accountfeed.changed")
    assert logs.count() == 2
    assert all("abcdefghijklmnop" not in str(log.before) + str(log.after) for log in logs)
    assert all("new-token" not in str(log.before) + str(log.after) for log in logs)


def test_eur_customer_document_assigned_from_an_eur_payment(admin_client, bank_accounts):
    customer = CustomerFactory(country="SK", currency="EUR", language="sk", ico="35697270",
                               dic="SK2020317068")  # fmt: skip
    document = _request("100.00", customer=customer)
    tx = _tx(bank_accounts["EUR"], "50.00")
    assert _assign(admin_client, tx, [(document.number, "50.00")]).status_code == 302
    document.refresh_from_db()
    assert (document.status, document.amount_paid) == (
        DocumentStatus.PARTLY_PAID, Decimal("50.00")
    )  # fmt: skip


def test_credit_an_unpaired_payment_to_a_customers_wallet(admin_client, admin_user, bank_accounts):
    from credits.models import LedgerEntry
    from credits.services import deactivate_wallet, wallet_for

    contract = ContractFactory()
    payment = _tx(bank_accounts["CZK"], "300.00")
    eur_payment = _tx(bank_accounts["EUR"], "20.00")
    changelist = url(BankTransaction, "changelist")

    missing = admin_client.post(
        changelist,
        {"action": "credit_to_wallet", "_selected_action": [payment.pk], "post": "yes",
         "contract": "F0000000000", "note": "topped up without a request"},
    )  # fmt: skip
    assert missing.status_code == 200 and "No contract with this number" in missing.content.decode()

    response = admin_client.post(
        changelist,
        {"action": "credit_to_wallet", "_selected_action": [payment.pk, eur_payment.pk],
         "post": "yes", "contract": contract.number.lower(), "note": "topped up without a request"},
    )  # fmt: skip
    assert response.status_code == 302
    kinds = [level for level, _text in messages_of(response)]
    assert kinds == ["error", "success"]  # the EUR payment cannot go to a CZK wallet
    payment.refresh_from_db()
    eur_payment.refresh_from_db()
    assert (payment.status, payment.credited_amount, payment.unallocated) == (
        TransactionStatus.PAIRED, Decimal("300.00"), Decimal("0.00")
    )  # fmt: skip
    assert eur_payment.credited_amount == Decimal("0.00")
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount, entry.reason, entry.actor) == (
        "payment", Decimal("300.00"), "topped up without a request", admin_user
    )  # fmt: skip
    assert wallet_for(contract.customer).balance == Decimal("300.00")
    assert AuditLog.objects.get(event="payment.credited_to_wallet").actor == admin_user

    # nothing left to credit; an inactive wallet takes nothing
    again = services.credit_payment_to_wallet
    with pytest.raises(services.InvalidDocumentState):
        again(tx=payment, customer=contract.customer, actor=admin_user, note="twice")
    other = _tx(bank_accounts["CZK"], "10.00")
    deactivate_wallet(wallet=wallet_for(contract.customer), reason="closed")
    with pytest.raises(services.ValidationFailed):
        again(tx=other, customer=contract.customer, actor=admin_user, note="x")
    other.refresh_from_db()
    assert other.credited_amount == Decimal("0.00") and LedgerEntry.objects.count() == 1
