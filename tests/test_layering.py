"""The house plan (docs/architecture.md), read from the import statements.

`billing_portal` has two floors: the ground floor (the kernel: settings, celery,
money, errors, workdays, kinds, the fulfilment registry and the typed hooks, shared
admin helpers) imports no app; the top floor (urls.py, views.py, portal/, api/,
demo/) may import every app, and no app imports it. Between the apps the arrows
point one way: `accounts` <- `invoices` <- `payments` / `credits` / `certificates` /
`timestamps`.

Every import statement counts, also one inside a function or under TYPE_CHECKING:
a late import is still a dependency. Migrations are left out (they name other apps'
migrations by design). No Django and no database: the files are only parsed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "invoices", "payments", "credits", "certificates", "timestamps")
PACKAGES = ("billing_portal", *APPS)
KERNEL = "billing_portal"
#: The top floor of billing_portal: modules and packages, relative to billing_portal/.
TOP_FLOOR = ("urls.py", "views.py", "portal", "api", "demo")
TOP_FLOOR_MODULES = tuple(
    f"{KERNEL}.{name.removesuffix('.py')}" for name in TOP_FLOOR
)  # billing_portal.urls, billing_portal.portal, ...

#: What each app may not import (besides the top floor, forbidden to every app).
FORBIDDEN_APPS: dict[str, tuple[str, ...]] = {
    "accounts": tuple(app for app in APPS if app != "accounts"),
    "invoices": ("payments", "credits", "certificates", "timestamps"),
    # siblings above invoices: a payment's surplus reaches credit through a typed hook
    "payments": ("credits",),
    "credits": ("payments",),
}


def _python_files(package: str) -> Iterator[Path]:
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" not in path.relative_to(ROOT).parts:
            yield path


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported module) of every import statement of the file, also nested.
    `from x import y` yields `x.y` too, so `from billing_portal import urls` counts."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join([*base_parts, node.module] if node.module else base_parts)
            else:
                base = node.module or ""
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def _is_under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _is_top_floor(path: Path) -> bool:
    relative = path.relative_to(ROOT)
    return relative.parts[0] == KERNEL and relative.parts[1] in TOP_FLOOR


def _why_not(path: Path, module: str) -> str | None:
    """Why the file may not import the module; None when it may."""
    own = path.relative_to(ROOT).parts[0]
    if _is_top_floor(path):
        return None  # the top floor may import everything
    if any(_is_under(module, top) for top in TOP_FLOOR_MODULES):
        return "the top floor"
    if own == KERNEL and any(_is_under(module, app) for app in APPS):
        return "the kernel imports no app"
    if any(_is_under(module, app) for app in FORBIDDEN_APPS.get(own, ())):
        return f"not allowed in {own}"
    return None


def _violations(package: str) -> list[str]:
    """One line per offending statement: `file:line imports module (why)`."""
    found: dict[tuple[str, int], str] = {}
    for path in _python_files(package):
        for line, module in sorted(_imports(path), key=lambda item: (item[0], len(item[1]))):
            why = _why_not(path, module)
            where = (str(path.relative_to(ROOT)), line)
            if why is not None and where not in found:
                found[where] = f"{where[0]}:{line} imports {module} ({why})"
    return [found[where] for where in sorted(found)]


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_point_down_the_house(package):
    violations = _violations(package)
    assert not violations, "imports against the house plan:\n" + "\n".join(violations)


def test_the_top_floor_is_where_the_plan_says():
    """The list above names real places (a renamed package must not silently pass)."""
    for name in TOP_FLOOR:
        assert (ROOT / KERNEL / name).exists(), name


def test_the_reader_sees_nested_and_relative_imports(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    package = tmp_path / "accounts"
    package.mkdir()
    source = package / "admin.py"
    source.write_text(
        "from . import services\n"
        "def action():\n"
        "    from invoices.lifecycle import request_cancellation\n"
        "    import billing_portal.urls\n",
        encoding="utf-8",
    )
    assert list(_imports(source)) == [
        (1, "accounts"),
        (1, "accounts.services"),
        (3, "invoices.lifecycle"),
        (3, "invoices.lifecycle.request_cancellation"),
        (4, "billing_portal.urls"),
    ]
    assert _violations("accounts") == [
        "accounts/admin.py:3 imports invoices.lifecycle (not allowed in accounts)",
        "accounts/admin.py:4 imports billing_portal.urls (the top floor)",
    ]
