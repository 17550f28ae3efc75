"""A document's money has one writer: only invoices/settlement.py assigns
`amount_paid`, `paid_on`, `paid_by_credit` or a paid/partly paid/open status, in
Python or in SQL. Reads the source of the apps, the top floor, the tests and the
benchmarks (migrations may backfill)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WRITER = ROOT / "invoices" / "settlement.py"
PACKAGES = ("accounts", "invoices", "payments", "credits", "certificates", "timestamps")
MONEY_FIELDS = {"amount_paid", "paid_on", "paid_by_credit"}
PAID_STATES = {"PAID", "PARTLY_PAID", "OPEN"}
SQL_WRITE = re.compile(
    r"UPDATE\s+invoices_document\b[^;]*?\bSET\b[^;]*?\b(status|amount_paid|paid_on|paid_by_credit)\s*=",
    re.IGNORECASE | re.DOTALL,
)


# calls that write rows (queries such as filter(status=...) only read)
WRITING_CALLS = {
    "update",
    "create",
    "get_or_create",
    "update_or_create",
    "Document",
    "PaymentRequest",
    "TaxInvoice",
    "CreditNote",
    "issue_document",
    "issue_payment_request",
    "issue_tax_invoice",
}


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _sources() -> list[Path]:
    paths = [
        p
        for pkg in (*PACKAGES, "billing_portal", "tests", "bench")
        for p in (ROOT / pkg).rglob("*.py")
    ]
    return sorted(p for p in paths if "migrations" not in p.parts and p != Path(__file__))


def _is_document_status(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr in PAID_STATES
        and isinstance(node.value, ast.Name)
        and node.value.id == "DocumentStatus"
    ) or (isinstance(node, ast.Constant) and node.value in {"paid", "partly_paid"})


def writes_of_document_money(path: Path) -> list[str]:
    """file:line of every assignment of a document's money state in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                pairs = (
                    zip(target.elts, node.value.elts, strict=False)
                    if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                    else [(element, node.value) for element in getattr(target, "elts", [target])]
                )
                for element, value in pairs:
                    if not isinstance(element, ast.Attribute):
                        continue
                    if element.attr in MONEY_FIELDS or (
                        element.attr == "status" and _is_document_status(value)
                    ):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        if isinstance(node, ast.Call) and _call_name(node) in WRITING_CALLS:
            for keyword in node.keywords:
                if keyword.arg in {"amount_paid", "paid_by_credit"} or (
                    keyword.arg == "status" and _is_document_status(keyword.value)
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        is_text = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if is_text and SQL_WRITE.search(node.value):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} (SQL)")
    return found


def test_only_the_settlement_module_writes_a_documents_money():
    offenders = [
        hit for path in _sources() if path != WRITER for hit in writes_of_document_money(path)
    ]
    assert offenders == []


def test_the_check_finds_the_writes_of_the_settlement_module():
    """The scanner itself: it sees the writer's own assignments, Python and SQL."""
    hits = writes_of_document_money(WRITER)
    assert any(hit.endswith("(SQL)") for hit in hits)
    assert len(hits) >= 4
