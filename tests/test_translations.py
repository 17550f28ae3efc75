"""The Czech, Slovak and Finnish catalogues in locale/ are complete, sound and compiled.

No database and no third-party .po library: a tiny parser below reads the .po files,
and Python's own `gettext` reads the committed .mo files (a fresh machine may have no
GNU gettext, so the .mo files must match their .po files as committed).
"""

from __future__ import annotations

import gettext
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
TRANSLATED = ("cs", "sk", "fi")
ALL_LANGUAGES = (*TRANSLATED, "en")

# %(name)s-style and positional %s-style Python format placeholders ("%%" is a literal).
PLACEHOLDER_RE = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]"
)
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b"}


# --- a tiny .po parser -----------------------------------------------------------------


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), f"not a quoted string: {text!r}"
    return re.sub(r"\\(.)", lambda m: ESCAPES[m.group(1)], text[1:-1])


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgctxt, msgid, msgid_plural, msgstr (a list: one item,
    or one per plural form), flags and line. Obsolete (#~) entries are left out; the
    header is the entry whose msgid is ""."""
    entries: list[dict] = []
    entry: dict = {}
    field = None

    def flush() -> None:
        nonlocal entry, field
        if "msgid" in entry:
            plural = sorted(k for k in entry if k.startswith("msgstr["))
            entries.append(
                {
                    "msgctxt": entry.get("msgctxt"),
                    "msgid": entry["msgid"],
                    "msgid_plural": entry.get("msgid_plural"),
                    "msgstr": (
                        [entry[k] for k in sorted(plural, key=lambda k: int(k[7:-1]))]
                        if plural
                        else [entry.get("msgstr", "")]
                    ),
                    "flags": entry.get("flags", set()),
                    "line": entry["line"],
                }
            )
        entry, field = {}, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            flush()
            continue
        if line.startswith("#"):
            if "msgid" in entry:  # a comment starts the next entry
                flush()
            if line.startswith("#,"):
                entry.setdefault("flags", set()).update(
                    flag.strip() for flag in line[2:].split(",") if flag.strip()
                )
            continue
        if line.startswith('"'):
            assert field is not None, f"{path}:{number}: string without a keyword"
            entry[field] += _unquote(line)
            continue
        keyword, _, rest = line.partition(" ")
        assert re.fullmatch(r"msgctxt|msgid|msgid_plural|msgstr(\[\d+\])?", keyword), (
            f"{path}:{number}: unexpected line {raw!r}"
        )
        if keyword in ("msgctxt", "msgid") and any(k.startswith("msgstr") for k in entry):
            flush()
        entry.setdefault("line", number)
        entry[keyword] = _unquote(rest)
        field = keyword
    flush()
    return entries


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def mo_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.mo"


def catalogue(language: str) -> tuple[dict, list[dict]]:
    entries = parse_po(po_path(language))
    headers = [e for e in entries if e["msgid"] == "" and not e["msgctxt"]]
    assert len(headers) == 1, f"{language}: the .po file needs exactly one header"
    return headers[0], [e for e in entries if e is not headers[0]]


def nplurals(header: dict) -> int:
    match = re.search(r"^Plural-Forms:.*nplurals\s*=\s*(\d+)", header["msgstr"][0], re.M)
    assert match, "the header has no Plural-Forms"
    return int(match.group(1))


def placeholders(text: str) -> Counter:
    return Counter(m.group(0) for m in PLACEHOLDER_RE.finditer(text) if m.group(0) != "%%")


def where(language: str, entry: dict) -> str:
    return f"locale/{language}/LC_MESSAGES/django.po:{entry['line']} {entry['msgid']!r}"


# --- the parser itself ------------------------------------------------------------------


def test_parser_reads_multiline_plural_and_escaped_entries(tmp_path):
    path = tmp_path / "django.po"
    path.write_text(
        'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        '#: a.py:1\n#, fuzzy, python-format\nmsgid ""\n"Say \\"%(a)s\\" "\n"twice"\n'
        'msgstr "Sano \\"%(a)s\\"\\n"\n\n'
        'msgid "%(n)d file"\nmsgid_plural "%(n)d files"\nmsgstr[0] "yksi"\nmsgstr[1] ""\n\n'
        '#~ msgid "old"\n#~ msgstr "vanha"\n',
        encoding="utf-8",
    )
    header, *entries = parse_po(path)
    assert nplurals(header) == 2
    assert [e["msgid"] for e in entries] == ['Say "%(a)s" twice', "%(n)d file"]
    assert entries[0]["msgstr"] == ['Sano "%(a)s"\n']
    assert entries[0]["flags"] == {"fuzzy", "python-format"}
    assert entries[1]["msgid_plural"] == "%(n)d files"
    assert entries[1]["msgstr"] == ["yksi", ""]
    assert placeholders("%(a)s of %(b)d, 100 %% and %s") == Counter(["%(a)s", "%(b)d", "%s"])


# --- the catalogues ---------------------------------------------------------------------


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_catalogue_exists_with_a_compiled_mo(language):
    assert po_path(language).is_file()
    assert mo_path(language).is_file(), f"run `manage.py compilemessages` for {language}"


def test_every_catalogue_has_the_same_msgids():
    def msgids(language: str) -> set:
        return {(e["msgctxt"], e["msgid"], e["msgid_plural"]) for e in catalogue(language)[1]}

    english = msgids("en")
    assert english, "the English catalogue is empty"
    for language in TRANSLATED:
        assert msgids(language) == english, f"{language} and en list different msgids"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_entry_is_translated_and_not_fuzzy(language):
    header, entries = catalogue(language)
    assert "fuzzy" not in header["flags"], f"{language}: the header is fuzzy"
    forms = nplurals(header)
    problems = []
    for entry in entries:
        if "fuzzy" in entry["flags"]:
            problems.append(f"fuzzy: {where(language, entry)}")
        if entry["msgid_plural"] and len(entry["msgstr"]) != forms:
            problems.append(
                f"{len(entry['msgstr'])} of {forms} plural forms: {where(language, entry)}"
            )
        if not all(text.strip() for text in entry["msgstr"]):
            problems.append(f"untranslated: {where(language, entry)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_python_format_placeholders_are_kept(language):
    _header, entries = catalogue(language)
    problems = []
    for entry in entries:
        if "python-format" not in entry["flags"]:
            continue
        expected = placeholders(entry["msgid"])
        if entry["msgid_plural"]:
            expected |= placeholders(entry["msgid_plural"])
        for text in entry["msgstr"]:
            if text and set(placeholders(text)) != set(expected):
                problems.append(f"{where(language, entry)} -> {text!r}")
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_mo_file_matches_po_file(language):
    """The committed .mo is compiled from the committed .po: same entries, same text."""
    with mo_path(language).open("rb") as handle:
        compiled = dict(gettext.GNUTranslations(handle)._catalog)
    compiled.pop("", None)  # the header
    _header, entries = catalogue(language)
    expected = {}
    for entry in entries:
        if not any(entry["msgstr"]) or "fuzzy" in entry["flags"]:
            continue  # msgfmt leaves out untranslated (English) and fuzzy entries
        key = f"{entry['msgctxt']}\x04{entry['msgid']}" if entry["msgctxt"] else entry["msgid"]
        if entry["msgid_plural"]:
            expected.update({(key, i): text for i, text in enumerate(entry["msgstr"])})
        else:
            expected[key] = entry["msgstr"][0]
    stale = sorted(str(k) for k in expected.keys() - compiled.keys())
    extra = sorted(str(k) for k in compiled.keys() - expected.keys())
    changed = sorted(
        str(k) for k in expected.keys() & compiled.keys() if expected[k] != compiled[k]
    )
    assert not (stale or extra or changed), (
        f"locale/{language}/LC_MESSAGES/django.mo is out of date, run "
        f"`manage.py compilemessages`: missing {stale[:5]}, extra {extra[:5]}, "
        f"changed {changed[:5]}"
    )


# --- what users see ---------------------------------------------------------------------

KEY_STRINGS = {
    "cs": {
        "Tax invoice": "Daňový doklad – faktura",
        "Payment request": "Výzva k platbě",
        "Credit note": "Dobropis",
        "Variable symbol": "Variabilní symbol",
        "Due date": "Datum splatnosti",
        "Date of taxable supply": "Datum uskutečnění zdanitelného plnění",
        "VAT": "DPH",
        "Log in to the customer portal": "Přihlášení do zákaznického portálu",
    },
    "sk": {
        "Tax invoice": "Daňový doklad – faktúra",
        "Payment request": "Výzva na úhradu",
        "Credit note": "Dobropis",
        "Variable symbol": "Variabilný symbol",
        "Due date": "Dátum splatnosti",
        "Date of taxable supply": "Dátum dodania tovaru alebo služby",
        "VAT": "DPH",
        "Log in to the customer portal": "Prihlásenie do zákazníckeho portálu",
    },
    "fi": {
        "Tax invoice": "Lasku",
        "Payment request": "Maksupyyntö",
        "Credit note": "Hyvityslasku",
        "Variable symbol": "Maksutunnus (VS)",
        "Due date": "Eräpäivä",
        "Date of taxable supply": "Toimituspäivä",
        "VAT": "ALV",
        "Log in to the customer portal": "Kirjaudu asiakasportaaliin",
    },
}


@pytest.mark.parametrize("language", TRANSLATED)
def test_key_strings_are_translated(language):
    with translation.override(language):
        seen = {msgid: translation.gettext(msgid) for msgid in KEY_STRINGS[language]}
    for msgid, text in seen.items():
        assert text != msgid, f"{msgid!r} is not translated into {language}"
    assert seen == KEY_STRINGS[language]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("cs", {1: "dobropis.", 3: "dobropisy.", 5: "dobropisů."}),
        ("sk", {1: "dobropis.", 3: "dobropisy.", 5: "dobropisov."}),
        ("fi", {1: "hyvityslasku.", 3: "hyvityslaskua.", 5: "hyvityslaskua."}),
    ],
)
def test_plural_forms_follow_the_language(language, expected):
    with translation.override(language):
        for count, ending in expected.items():
            text = translation.ngettext(
                "%(count)d credit note issued.", "%(count)d credit notes issued.", count
            ) % {"count": count}
            assert text.endswith(ending), (language, count, text)
            assert str(count) in text


def test_english_falls_back_to_the_msgid():
    with translation.override("en"):
        assert translation.gettext("Tax invoice") == "Tax invoice"
        assert translation.gettext("Variable symbol") == "Variable symbol"
